import { join } from 'node:path';
import { loadCorpus } from '../../src/corpora/index.js';
import { resolveFeatureConfig } from '../../src/features/index.js';
import { saveModel } from '../../src/model/io.js';
import { openFeatureStore, preprocessCorpus } from '../../src/store/index.js';
import { DEFAULT_PRETRAIN_OPTIONS, pretrain } from '../../src/train/pretrain.js';
import { repoRoot } from './cli.js';

/**
 * A real (if briefly trained: one epoch, narrow layers) model of the English demo corpus, written into
 * `work`/model as `ser train` writes it; a few seconds. A tfjs backend must be selected first.
 */
export async function trainTinyModel(work: string): Promise<string> {
  const storeDir = join(work, 'store');
  await preprocessCorpus(await loadCorpus(join(repoRoot, 'data/demo/en')), storeDir, { config: resolveFeatureConfig(), workers: 0 });
  const trained = await pretrain(openFeatureStore(storeDir), {
    ...DEFAULT_PRETRAIN_OPTIONS,
    epochs: 1,
    validationSpeakers: ['en02'],
    model: { channels: [8, 8, 8], embeddingDim: 16 },
  });
  const modelDir = join(work, 'model');
  await saveModel(modelDir, trained.model, trained.card);
  return modelDir;
}
