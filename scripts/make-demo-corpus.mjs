#!/usr/bin/env node
// make-demo-corpus.mjs: builds the small, licence-free bilingual emotional speech corpus in data/demo.
//
// HOW TO RUN (from the repository root):
//
//   node scripts/make-demo-corpus.mjs              # rebuilds data/demo from scratch
//   node scripts/make-demo-corpus.mjs --out DIR    # writes the corpus to DIR instead
//
// Needs Node >= 20, espeak-ng and sox on the PATH. On Debian/Ubuntu:
//
//   sudo apt-get install -y espeak-ng sox
//
// What it makes (see data/demo/README.md for the full description):
//   - en/ (source language): 4 English espeak-ng "speakers" (voice + variant), clean channel.
//   - de/ (target language): 4 German espeak-ng "speakers", telephone-like channel: room reverb,
//     low-level pink noise, 300-3400 Hz band-pass.
//   - 4 emotions (neutral, happy, sad, angry) acted through prosody (speaking rate, pitch, pitch
//     range, amplitude) and voice quality (sox: overdrive and treble tilt for angry, treble for
//     happy, low-pass, bass tilt and tremolo for sad), with seeded per-clip jitter so that the
//     classes overlap a little.
//   - 4 sentences per language; every speaker says each sentence once per emotion, so the text
//     is balanced across the emotions.
//   - 16 kHz mono 16-bit PCM WAV, leading and trailing silence trimmed, at
//     <lang>/<speaker>/<speaker>_<emotion>_<nn>.wav (nn = sentence number), plus
//     <lang>/manifest.csv with the columns path,speaker,emotion,language,duration_s.
//
// Deterministic: every random choice comes from a fixed seed hashed with the clip's identity, and
// the sox calls run with -R (repeatable random numbers) and -D (no dither), so a rerun with the same
// espeak-ng and sox versions writes byte-identical files (built with espeak-ng 1.51, SoX 14.4.2).
// Idempotent: the corpus is built in a staging folder next to the output and only then renamed into
// place (the previous data/demo is removed after the new one is in place); an error leaves the old
// corpus untouched.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, renameSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SEED = 'ser-demo-corpus/1';
const TOOL_VERSIONS = { espeak: 'espeak-ng', sox: 'sox' };
const SAMPLE_RATE = 16000;
const EMOTIONS = ['neutral', 'happy', 'sad', 'angry'];

// ---------------------------------------------------------------------------------------------------
// Languages, speakers, sentences and channel. A "speaker" is an espeak-ng voice with a variant
// (+m1, +f2, ...) and its own base pitch (-p, 0-99) and base speaking rate (-s, words per minute).
// Speaker ids are chosen so that the even/odd split of the sorted ids gives one male and one female
// voice on each side in both languages (xx01 m, xx02 f, xx03 f, xx04 m).
// ---------------------------------------------------------------------------------------------------
const LANGUAGES = [
  {
    code: 'en',
    channel: 'clean',
    speakers: [
      { id: 'en01', voice: 'en-us+m1', pitch: 46, rate: 170 },
      { id: 'en02', voice: 'en-gb+f2', pitch: 52, rate: 178 },
      { id: 'en03', voice: 'en-us+f4', pitch: 48, rate: 182 },
      { id: 'en04', voice: 'en-gb+m3', pitch: 54, rate: 165 },
    ],
    sentences: [
      'Open the door.',
      'Call me tomorrow.',
      'The bus is late.',
      'We leave at noon.',
    ],
  },
  {
    code: 'de',
    channel: 'telephone',
    speakers: [
      { id: 'de01', voice: 'de+m2', pitch: 48, rate: 172 },
      { id: 'de02', voice: 'de+f1', pitch: 50, rate: 180 },
      { id: 'de03', voice: 'de+f3', pitch: 46, rate: 168 },
      { id: 'de04', voice: 'de+m4', pitch: 53, rate: 176 },
    ],
    sentences: [
      'Mach die Tür auf.',
      'Ruf mich morgen an.',
      'Der Bus ist spät.',
      'Schau dir das an.',
    ],
  },
];

// ---------------------------------------------------------------------------------------------------
// Emotion rendering. Each numeric setting is [centre, half-width]: the clip's value is drawn uniformly
// from centre ± half-width (seeded), which makes neighbouring classes overlap.
//   rate   multiplies the speaker's words per minute (espeak-ng -s)
//   pitch  is added to the speaker's pitch (espeak-ng -p, 0-99)
//   range  is the SSML <prosody range="..%"> (espeak-ng honours roughly 0-200 %)
//   amp    is espeak-ng -a (0-200); it changes the synthesiser's drive, the level is set by `peak`
//   peak   is the final peak level in dBFS (sox gain -n)
// `fx(r)` returns the sox voice-quality effects for one clip, using the clip's random stream r.
// ---------------------------------------------------------------------------------------------------
const EMOTION_STYLE = {
  neutral: {
    rate: [1.0, 0.1], pitch: [0, 7], range: [100, 30], amp: [100, 15], peak: [-6, 3],
    fx: () => [],
  },
  happy: {
    rate: [1.1, 0.1], pitch: [10, 7], range: [170, 30], amp: [115, 15], peak: [-4, 3],
    fx: (r) => ['treble', fmt(r.between(0, 4)), '3000'],
  },
  sad: {
    rate: [0.82, 0.1], pitch: [-9, 7], range: [45, 25], amp: [85, 15], peak: [-9, 3],
    fx: (r) => [
      'lowpass', fmt(r.between(2200, 4000), 0),
      'bass', fmt(r.between(0, 3)), '250',
      'tremolo', fmt(r.between(4.5, 6.5)), fmt(r.between(5, 15), 0),
    ],
  },
  angry: {
    rate: [1.12, 0.1], pitch: [5, 7], range: [150, 40], amp: [150, 25], peak: [-3, 2],
    fx: (r) => [
      'overdrive', fmt(r.between(8, 18)), '20', 'gain', '-8',
      'treble', fmt(r.between(2, 6)), '2500',
      'contrast', fmt(r.between(5, 40), 0),
    ],
  },
};

// Human-readable summary of the fx chains above, for data/demo/README.md.
const FX_DOC = {
  neutral: 'none',
  happy: 'treble +0…4 dB at 3 kHz (brighter)',
  sad: 'low-pass 2.2–4 kHz, bass +0…3 dB at 250 Hz (darker), tremolo 4.5–6.5 Hz at 5–15 % (shaky)',
  angry: 'overdrive gain 8–18 dB (harsh), treble +2…6 dB at 2.5 kHz (flatter tilt), contrast 5–40 (compressed, louder)',
};

// The German telephone channel, applied after the voice-quality effects and before the final level:
// a small room (reverb), pink noise about 30 dB below the speech peak, then the 300-3400 Hz band of
// a narrow-band telephone line.
const TELEPHONE = {
  reverb: ['reverb', '30', '50', '20', '0', '0', '-4'],
  // pink noise (peak -12 dBFS, RMS about -26 dBFS) is scaled by this many dB (uniform centre ± half)
  // and mixed under speech normalised to a -3 dBFS peak: after the band-pass the noise sits near
  // -51 dBFS RMS, about 30 dB below the speech RMS (SNR roughly 27-33 dB).
  noiseDb: [-20, 3],
  band: ['sinc', '300-3400'],
};

// ---------------------------------------------------------------------------------------------------
// Seeded random numbers: an FNV-1a hash of SEED + the clip's identity seeds a mulberry32 stream, so
// each clip's parameters depend only on who/what/which sentence, never on the generation order.
// ---------------------------------------------------------------------------------------------------
function hash32(text) {
  let h = 0x811c9dc5;
  for (const ch of text) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function randomStream(key) {
  let a = hash32(`${SEED}|${key}`);
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (lo, hi) => lo + (hi - lo) * next(),
    around: ([centre, half]) => centre + half * (2 * next() - 1),
  };
}

function fmt(x, digits = 2) {
  return x.toFixed(digits);
}

// ---------------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------------
function fail(message) {
  process.stderr.write(`make-demo-corpus: ${message}\n`);
  process.exit(1);
}

function requireTool(name, args) {
  const res = spawnSync(name, args, { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    fail(
      `${name} is missing or not working (${res.error ? res.error.code ?? res.error.message : `exit ${res.status}`}).\n` +
        `  Install both tools with:  sudo apt-get install -y espeak-ng sox`,
    );
  }
  return `${res.stdout}${res.stderr}`.trim().split('\n')[0];
}

function run(cmd, args) {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.error) throw new Error(`${cmd} could not start: ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${res.status}):\n${res.stderr}`);
  }
  return { stdout: res.stdout, stderr: res.stderr };
}

// sox with repeatable random numbers and no dither; -V2 shows errors and warnings, so that a
// clipping warning can be turned into an error.
const SOX_GLOBAL = ['-R', '-D', '-V2'];
const FLOAT = ['-e', 'floating-point', '-b', '32'];
const PCM16 = ['-e', 'signed-integer', '-b', '16', '-c', '1', '-r', String(SAMPLE_RATE)];
const TRIM = ['silence', '1', '0.01', '-45d', 'reverse', 'silence', '1', '0.01', '-45d', 'reverse'];

function sox(args) {
  const { stderr } = run('sox', [...SOX_GLOBAL, ...args]);
  if (/clip/i.test(stderr)) throw new Error(`sox reported clipping: ${stderr}`);
}

/** Duration in seconds of a PCM WAV file, read from its header and data chunk. */
function wavDuration(path) {
  const buf = readFileSync(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path} is not a RIFF/WAVE file`);
  }
  let off = 12;
  let fmtChunk = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      fmtChunk = {
        format: buf.readUInt16LE(off + 8),
        channels: buf.readUInt16LE(off + 10),
        rate: buf.readUInt32LE(off + 12),
        bits: buf.readUInt16LE(off + 22),
      };
    } else if (id === 'data') {
      if (!fmtChunk) throw new Error(`${path}: data chunk before fmt chunk`);
      if (fmtChunk.format !== 1 || fmtChunk.channels !== 1 || fmtChunk.bits !== 16 || fmtChunk.rate !== SAMPLE_RATE) {
        throw new Error(`${path}: expected 16 kHz mono 16-bit PCM, got ${JSON.stringify(fmtChunk)}`);
      }
      return size / (SAMPLE_RATE * 2);
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

function escapeXml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---------------------------------------------------------------------------------------------------
// One clip
// ---------------------------------------------------------------------------------------------------
function makeClip({ lang, speaker, emotion, index, sentence, outPath, work, noiseFile, noiseSeconds }) {
  const key = `${lang.code}|${speaker.id}|${emotion}|${index}`;
  const r = randomStream(key);
  const style = EMOTION_STYLE[emotion];

  const rate = Math.round(speaker.rate * r.around(style.rate));
  const pitch = Math.max(0, Math.min(99, Math.round(speaker.pitch + r.around(style.pitch))));
  const range = Math.max(0, Math.min(200, Math.round(r.around(style.range))));
  const amp = Math.max(0, Math.min(200, Math.round(r.around(style.amp))));
  const peak = Math.min(-1, r.around(style.peak));
  const fx = style.fx(r);

  const raw = join(work, 'raw.wav');
  const voiced = join(work, 'voiced.wav');
  const ssml = `<speak><prosody range="${range}%">${escapeXml(sentence)}</prosody></speak>`;
  run('espeak-ng', ['-m', '-z', '-v', speaker.voice, '-s', String(rate), '-p', String(pitch), '-a', String(amp), '-w', raw, ssml]);

  // voice quality (after 8 dB of headroom: sox clips at full scale between effects), peak to -6 dBFS,
  // silence trim, resample to 16 kHz, peak to -3 dBFS; float intermediate
  sox([raw, ...FLOAT, '-c', '1', voiced, 'gain', '-8', ...fx, 'gain', '-n', '-6', ...TRIM, 'rate', '-v', String(SAMPLE_RATE), 'gain', '-n', '-3']);

  if (lang.channel === 'clean') {
    sox([voiced, ...PCM16, outPath, 'gain', '-n', fmt(peak)]);
  } else {
    const seconds = wavDuration32(voiced);
    const offset = r.between(0, noiseSeconds - seconds - 0.1);
    const noiseGain = Math.pow(10, r.around(TELEPHONE.noiseDb) / 20);
    const room = join(work, 'room.wav');
    const noise = join(work, 'noise.wav');
    sox([voiced, ...FLOAT, room, ...TELEPHONE.reverb]);
    sox([noiseFile, ...FLOAT, noise, 'trim', fmt(offset, 4), fmt(seconds, 4)]);
    sox(['-m', '-v', '1', room, '-v', fmt(noiseGain, 5), noise, ...PCM16, outPath, ...TELEPHONE.band, 'gain', '-n', fmt(peak)]);
  }
  return { rate, pitch, range, amp, peak };
}

/** Duration in seconds of a sox intermediate (32-bit float WAV), asked of sox itself. */
function wavDuration32(path) {
  const seconds = Number(run('sox', ['--i', '-D', path]).stdout.trim() || NaN);
  if (!Number.isFinite(seconds)) throw new Error(`cannot read the duration of ${path}`);
  return seconds;
}

// ---------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------
function parseArgs(argv) {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  let out = join(repoRoot, 'data', 'demo');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = resolve(argv[++i]);
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: node scripts/make-demo-corpus.mjs [--out DIR]   (default: data/demo)\n');
      process.exit(0);
    } else fail(`unknown argument ${argv[i]} (usage: node scripts/make-demo-corpus.mjs [--out DIR])`);
  }
  return { out };
}

function main() {
  const { out } = parseArgs(process.argv.slice(2));
  const espeakVersion = requireTool('espeak-ng', ['--version']);
  const soxVersion = requireTool('sox', ['--version']);
  process.stdout.write(`using ${espeakVersion}\nusing ${soxVersion}\n`);
  TOOL_VERSIONS.espeak = `espeak-ng ${(/\d+\.\d+(\.\d+)?/.exec(espeakVersion) ?? ['(unknown version)'])[0]}`;
  TOOL_VERSIONS.sox = `SoX ${(/\d+\.\d+(\.\d+)?/.exec(soxVersion) ?? ['(unknown version)'])[0]}`;

  mkdirSync(dirname(out), { recursive: true });
  const staging = join(dirname(out), `.${basenameOf(out)}.staging-${process.pid}`);
  const work = mkdtempSync(join(tmpdir(), 'ser-demo-'));
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });

  try {
    // one shared noise recording; each German clip takes a seeded segment of it
    const noiseFile = join(work, 'pink.wav');
    const noiseSeconds = 30;
    sox(['-n', ...FLOAT, '-c', '1', '-r', String(SAMPLE_RATE), noiseFile, 'synth', String(noiseSeconds), 'pinknoise', 'gain', '-n', '-12']);

    const summary = [];
    for (const lang of LANGUAGES) {
      const langDir = join(staging, lang.code);
      const rows = [];
      for (const speaker of lang.speakers) {
        mkdirSync(join(langDir, speaker.id), { recursive: true });
        for (const emotion of EMOTIONS) {
          lang.sentences.forEach((sentence, i) => {
            const nn = String(i + 1).padStart(2, '0');
            const rel = `${speaker.id}/${speaker.id}_${emotion}_${nn}.wav`;
            const outPath = join(langDir, rel);
            makeClip({ lang, speaker, emotion, index: i + 1, sentence, outPath, work, noiseFile, noiseSeconds });
            const duration = wavDuration(outPath);
            rows.push({ path: rel, speaker: speaker.id, emotion, language: lang.code, duration });
          });
        }
      }
      rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const csv = ['path,speaker,emotion,language,duration_s']
        .concat(rows.map((x) => `${x.path},${x.speaker},${x.emotion},${x.language},${x.duration.toFixed(3)}`))
        .join('\n');
      writeFileSync(join(langDir, 'manifest.csv'), `${csv}\n`);
      summary.push({ lang: lang.code, rows });
    }
    writeFileSync(join(staging, 'README.md'), corpusReadme(summary));

    // swap into place: old -> aside, staging -> out, remove old
    const aside = join(dirname(out), `.${basenameOf(out)}.old-${process.pid}`);
    if (existsSync(out)) renameSync(out, aside);
    renameSync(staging, out);
    rmSync(aside, { recursive: true, force: true });

    for (const { lang, rows } of summary) {
      const d = rows.map((x) => x.duration);
      const total = d.reduce((a, b) => a + b, 0);
      process.stdout.write(
        `${lang}: ${rows.length} clips, ${new Set(rows.map((x) => x.speaker)).size} speakers, ` +
          `duration ${Math.min(...d).toFixed(2)}-${Math.max(...d).toFixed(2)} s (mean ${(total / d.length).toFixed(2)} s, total ${total.toFixed(1)} s)\n`,
      );
    }
    process.stdout.write(`wrote ${relative(process.cwd(), out) || out} (${countFiles(out)} files)\n`);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    fail(err instanceof Error ? err.message : String(err));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function basenameOf(p) {
  return p.split(/[\\/]/).filter(Boolean).pop();
}

function countFiles(dir) {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    n += entry.isDirectory() ? countFiles(join(dir, entry.name)) : 1;
  }
  return n;
}

function corpusReadme(summary) {
  const speakerRows = LANGUAGES.flatMap((lang) =>
    lang.speakers.map((s) => `| ${lang.code} | ${s.id} | \`${s.voice}\` | ${s.pitch} | ${s.rate} |`),
  );
  const styleRows = EMOTIONS.map((e) => {
    const st = EMOTION_STYLE[e];
    const pm = ([c, h], d = 0) => `${c.toFixed(d)} ± ${h.toFixed(d)}`;
    return `| ${e} | × ${pm(st.rate, 2)} | ${st.pitch[0] >= 0 ? '+' : ''}${pm(st.pitch)} | ${pm(st.range)} % | ${pm(st.amp)} | ${pm(st.peak, 1)} | ${FX_DOC[e]} |`;
  });
  const sizeRows = summary.map(({ lang, rows }) => {
    const total = rows.reduce((a, x) => a + x.duration, 0);
    const d = rows.map((x) => x.duration);
    return `| ${lang} | ${new Set(rows.map((x) => x.speaker)).size} | ${rows.length} | ${(rows.length / new Set(rows.map((x) => x.speaker)).size / EMOTIONS.length).toFixed(0)} | ${Math.min(...d).toFixed(2)}–${Math.max(...d).toFixed(2)} s | ${total.toFixed(1)} s |`;
  });
  const sentences = LANGUAGES.map(
    (lang) => `- ${lang.code}: ${lang.sentences.map((t, i) => `${String(i + 1).padStart(2, '0')} “${t}”`).join(', ')}`,
  );
  return `# Demo corpus: synthetic bilingual emotional speech

A tiny emotional speech corpus for trying the toolkit end to end without downloading anything:
**English** (\`en/\`, the source language) and **German** (\`de/\`, the target language), four
emotions (**neutral, happy, sad, angry**), synthesised with espeak-ng and shaped with sox. It is a
demo and a test fixture, not a benchmark: the emotions are rule-based renderings by a formant
synthesiser, so numbers measured on it say nothing about real emotional speech.

Generated by \`scripts/make-demo-corpus.mjs\` (do not edit by hand; rerun the script instead):

\`\`\`sh
sudo apt-get install -y espeak-ng sox     # once
node scripts/make-demo-corpus.mjs         # rebuilds data/demo from scratch
\`\`\`

## Layout

\`\`\`
data/demo/
  README.md
  en/manifest.csv
  en/<speaker>/<speaker>_<emotion>_<nn>.wav
  de/manifest.csv
  de/<speaker>/<speaker>_<emotion>_<nn>.wav
\`\`\`

- Audio: WAV, 16 kHz, mono, 16-bit signed PCM; leading and trailing silence trimmed; peaks at or
  below −1 dBFS (no clipping).
- \`<nn>\` is the sentence number: every speaker says every sentence once in every emotion, so the
  text is balanced across the emotions and the classes differ only in how the sentence is said.
- \`manifest.csv\` columns: \`path,speaker,emotion,language,duration_s\` (\`path\` relative to the
  folder holding the manifest, \`language\` \`en\` or \`de\`, duration in seconds).
- Speaker ids sort so that the even/odd protocol split (positions 0, 2, … vs 1, 3, … of the sorted
  speaker ids) puts one male and one female voice on each side: de01, de03 (adaptation) and
  de02, de04 (test); en01, en03 and en02, en04.

| language | speakers | clips | clips per speaker and emotion | clip duration | total |
|---|---|---|---|---|---|
${sizeRows.join('\n')}

Sentences:

${sentences.join('\n')}

## How it was made

**Speakers.** A speaker is an espeak-ng voice with a variant (\`+m1\`, \`+f2\`, …) and its own base
pitch (\`-p\`, 0–99) and base speaking rate (\`-s\`, words per minute):

| language | speaker | espeak-ng voice | base pitch | base rate |
|---|---|---|---|---|
${speakerRows.join('\n')}

**Emotions.** Each clip draws its settings uniformly from centre ± half-width, with a random stream
seeded by the clip's identity (language, speaker, emotion, sentence), so the classes overlap a little
and the corpus is not trivially separable. Rate multiplies the speaker's rate; pitch is added to the
speaker's \`-p\`; range is SSML \`<prosody range="…%">\` (espeak-ng \`-m\`); amplitude is \`-a\`; the final
peak level is set with \`sox gain -n\`; voice quality is a sox effect chain with seeded parameters.

| emotion | rate | pitch (-p) | pitch range | amplitude (-a) | peak dBFS | voice quality (sox) |
|---|---|---|---|---|---|---|
${styleRows.join('\n')}

**Channels (the language shift).** The two languages are recorded through different channels, so that
a model trained on English meets a real domain shift on German, not only a change of language:

- \`en\`: clean, full band (0–8 kHz), no added noise or reverb.
- \`de\`: telephone-like: a small room (\`reverb 30 50 20 0 0 -4\`), pink noise about 30 dB below the
  speech (SNR roughly 27–33 dB, a different seeded segment of one noise recording per clip), then the
  300–3400 Hz telephone band (\`sinc 300-3400\`), then the emotion's peak level.

Per clip: \`espeak-ng -m -z -v <voice> -s <rate> -p <pitch> -a <amp>\` (22.05 kHz) → voice-quality
effects → peak to −6 dBFS → silence trim (\`silence 1 0.01 -45d\` at both ends) → \`rate -v 16000\` → [German channel] →
\`gain -n <peak>\` → 16-bit PCM.

**Reproducibility.** No clock or unseeded randomness is involved: the seeded streams decide every
parameter and sox runs with \`-R\` (repeatable random numbers, used for the noise) and \`-D\` (no
dither), so a rerun with the same tool versions writes byte-identical files. This copy was made with
${TOOL_VERSIONS.espeak} and ${TOOL_VERSIONS.sox}; other versions may differ in small details. The
script builds the corpus in a staging folder and swaps it into place, so a failed run leaves the
previous corpus untouched.

## Licence

Generated data, free to use for any purpose: dedicated to the public domain under
[CC0 1.0](https://creativecommons.org/publicdomain/zero/1.0/). The audio is the output of the
espeak-ng formant synthesiser (built-in eSpeak voices and variants, no MBROLA voices) processed with
sox; the programs' licences (GPL) cover the programs, not the speech they produce, and the voices are
synthetic, not recordings of any person. The sentences were written for this corpus.
`;
}

main();
