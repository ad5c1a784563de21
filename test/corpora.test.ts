import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { csvRecordsInPieces } from '../src/corpora/manifest.js';
import {
  CorpusError,
  holdOutSpeakers,
  LAYOUTS,
  loadCorpus,
  mapLabel,
  openCorpusListing,
  parseCsv,
  walkAudioFiles,
  protocolSplit,
  TAXONOMIES,
  type Corpus,
} from '../src/corpora/index.js';

const SHARED_CORPORA = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/corpora');
const haveSharedCorpora = existsSync(SHARED_CORPORA);

const temporaryFolders: string[] = [];
afterEach(async () => {
  await Promise.all(temporaryFolders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

/** A fresh folder holding an empty file at each relative path, and the given extra files. */
async function folderWith(emptyFiles: readonly string[], contents: Record<string, string> = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'corpora-test-'));
  temporaryFolders.push(root);
  const files: [string, string][] = [...emptyFiles.map((path): [string, string] => [path, '']), ...Object.entries(contents)];
  for (const [path, text] of files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

function countBy(values: readonly (string | null)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

function speakersOf(corpus: Corpus): string[] {
  return [...new Set(corpus.utterances.map((utterance) => utterance.speaker))].sort();
}

describe('mapLabel and TAXONOMIES', () => {
  it('keep the benchmark order of the classes', () => {
    expect(TAXONOMIES['4class']).toEqual(['neutral', 'happy', 'sad', 'angry']);
    expect(TAXONOMIES['7class']).toEqual(['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised']);
  });

  it.each([
    ['neutral', 'neutral', 'neutral'],
    ['calm', 'neutral', 'neutral'],
    ['Happiness', 'happy', 'happy'],
    ['joy', 'happy', 'happy'],
    ['sadness', 'sad', 'sad'],
    [' ANGER ', 'angry', 'angry'],
    ['fear', null, 'fearful'],
    ['fearful', null, 'fearful'],
    ['disgust', null, 'disgust'],
    ['surprise', null, 'surprised'],
    ['boredom', null, null],
    ['contempt', null, null],
  ])('%s is %s in 4 classes and %s in 7', (word, fourClass, sevenClass) => {
    expect(mapLabel(word, '4class')).toBe(fourClass);
    expect(mapLabel(word, '7class')).toBe(sevenClass);
  });
});

describe('protocolSplit', () => {
  it('sorts the unique ids as strings and alternates adaptation and test', () => {
    expect(protocolSplit(['b', '10', 'a', '9', 'b', '1'])).toEqual({ adaptation: ['1', '9', 'b'], test: ['10', 'a'] });
  });
});

describe('holdOutSpeakers', () => {
  const actors = Array.from({ length: 24 }, (_, index) => String(index + 1).padStart(2, '0'));

  it('holds out a rounded fraction or a count, disjoint from training, the same for the same seed', () => {
    const quarter = holdOutSpeakers(actors, 0.25, 1);
    expect(quarter.validation).toHaveLength(6);
    expect(quarter.train).toHaveLength(18);
    expect([...quarter.train, ...quarter.validation].sort()).toEqual(actors);
    expect(holdOutSpeakers([...actors].reverse(), 0.25, 1)).toEqual(quarter);
    expect(holdOutSpeakers(actors, 3).validation).toHaveLength(3);
    expect(holdOutSpeakers(['x', 'y'], 0.1).validation).toHaveLength(1);
  });

  it('draws another set for another seed, and not one gender of RAVDESS (odd men, even women)', () => {
    const drawn = [0, 1, 2].map((seed) => holdOutSpeakers(actors, 6, seed).validation);
    expect(new Set(drawn.map((validation) => validation.join())).size).toBe(3);
    for (const validation of drawn) {
      expect(new Set(validation.map((actor) => Number(actor) % 2)).size).toBe(2);
    }
  });

  it.each([[0], [1.5], [24], [-2], [Number.NaN]])('refuses to hold out %s of 24 speakers', (amount) => {
    expect(() => holdOutSpeakers(actors, amount)).toThrow(/cannot hold out .* of 24 speakers/);
  });
});

describe('parseCsv', () => {
  it('reads RFC 4180 quoting and CRLF, numbering records by the line they start on', () => {
    const text = '\uFEFFpath,speaker\r\n"a, ""b"".wav",s1\r\n"two\nlines.wav",s2\r\nc.wav,""\r\n';
    expect(parseCsv(text, 'manifest.csv')).toEqual([
      { line: 1, fields: ['path', 'speaker'] },
      { line: 2, fields: ['a, "b".wav', 's1'] },
      { line: 3, fields: ['two\nlines.wav', 's2'] },
      { line: 5, fields: ['c.wav', ''] },
    ]);
  });

  it.each([
    ['path,speaker\n"a.wav,s1\n', /x\.csv line 2: a quoted field is never closed/],
    ['path,speaker\n"a.wav"x,s1\n', /x\.csv line 2: a closing quote must be followed by a comma/],
    ['path,speaker\na"b.wav,s1\n', /x\.csv line 2: field "a\\"b.wav" holds a quote/],
  ])('refuses malformed quoting: %j', (text, message) => {
    expect(() => parseCsv(text, 'x.csv')).toThrow(message);
  });
});

describe('csvRecordsInPieces', () => {
  // Every structure a piece boundary can fall into: BOM, quoted commas, doubled quotes, line breaks inside
  // quotes, CRLF, lone CR, blank lines, a last line without a newline.
  const text = '\uFEFFpath,speaker\r\n"a, ""b"".wav",s1\r\n"two\nlines.wav",s2\rc.wav,""\n\n"x\r\ny",z\r\nlast.wav,s3';

  it('gives the records of the whole text wherever the text is cut, and into one-character pieces', () => {
    const whole = parseCsv(text, 'm.csv');
    expect(whole.at(-1)).toEqual({ line: 9, fields: ['last.wav', 's3'] });
    for (let cut = 0; cut <= text.length; cut++) {
      expect([...csvRecordsInPieces([text.slice(0, cut), text.slice(cut)], 'm.csv')]).toEqual(whole);
    }
    expect([...csvRecordsInPieces([...text], 'm.csv')]).toEqual(whole);
  });

  it('names the same line in its errors as the whole text does', () => {
    const broken = 'path,speaker\na.wav,s1\n"b.wav"x,s2\n';
    expect(() => [...csvRecordsInPieces([...broken], 'x.csv')]).toThrow(/x\.csv line 3: a closing quote must be followed by a comma/);
  });
});

describe('openCorpusListing', () => {
  it('lists a manifest in any row order, sorted by path through several spills, as often as asked; close removes its files', async () => {
    // Rows in reverse order; X.wav and x.wav coincide ignoring case, so both ids carry a hash of the path.
    const rows = [['z/b.wav', 's2', 'Sad'], ['x.wav', 's1', 'angry'], ['m.wav', 's1', 'boredom'], ['a.wav', 's2', 'happy'], ['X.wav', 's1', 'neutral']];
    const root = await folderWith(rows.map(([path]) => path), {
      'manifest.csv': `path,speaker,emotion,language\n${rows.map((row) => `${row.join(',')},de`).join('\n')}\n`,
    });
    const tempDir = await mkdtemp(join(tmpdir(), 'corpora-listing-'));
    temporaryFolders.push(tempDir);
    const listing = openCorpusListing(root, { chunkLines: 2, tempDir });
    const hash = (path: string): string => createHash('sha1').update(path).digest('hex').slice(0, 8);
    const expected = [
      ['X.wav', `X-${hash('X.wav')}`, 'neutral', 'neutral'],
      ['a.wav', 'a', 'happy', 'happy'],
      ['m.wav', 'm', 'boredom', null],
      ['x.wav', `x-${hash('x.wav')}`, 'angry', 'angry'],
      ['z/b.wav', 'z__b', 'sad', 'sad'],
    ];
    const seen = (): unknown[] => [...listing.utterances()].map((u) => [u.relativePath, u.id, u.emotion, u.label]);
    expect(seen()).toEqual(expected);
    expect(seen()).toEqual(expected);
    expect([listing.count, listing.labelled, listing.language, listing.layout]).toEqual([5, 4, 'de', 'manifest']);
    expect(listing.unknownLabels).toEqual([{ emotion: 'boredom', count: 1 }]);
    expect(readdirSync(tempDir)).toHaveLength(1);
    listing.close();
    expect(readdirSync(tempDir)).toEqual([]);
    // loadCorpus is the same listing collected.
    expect((await loadCorpus(root)).utterances.map((u) => [u.relativePath, u.id, u.emotion, u.label])).toEqual(expected);
  });

  it('finds a path listed twice after sorting in pieces, naming the line a reader meets first', async () => {
    const root = await folderWith(['a.wav', 'b.wav'], { 'manifest.csv': 'path,speaker,emotion,language\nb.wav,s,sad,en\na.wav,s,sad,en\nb.wav,s,sad,en\na.wav,s,sad,en\n' });
    expect(() => openCorpusListing(root, { chunkLines: 1 })).toThrow(/manifest\.csv line 4: b\.wav is listed again \(first on line 2\)/);
  });
});

describe('walkAudioFiles', () => {
  it('reads folder by folder in the order of sorting the whole paths, leaving hidden ones and other files out', async () => {
    const audio = ['a.wav', 'a/b.wav', 'a0.wav', 'a-b.wav', 'a b.wav', 'A.wav', 'é.wav', 'a/c/d.flac', 'ab/x.mp3', 'a.b/y.wav'];
    const root = await folderWith([...audio, '.hidden.wav', '.h/x.wav', 'z/.x.wav', 'b.txt']);
    expect([...walkAudioFiles(root)]).toEqual([...audio].sort());
  });
});

describe('loadCorpus from manifest.csv', () => {
  it('reads the rows, maps the labels, counts the words without a class and keeps durations', async () => {
    const root = await folderWith(['clips/a, "b".wav', 'clips/c.wav', 'clips/d.wav', 'clips/e.flac'], {
      'manifest.csv':
        'path,speaker,emotion,duration_s\n"clips/a, ""b"".wav",s1,Happiness,1.5\nclips/c.wav,s1,boredom,\n' +
        'clips\\d.wav,s2,contempt,2\nclips/e.flac,s2,boredom,0.5\n',
    });
    const corpus = await loadCorpus(root, { language: 'de', name: 'mine' });
    expect(corpus).toMatchObject({ name: 'mine', language: 'de', root, layout: 'manifest', taxonomy: '4class', skippedFiles: [] });
    expect(corpus.utterances[0]).toEqual({
      id: 'clips__a___b_',
      path: join(root, 'clips/a, "b".wav'),
      relativePath: 'clips/a, "b".wav',
      speaker: 's1',
      emotion: 'happiness',
      label: 'happy',
      language: 'de',
      corpus: 'mine',
      durationSeconds: 1.5,
    });
    expect(corpus.utterances.map((utterance) => utterance.relativePath)).toEqual([
      'clips/a, "b".wav',
      'clips/c.wav',
      'clips/d.wav',
      'clips/e.flac',
    ]);
    expect(corpus.utterances[1].durationSeconds).toBeUndefined();
    expect(corpus.unknownLabels).toEqual([
      { emotion: 'boredom', count: 2 },
      { emotion: 'contempt', count: 1 },
    ]);
  });

  it('takes the language from its column, and the 7-class taxonomy when asked', async () => {
    const root = await folderWith(['x.wav', 'y.wav'], {
      'manifest.csv': 'emotion,speaker,path,language\nfear,k,x.wav,TR\nsurprise,k,y.wav,\n',
    });
    const corpus = await loadCorpus(root, { taxonomy: '7class' });
    expect(corpus.language).toBe('tr');
    expect(corpus.utterances.map(({ label, language }) => [label, language])).toEqual([
      ['fearful', 'tr'],
      ['surprised', 'tr'],
    ]);
    expect(corpus.unknownLabels).toEqual([]);
  });

  // issue 16 fault 14: rows whose file was missing were left out unsaid (exit 0, absent from errors.json).
  it('keeps rows whose file is missing, so that preprocessing reports them as failures', async () => {
    const root = await folderWith(['here.wav'], {
      'manifest.csv': 'path,speaker,emotion\ngone.wav,a,sad\nhere.wav,a,sad\n',
    });
    const corpus = await loadCorpus(root, { language: 'en' });
    expect(corpus.utterances.map((utterance) => utterance.relativePath)).toEqual(['gone.wav', 'here.wav']);
    expect(corpus.skippedFiles).toEqual([]);
  });

  // issue 16 fault 17: a manifest with CR-only line ends was read as one line ("header names ... more than once").
  it('reads a manifest whose lines end in a lone CR', async () => {
    const root = await folderWith(['a.wav', 'b.wav'], { 'manifest.csv': 'path,speaker,emotion\ra.wav,s1,sad\rb.wav,s2,angry\r' });
    const corpus = await loadCorpus(root, { language: 'en' });
    expect(corpus.utterances.map(({ relativePath, speaker, label }) => [relativePath, speaker, label])).toEqual([
      ['a.wav', 's1', 'sad'],
      ['b.wav', 's2', 'angry'],
    ]);
  });

  // issue 16 fault 14: `" a.wav"` was silently trimmed to another file's name.
  it('takes a path as written, spaces included', async () => {
    const root = await folderWith([' a.wav', 'a.wav'], { 'manifest.csv': 'path,speaker,emotion\n a.wav,s1,sad\n' });
    const corpus = await loadCorpus(root, { language: 'en' });
    expect(corpus.utterances.map(({ relativePath }) => relativePath)).toEqual([' a.wav']);
  });

  it.each([
    ['path,speaker\na.wav,s\n', /line 1: the header lacks emotion \(required columns path,speaker,emotion; optional language,duration_s\)/],
    ['path,speaker,emotion,speaker\na.wav,s,sad,t\n', /line 1: the header names speaker more than once/],
    ['path,speaker,emotion\na.wav,s,sad\n\nb.wav,s\n', /line 4: has 2 fields where the header has 3/],
    ['path,speaker,emotion\na.wav,,sad\n', /line 2: the speaker field is empty/],
    ['path,speaker,emotion\n../a.wav,s,sad\n', /line 2: path "..\/a.wav" must be relative to the corpus folder/],
    ['path,speaker,emotion\na.wav,s,sad\n./a.wav,s,sad\n', /line 3: a.wav is listed again \(first on line 2\)/],
    ['path,speaker,emotion,language\na.wav,s,sad,eng\n', /line 2: language "eng" is not a two-letter ISO 639-1 code/],
    ['path,speaker,emotion,duration_s\na.wav,s,sad,long\n', /line 2: duration_s "long" is not a number of seconds/],
    ['path,speaker,emotion\n', /manifest\.csv: lists no files/],
    ['', /manifest\.csv: is empty/],
    ['path,speaker,emotion\nb.wav,s,sad\n', /manifest\.csv: none of its 1 files is under .* \(line 2: b\.wav\)/],
    ['path,speaker,emotion,language\na.wav,s,sad,de\na.flac,s,sad,en\n', /manifest\.csv: names several languages \(de, en\)/],
    ['path,speaker,emotion\na.wav,s,sad\n', /manifest\.csv: says nothing of the language/],
  ])('refuses a malformed manifest, naming the file and line: %j', async (manifest, message) => {
    const root = await folderWith(['a.wav', 'a.flac'], { 'manifest.csv': manifest });
    const failure = loadCorpus(root);
    await expect(failure).rejects.toThrow(CorpusError);
    await expect(failure).rejects.toThrow(join(root, 'manifest.csv'));
    await expect(failure).rejects.toThrow(message);
  });

  it('gives file-name-safe ids that stay unique where names differ only in unsafe characters or case', async () => {
    const paths = ['a b.wav', 'a_b.wav', 'X.wav', 'x.wav', 'sub/é.wav'];
    const root = await folderWith(paths, {
      'manifest.csv': `path,speaker,emotion\n${paths.map((path) => `${path},s,sad`).join('\n')}\n`,
    });
    const ids = (await loadCorpus(root, { language: 'en' })).utterances.map((utterance) => utterance.id);
    expect(ids).toHaveLength(5);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(new Set(ids.map((id) => id.toLowerCase())).size).toBe(5);
    expect(ids).toContain('sub___');
  });
});

describe('loadCorpus from file names', () => {
  // [relative path, speaker, emotion word, 4-class label]
  const cases: { layout: string; language: string; files: [string, string, string, string | null][] }[] = [
    {
      layout: 'ravdess',
      language: 'en',
      files: [
        ['Actor_01/03-01-01-01-01-01-01.wav', '01', 'neutral', 'neutral'],
        ['Actor_01/03-01-02-02-01-01-01.wav', '01', 'calm', 'neutral'],
        ['Actor_24/03-01-08-02-02-01-24.wav', '24', 'surprised', null],
      ],
    },
    {
      layout: 'crema-d',
      language: 'en',
      files: [
        ['AudioWAV/1001_DFA_ANG_XX.wav', '1001', 'anger', 'angry'],
        ['AudioWAV/1091_IEO_HAP_HI.wav', '1091', 'happy', 'happy'],
        ['AudioWAV/1002_TIE_FEA_LO.wav', '1002', 'fear', null],
      ],
    },
    {
      layout: 'tess',
      language: 'en',
      files: [
        ['OAF_angry/OAF_back_angry.wav', 'OAF', 'angry', 'angry'],
        ['YAF_pleasant_surprised/YAF_bite_ps.wav', 'YAF', 'surprise', null],
        ['YAF_sad/YAF_youth_sad.wav', 'YAF', 'sad', 'sad'],
      ],
    },
    {
      layout: 'savee',
      language: 'en',
      files: [
        ['DC_a01.wav', 'DC', 'anger', 'angry'],
        ['KL_su15.wav', 'KL', 'surprise', null],
        ['JE_sa03.wav', 'JE', 'sadness', 'sad'],
      ],
    },
    {
      layout: 'savee',
      language: 'en',
      files: [
        ['AudioData/JK/h12.wav', 'JK', 'happiness', 'happy'],
        ['AudioData/JE/n30.wav', 'JE', 'neutral', 'neutral'],
        ['AudioData/DC/d05.wav', 'DC', 'disgust', null],
      ],
    },
    {
      layout: 'emodb',
      language: 'de',
      files: [
        ['wav/03a01Fa.wav', '03', 'happiness', 'happy'],
        ['wav/16b10Lb.wav', '16', 'boredom', null],
        ['wav/08a02Tc.wav', '08', 'sadness', 'sad'],
      ],
    },
    {
      layout: 'emovo',
      language: 'it',
      files: [
        ['f1/rab-f1-b1.wav', 'f1', 'anger', 'angry'],
        ['m3/gio-m3-n5.wav', 'm3', 'joy', 'happy'],
        ['m3/pau-m3-l4.wav', 'm3', 'fear', null],
      ],
    },
    {
      layout: 'urdu',
      language: 'ur',
      files: [
        ['Angry/SM1_F10_A010.wav', 'SM1', 'angry', 'angry'],
        ['Sad/SF3_F2_S012.wav', 'SF3', 'sad', 'sad'],
        ['Neutral/SM27_F1_N01.wav', 'SM27', 'neutral', 'neutral'],
      ],
    },
    {
      layout: 'turev-db',
      language: 'tr',
      files: [
        ['Angry/1157_kz_acik.wav', '1157', 'angry', 'angry'],
        ['Calm/1234_sk_beste.wav', '1234', 'calm', 'neutral'],
        ['Happy/7895_mt_cay.wav', '7895', 'happy', 'happy'],
      ],
    },
    {
      layout: 'casia',
      language: 'zh',
      files: [
        ['liuchanhg/angry/201.wav', 'liuchanhg', 'angry', 'angry'],
        ['wangzhe/surprise/450.wav', 'wangzhe', 'surprise', null],
        ['ZhaoZuoxiang/neutral/301.wav', 'ZhaoZuoxiang', 'neutral', 'neutral'],
      ],
    },
    {
      layout: 'shemo',
      language: 'fa',
      files: [
        ['female/F01A01.wav', 'F01', 'anger', 'angry'],
        ['male/M12W05.wav', 'M12', 'surprise', null],
        ['female/F30H12.wav', 'F30', 'happiness', 'happy'],
      ],
    },
  ];

  it('has a case here for every layout', () => {
    expect(new Set(cases.map((example) => example.layout))).toEqual(new Set(LAYOUTS.map((layout) => layout.id)));
  });

  it.each(cases.map((example) => [`${example.layout}: ${example.files[0][0]}`, example] as const))(
    'recognises %s',
    async (_, { layout, language, files }) => {
      const root = await folderWith(files.map(([path]) => path));
      const corpus = await loadCorpus(root);
      expect(corpus).toMatchObject({ name: layout, layout, language, skippedFiles: [] });
      const byPath = Object.fromEntries(corpus.utterances.map((utterance) => [utterance.relativePath, utterance]));
      for (const [path, speaker, emotion, label] of files) {
        expect(byPath[path]).toMatchObject({ speaker, emotion, label, language, corpus: layout, path: join(root, path) });
      }
      expect(corpus.utterances).toHaveLength(files.length);
    },
  );

  it('skips stray audio files when nearly all names follow the layout, and ignores hidden ones', async () => {
    const actors = Array.from({ length: 20 }, (_, index) => String(index + 1).padStart(2, '0'));
    const root = await folderWith([
      ...actors.map((actor) => `Actor_${actor}/03-01-05-01-01-01-${actor}.wav`),
      'Actor_01/notes.WAV',
      'Actor_01/._03-01-05-01-01-01-01.wav',
      '.cache/03-01-05-01-01-01-01.wav',
      'Actor_01/readme.txt',
    ]);
    const corpus = await loadCorpus(root, { name: 'ravdess-part', language: 'fr' });
    expect(corpus).toMatchObject({ name: 'ravdess-part', language: 'fr', layout: 'ravdess' });
    expect(corpus.utterances).toHaveLength(20);
    expect(corpus.skippedFiles).toEqual([
      { relativePath: 'Actor_01/notes.WAV', reason: "the name does not follow RAVDESS's rules (e.g. Actor_12/03-01-05-01-02-01-12.wav)" },
    ]);
  });

  it('refuses a folder whose names follow no layout, listing the layouts and suggesting a manifest', async () => {
    const root = await folderWith(['take1.wav', 'take2.mp3', 'Actor_01/03-01-05-01-01-01-01.wav']);
    const failure = loadCorpus(root);
    await expect(failure).rejects.toThrow(CorpusError);
    await expect(failure).rejects.toThrow(
      `${root}: the names of its 3 audio files follow no known corpus layout (closest: RAVDESS, 1 of 3; at least 95% must fit).`,
    );
    for (const layout of LAYOUTS) await expect(failure).rejects.toThrow(`${layout.title} (${layout.language}): ${layout.example}`);
    await expect(failure).rejects.toThrow('add manifest.csv with the columns path,speaker,emotion (optional: language,duration_s)');
  });

  it('names no closest layout when no name fits any', async () => {
    const root = await folderWith(['take1.wav']);
    await expect(loadCorpus(root)).rejects.toThrow(`${root}: the names of its 1 audio files follow no known corpus layout. Expected names like:`);
  });

  it('refuses a folder without audio, a missing folder and an unknown taxonomy', async () => {
    const empty = await folderWith([], { 'notes.txt': 'x' });
    await expect(loadCorpus(empty)).rejects.toThrow(`${empty}: holds no audio files (.wav .flac .mp3 .ogg .m4a .webm)`);
    await expect(loadCorpus(join(empty, 'nowhere'))).rejects.toThrow(`${join(empty, 'nowhere')}: is not a folder`);
    // A caller without types (the CLI, JavaScript) can pass any string.
    await expect(loadCorpus(empty, { taxonomy: '5class' as '4class' })).rejects.toThrow('unknown taxonomy "5class"; expected one of 4class, 7class');
  });
});

describe.skipIf(!haveSharedCorpora)(
  `the real corpora in ../shared/corpora${haveSharedCorpora ? '' : ` (skipped: ${SHARED_CORPORA} is absent)`}`,
  () => {
    const real = [
      { name: 'ravdess', language: 'en', clips: 720, speakers: 24, fourClass: { neutral: 144, happy: 96, sad: 96, angry: 96, null: 288 } },
      { name: 'emodb', language: 'de', clips: 535, speakers: 10, fourClass: { neutral: 79, happy: 71, sad: 62, angry: 127, null: 196 } },
      { name: 'urdu', language: 'ur', clips: 400, speakers: 29, fourClass: { neutral: 100, happy: 100, sad: 100, angry: 100 } },
      { name: 'turev-db', language: 'tr', clips: 890, speakers: 6, fourClass: { neutral: 208, happy: 184, sad: 247, angry: 251 } },
    ];

    it.each(real)('$name loads from its manifest: $clips clips, $speakers speakers, 4-class counts', async (expected) => {
      const corpus = await loadCorpus(join(SHARED_CORPORA, expected.name));
      expect(corpus).toMatchObject({ name: expected.name, language: expected.language, layout: 'manifest', skippedFiles: [] });
      expect(corpus.utterances).toHaveLength(expected.clips);
      expect(speakersOf(corpus)).toHaveLength(expected.speakers);
      expect(new Set(corpus.utterances.map((utterance) => utterance.id)).size).toBe(expected.clips);
      expect(countBy(corpus.utterances.map((utterance) => utterance.label))).toEqual(expected.fourClass);
      expect(corpus.utterances.every((utterance) => utterance.durationSeconds !== undefined && utterance.durationSeconds > 0)).toBe(true);
    });

    it('reports the emotion words without a 4-class label, counted', async () => {
      expect((await loadCorpus(join(SHARED_CORPORA, 'emodb'))).unknownLabels).toEqual([
        { emotion: 'boredom', count: 81 },
        { emotion: 'fear', count: 69 },
        { emotion: 'disgust', count: 46 },
      ]);
      const ravdess = await loadCorpus(join(SHARED_CORPORA, 'ravdess'), { taxonomy: '7class' });
      expect(ravdess.unknownLabels).toEqual([]);
      expect(countBy(ravdess.utterances.map((utterance) => utterance.label))).toEqual({
        neutral: 144, happy: 96, sad: 96, angry: 96, fearful: 96, disgust: 96, surprised: 96,
      });
    });

    it('splits emodb by the protocol', async () => {
      const emodb = await loadCorpus(join(SHARED_CORPORA, 'emodb'));
      expect(protocolSplit(emodb.utterances.map((utterance) => utterance.speaker))).toEqual({
        adaptation: ['03', '09', '11', '13', '15'],
        test: ['08', '10', '12', '14', '16'],
      });
    });

    it.each(real)('$name read from its file names alone agrees with its manifest', async ({ name }) => {
      const root = join(SHARED_CORPORA, name);
      const fromManifest = await loadCorpus(root);
      const fromNames = await loadCorpus(root, { ignoreManifest: true });
      expect(fromNames).toMatchObject({ name, language: fromManifest.language, layout: name, skippedFiles: [] });
      const fields = (corpus: Corpus) =>
        corpus.utterances.map(({ id, relativePath, speaker, emotion, label }) => ({ id, relativePath, speaker, emotion, label }));
      expect(fields(fromNames)).toEqual(fields(fromManifest));
    });
  },
);
