import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
// Resolved through package.json's exports map (its `types` here, at type-check; `import` when the example runs).
import type { ModelCard } from 'ser-toolkit';
import { loadCorpus } from '../src/corpora/load.js';
import { resolveFeatureConfig } from '../src/features/config.js';
import { selectBackend } from '../src/model/backend.js';
import { saveModel } from '../src/model/io.js';
import { openFeatureStore, preprocessCorpus } from '../src/store/index.js';
import { DEFAULT_PRETRAIN_OPTIONS, pretrain } from '../src/train/pretrain.js';
import { repoRoot } from './helpers/cli.js';

const execFileAsync = promisify(execFile);
const demo = join(repoRoot, 'data/demo');

/** The README's programmatic example: the js block after the `<!-- readme-example -->` marker. */
function readmeExample(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const match = /<!-- readme-example -->\s*```js\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md has no js block after <!-- readme-example -->');
  return match[1];
}

describe("README's library example, run as written against the package by name", () => {
  // The example's paths, made in a folder of their own: a model and the source features, a clip, a target corpus.
  const work = mkdtempSync(join(tmpdir(), 'ser-readme-'));
  let labels: string[];

  beforeAll(async () => {
    await selectBackend('wasm');
    mkdirSync(join(work, 'node_modules'));
    symlinkSync(repoRoot, join(work, 'node_modules/ser-toolkit'), 'dir');
    await preprocessCorpus(await loadCorpus(join(demo, 'en')), join(work, 'features/ravdess'), { config: resolveFeatureConfig(), workers: 0 });
    const source = openFeatureStore(join(work, 'features/ravdess'));
    const pretrained = await pretrain(source, { ...DEFAULT_PRETRAIN_OPTIONS, epochs: 2, validationSpeakers: ['en02'], model: { channels: [16] } });
    labels = pretrained.card.labels;
    await saveModel(join(work, 'models/ravdess'), pretrained.model, pretrained.card);
    mkdirSync(join(work, 'corpora'));
    symlinkSync(join(demo, 'de'), join(work, 'corpora/emodb'), 'dir');
    const speaker = join(demo, 'de', 'de01');
    copyFileSync(join(speaker, readdirSync(speaker).find((file) => file.endsWith('.wav'))!), join(work, 'clip.wav'));
  });

  it('predicts the clip and writes the model adapted to the folder', async () => {
    writeFileSync(join(work, 'example.mjs'), readmeExample());
    const { stdout } = await execFileAsync(process.execPath, ['example.mjs'], { cwd: work });
    const [emotion] = stdout.trim().split(/\s/);
    expect(labels).toContain(emotion);
    const card = JSON.parse(readFileSync(join(work, 'models/emodb/card.json'), 'utf8')) as ModelCard;
    expect(card.adaptation?.method).toBe('selftrain');
    expect(card.adaptation?.targetCorpus).toBe(openFeatureStore(join(work, 'features/emodb')).corpus);
    expect(card.normalisation.fittedOn).toBe(card.adaptation?.targetCorpus);
  });
});
