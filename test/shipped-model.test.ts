import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { shippedModelOnDemo } from '../src/experiment/demo.js';
import { trainReleaseModel } from '../src/experiment/release.js';
import { loadModel } from '../src/model/io.js';
import { resolveFeatureConfig } from '../src/features/config.js';
import { selectBackend } from '../src/model/backend.js';
import { SHIPPED_MODEL_NAME, shippedModelDir } from '../src/model/shipped.js';
import { compiledCli, repoRoot, runCli } from './helpers/cli.js';

const demo = join(repoRoot, 'data', 'demo');
const work = mkdtempSync(join(tmpdir(), 'ser-shipped-'));
const cardOf = (modelDir: string) => JSON.parse(readFileSync(join(modelDir, 'card.json'), 'utf8'));

describe('the release model command (on the demo corpora, 2 epochs)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('is reproducible: the same seed gives the same weights, and the card lists every corpus with its language and terms', async () => {
    const release = (out: string) =>
      trainReleaseModel({
        corpora: [join(demo, 'en'), join(demo, 'de')],
        out,
        featuresDir: join(work, 'features'),
        featureConfig: resolveFeatureConfig(),
        recipe: 'functionals',
        seed: 0,
        epochs: 2,
        workers: 0,
        log: () => {},
      });
    const { card, readme } = await release(join(work, 'a'));
    await release(join(work, 'b'));
    expect(readFileSync(join(work, 'a', 'weights.bin')).equals(readFileSync(join(work, 'b', 'weights.bin')))).toBe(true);
    expect(card.sources?.map((s) => [s.corpus, s.language, s.clips])).toEqual([['en', 'en', 64], ['de', 'de', 64]]);
    expect(readme).toContain('| en | en | 64 (48 training, 16 validation) |');
    expect(readme).toContain('non-commercial research use only');
    expect(readme).toContain('Not measured: run `npm run bench:experiment -- --leave-one-out`');
    expect(readFileSync(join(work, 'a', 'README.md'), 'utf8')).toBe(readme);
  });

  it('the committed model is small, four-class and trained on the four shared corpora', () => {
    const dir = shippedModelDir();
    expect(dir, `models/${SHIPPED_MODEL_NAME} is missing: run npm run release:model`).not.toBeNull();
    const bytes = readdirSync(dir!).reduce((sum, file) => sum + readFileSync(join(dir!, file)).length, 0);
    expect(bytes).toBeLessThan(5 * 1024 * 1024);
    const card = cardOf(dir!);
    expect(card.labels).toEqual(['neutral', 'happy', 'sad', 'angry']);
    expect(card.sources.map((s: { corpus: string; language: string }) => `${s.corpus}:${s.language}`).sort()).toEqual(['emodb:de', 'ravdess:en', 'turev-db:tr', 'urdu:ur']);
    expect(readFileSync(join(dir!, 'README.md'), 'utf8')).toContain('CC BY-NC-SA 4.0');
  });

  it('adapted with AdaBN to the demo German pool audio alone (what npm start shows), it gains on the test speakers', async () => {
    // The German store the reproducibility test extracted.
    const { asIsUar, adaptedUar, adapted } = await shippedModelOnDemo(await loadModel(shippedModelDir()!), join(work, 'features', 'de'), 0);
    expect(adapted.card.adaptation).toMatchObject({ method: 'adabn', labelledClips: [], adaptationSpeakers: ['de01', 'de03'] });
    expect(adaptedUar).toBeGreaterThan(asIsUar);
    expect(adaptedUar).toBeGreaterThan(0.4);
  });
});

/** The plain folder holds FLAC and Ogg Vorbis clips beside WAV, made with ffmpeg; without it they are WAV too, except under CI, where its absence is a failure. */
const ffmpegAvailable = spawnSync('ffmpeg', ['-version']).status === 0;
if (!ffmpegAvailable) {
  if (process.env.CI === 'true') throw new Error('ffmpeg is not on PATH, and CI=true requires it: apt-get install ffmpeg');
  console.warn('ffmpeg is not on PATH: the plain-folder adaptation test runs on WAV clips alone (apt-get install ffmpeg to test FLAC and Ogg)');
}
/** Clip i of a speaker: the last two in FLAC and Ogg Vorbis when ffmpeg is there. */
const OTHER_FORMATS: Record<number, string[]> = { 14: ['-c:a', 'flac'], 15: ['-c:a', 'libvorbis'] };
const extensionOf = (i: number) => (ffmpegAvailable && OTHER_FORMATS[i] ? (i === 14 ? 'flac' : 'ogg') : 'wav');

describe.skipIf(!existsSync(compiledCli))('compiled `ser predict` and `ser adapt` without --model, and adaptation to a plain folder of audio', () => {
  // A folder of clips with names of no known corpus, in speaker sub-folders, no manifest, no labels, of several formats.
  const clips = join(work, 'my-recordings');
  beforeAll(() => {
    for (const speaker of ['de01', 'de03']) {
      mkdirSync(join(clips, `person-${speaker}`), { recursive: true });
      readdirSync(join(demo, 'de', speaker)).filter((f) => f.endsWith('.wav')).forEach((file, i) => {
        const from = join(demo, 'de', speaker, file);
        const to = join(clips, `person-${speaker}`, `take ${i}.${extensionOf(i)}`);
        if (extensionOf(i) === 'wav') symlinkSync(from, to);
        else execFileSync('ffmpeg', ['-loglevel', 'error', '-i', from, ...OTHER_FORMATS[i], to]);
      });
    }
  });

  it('predicts with the shipped model when --model is omitted', async () => {
    const predicted = await runCli(['predict', '--backend', 'wasm', join(clips, 'person-de01', 'take 0.wav')]);
    expect(predicted.code, predicted.stderr).toBe(0);
    const [clip] = JSON.parse(predicted.stdout);
    expect(['neutral', 'happy', 'sad', 'angry']).toContain(clip.emotion);
  });

  it('adapts the shipped model to the unlabelled folder with AdaBN, no --source needed, using every clip', async () => {
    const out = join(work, 'adapted');
    const adapted = await runCli(['adapt', '--backend', 'wasm', '--target', clips, '--out', out, '--workers', '1']);
    expect(adapted.code, adapted.stderr).toBe(0);
    expect(adapted.stderr).toContain('taken as unlabelled audio');
    // The recommended unsupervised method (adabn, chosen leave-one-corpus-out) needs no source data.
    expect(adapted.stderr).not.toContain('No --source');
    const card = cardOf(out);
    // Every clip counted: the FLAC and Ogg ones were decoded (a clip that fails is left out of the pool).
    expect(card.adaptation).toMatchObject({ method: 'adabn', targetCorpus: 'my-recordings', targetLanguage: 'und', unlabelledClips: 32, adaptationSpeakers: ['person-de01', 'person-de03'] });
    expect(card.sources).toHaveLength(4);
    const predicted = await runCli(['predict', '--backend', 'wasm', '--model', out, ...[1, 14, 15].map((i) => join(clips, 'person-de03', `take ${i}.${extensionOf(i)}`))]);
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(JSON.parse(predicted.stdout).map((clip: { emotion: string }) => ['neutral', 'happy', 'sad', 'angry'].includes(clip.emotion))).toEqual([true, true, true]);
  });

  it('a method that needs source data says so and names --source', async () => {
    for (const args of [['--method', 'selftrain'], ['--shots', '2']]) {
      const refused = await runCli(['adapt', '--backend', 'wasm', '--target', clips, '--out', join(work, 'refused'), ...args]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/trains on labelled source clips beside the target: give the corpora the model was trained on with --source/);
    }
  });
});
