import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus } from '../src/corpora/load.js';
import { resolveFeatureConfig } from '../src/features/config.js';
import { preprocessCorpus } from '../src/store/index.js';
import { repoRoot, runCli } from './helpers/cli.js';

const demo = join(repoRoot, 'data', 'demo');
const work = mkdtempSync(join(tmpdir(), 'ser-cli-train-'));
const store = (language: string) => join(work, language);
const cardOf = (modelDir: string) => JSON.parse(readFileSync(join(modelDir, 'card.json'), 'utf8'));

describe('compiled `ser train` and `ser adapt` (recipes, self-training)', () => {
  beforeAll(async () => {
    for (const language of ['en', 'de']) {
      await preprocessCorpus(await loadCorpus(join(demo, language)), store(language), { config: resolveFeatureConfig(), workers: 0 });
    }
  });

  it('trains a functionals-recipe source model and adapts it by self-training, recording both in the cards', async () => {
    const source = join(work, 'model-en');
    const trained = await runCli(['train', '--backend', 'wasm', '--source', store('en'), '--out', source, '--recipe', 'functionals', '--epochs', '3', '--validation-speakers', 'en02', '--threads', '2']);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toContain('2 thread(s)');
    const card = cardOf(source);
    expect(card.training.threads).toBe(2);
    expect(card.modelSpec.channels).toEqual([]);
    expect(card.modelSpec.utteranceNorm).toBe(true);
    expect(card.normalisation.activeFrameThresholdDb).toBe(80);
    expect(card.training.dropout).toBe(0.6);

    const adaptedDir = join(work, 'model-de');
    const adapted = await runCli(['adapt', '--backend', 'wasm', '--model', source, '--source', store('en'), '--target', store('de'), '--method', 'selftrain', '--epochs', '1', '--out', adaptedDir]);
    expect(adapted.code, adapted.stderr).toBe(0);
    const adaptation = cardOf(adaptedDir).adaptation;
    expect(adaptation.method).toBe('selftrain');
    expect(adaptation.targetLanguage).toBe('de');
    expect(adaptation.labelledClips).toEqual([]);
    expect(adaptation.schedule).toMatch(/source model and its AdaBN copy agree pseudo-labelled \(the most confident 0.5 of each class\)/);
    expect(adaptation.schedule).not.toMatch(/then AdaBN/);

    const fewShotDir = join(work, 'model-de-2shot');
    const fewShot = await runCli(['adapt', '--backend', 'wasm', '--model', source, '--source', store('en'), '--target', store('de'), '--shots', '2', '--epochs', '1', '--out', fewShotDir]);
    expect(fewShot.code, fewShot.stderr).toBe(0);
    // With labelled clips the default is AdaBN, the benchmark's best few-shot method.
    expect(cardOf(fewShotDir).adaptation).toMatchObject({ method: 'adabn', shots: 2 });
    expect(cardOf(fewShotDir).adaptation.labelledClips).toHaveLength(8);
  });

  it('explains the recipes in --help, wrapped at word boundaries', async () => {
    const { code, stdout } = await runCli(['train', '--help']);
    expect(code).toBe(0);
    const text = stdout.replace(/\s+/g, ' ');
    expect(text).toContain('conv: convolutional encoder, best when the model is used in the language it learns;');
    expect(text).toContain('model folder to write (model.json, weights.bin, card.json; checkpoints in <out>/checkpoints)');
  });

  it('refuses a thread count that is not a whole number of at least 1', async () => {
    const result = await runCli(['train', '--backend', 'wasm', '--source', store('en'), '--out', join(work, 'never'), '--threads', '0']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--threads must be a whole number from 1 to 1024, got 0');
    expect(existsSync(join(work, 'never'))).toBe(false);
  });

  it('refuses an unknown recipe and names the choices', async () => {
    const result = await runCli(['train', '--source', store('en'), '--out', join(work, 'never'), '--recipe', 'transformer']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/recipe/);
    expect(result.stderr).toMatch(/conv/);
    expect(result.stderr).toMatch(/functionals/);
    expect(existsSync(join(work, 'never'))).toBe(false);
  });
});
