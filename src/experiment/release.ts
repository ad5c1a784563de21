import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCorpus } from '../corpora/load.js';
import { holdOutSpeakers } from '../corpora/split.js';
import { PROTOCOL_SETTINGS, sourceName, type ExperimentResults } from '../eval/experimentReport.js';
import { formatInterval, formatMeanStd } from '../eval/format.js';
import type { FeatureConfig } from '../features/config.js';
import { saveModel, type ModelCard } from '../model/io.js';
import { openFeatureStore, preprocessCorpus, type FeatureStore } from '../store/index.js';
import { labelledItems } from '../store/items.js';
import { pretrainOnSources } from '../train/pretrain.js';
import { recipeOptions, type PretrainRecipe } from '../train/recipes.js';
import type { EpochReport } from '../train/trainer.js';
import { writeFileAtomic } from '../util/fs.js';

/** Terms of the shared corpora (their PROVENANCE.txt), for the model card of a model trained on them. */
export const CORPUS_TERMS: Record<string, { title: string; licence: string }> = {
  ravdess: { title: 'RAVDESS (Livingstone & Russo 2018, Zenodo 1188976)', licence: 'CC BY-NC-SA 4.0' },
  emodb: { title: 'EMO-DB (Burkhardt et al., Interspeech 2005)', licence: 'no licence text; distributed freely for research use' },
  urdu: { title: 'URDU (Latif et al., arXiv:1812.10411)', licence: '"only for research purposes" (its README)' },
  'turev-db': { title: 'TurEV-DB (Canpolat et al., LREC 2020 workshops)', licence: 'its README says CC BY-NC-ND 4.0 (its LICENSE file is GPL-3.0 text: inconsistent); treated as research-only' },
};

export interface ReleaseOptions {
  /** Corpus folders the model is trained on (all of them: the release has no target). */
  corpora: string[];
  out: string;
  featuresDir: string;
  featureConfig: FeatureConfig;
  recipe: PretrainRecipe;
  seed: number;
  /** Fewer epochs than the recipe's (tests); default the recipe's. */
  epochs?: number;
  workers: number;
  /** Folder of `bench:experiment --leave-one-out` results (`<target>/results.json`): the card's expected accuracy. */
  leaveOneOutDir?: string;
  log: (message: string) => void;
  onEpoch?: (report: EpochReport) => void;
}

/**
 * Trains the shipped source model: every corpus given pooled as sources (each standardised on its own
 * statistics, batches balanced over (corpus, class)), 20% of each corpus's speakers held out for the
 * checkpoint choice, all of it fixed by the seed (same seed, same weights). Writes the model folder and
 * its README.md model card.
 */
export async function trainReleaseModel(options: ReleaseOptions): Promise<{ card: ModelCard; readme: string }> {
  const stores: FeatureStore[] = [];
  for (const dir of options.corpora) {
    const corpus = await loadCorpus(dir, { taxonomy: '4class' });
    const storeDir = join(options.featuresDir, corpus.name);
    options.log(`features: ${corpus.name} (${corpus.language}), ${corpus.utterances.length} clips -> ${storeDir}`);
    await preprocessCorpus(corpus, storeDir, { config: options.featureConfig, workers: options.workers });
    stores.push(openFeatureStore(storeDir));
  }
  const sources = stores.map((store) => ({ store, validationSpeakers: holdOutSpeakers(labelledItems(store).map((i) => i.speaker), 0.2, options.seed).validation }));
  options.log(`pretraining (${options.recipe}, seed ${options.seed}) on ${sources.map((s) => `${s.store.corpus}: validation speakers ${s.validationSpeakers.join(', ')}`).join('; ')}`);
  const { model, card } = await pretrainOnSources(sources, {
    ...recipeOptions(options.recipe),
    seed: options.seed,
    ...(options.epochs === undefined ? {} : { epochs: options.epochs }),
    onEpoch: options.onEpoch,
  });
  await saveModel(options.out, model, card);
  model.dispose();
  const readme = modelCardMarkdown(card, options.recipe, options.leaveOneOutDir);
  await writeFileAtomic(join(options.out, 'README.md'), readme);
  return { card, readme };
}

/** Rewrites a released model's README.md from its card.json and the leave-one-out results now on disk, without retraining. */
export async function rewriteModelCard(modelDir: string, recipe: PretrainRecipe, leaveOneOutDir?: string): Promise<string> {
  const card = JSON.parse(readFileSync(join(modelDir, 'card.json'), 'utf8')) as ModelCard;
  const readme = modelCardMarkdown(card, recipe, leaveOneOutDir);
  await writeFileAtomic(join(modelDir, 'README.md'), readme);
  return readme;
}

function leaveOneOutRows(dir: string | undefined): string[] {
  const files = dir && existsSync(dir) ? ['ravdess', 'emodb', 'urdu', 'turev-db'].map((target) => join(dir, target, 'results.json')).filter(existsSync) : [];
  if (files.length === 0) return ['Not measured: run `npm run bench:experiment -- --leave-one-out`, then `npm run release:model` again.'];
  const rows = ['| left-out target (sources: the other three) | setting | method | UAR % (mean ± std, seeds 0-2) | 95% CI (test clips) |', '|---|---|---|---|---|'];
  for (const file of files) {
    const results = JSON.parse(readFileSync(file, 'utf8')) as ExperimentResults;
    const recommended = results.recommended ?? { unsupervised: 'none', 'few-shot': 'none' };
    for (const setting of PROTOCOL_SETTINGS.filter((s) => s !== 'target-supervised')) {
      const method = setting === 'source-only' ? 'none' : recommended[setting];
      const scores = results.settings[`${setting}/${method}`];
      if (!scores) continue;
      rows.push(`| ${results.target} (from ${sourceName(results)}) | ${setting} | ${method} | ${formatMeanStd(scores.uar)} | ${scores.uarInterval ? formatInterval(scores.uarInterval) : '—'} |`);
    }
  }
  return rows;
}

/** The model card: what it was trained on and under which terms, what to expect of it, what not to use it for. */
export function modelCardMarkdown(card: ModelCard, recipe: PretrainRecipe, leaveOneOutDir?: string): string {
  const sources = card.sources ?? [{ corpus: card.source.corpus, language: card.source.language, clips: Number(card.training.trainClips ?? 0) + Number(card.training.validationClips ?? 0), trainClips: 0, validationClips: 0, trainSpeakers: card.source.trainSpeakers, validationSpeakers: card.source.validationSpeakers }];
  const bySize = [...sources].sort((a, b) => b.clips - a.clips);
  const trainingRows = sources.map((s) => `| ${CORPUS_TERMS[s.corpus]?.title ?? s.corpus} | ${s.language} | ${s.clips} (${s.trainClips} training, ${s.validationClips} validation) | ${s.trainSpeakers.length + s.validationSpeakers.length} (${s.validationSpeakers.join(', ')} held out) | ${CORPUS_TERMS[s.corpus]?.licence ?? 'see the corpus'} |`);
  return `# ${card.source.corpus}: a ${card.labels.length}-class speech emotion model pretrained on ${sources.length} languages

Made by \`npm run release:model\` (seed ${String(card.training.seed)}, recipe \`${recipe}\`; the same seed gives the same weights).
\`ser predict\` and \`ser adapt\` use it when \`--model\` is omitted.

## Classes

${card.labels.join(', ')} (the 4-class taxonomy of \`../shared/BENCHMARK.md\`: calm counts as neutral). Chance UAR is ${(100 / card.labels.length).toFixed(1)}%.

## Training data and terms

| corpus | language | labelled clips | speakers | terms |
|---|---|---|---|---|
${trainingRows.join('\n')}

Because of these terms **the model is for non-commercial research use only**: RAVDESS's licence is
non-commercial and share-alike, the other three are released for research; TurEV-DB's README names a
no-derivatives licence, so check with its authors before passing the model on. No audio of any corpus is
in this folder, only weights learned from it.

Each corpus was standardised on its own statistics and every batch held equal shares of each (corpus, class)
cell, so the ${bySize[0].clips} clips of ${bySize[0].corpus} do not outweigh the ${bySize[bySize.length - 1].clips} of ${bySize[bySize.length - 1].corpus}. The checkpoint was chosen on
the held-out speakers listed above (validation UAR ${card.validation ? (100 * card.validation.uar).toFixed(1) : '—'}% at epoch ${card.validation?.epoch ?? '—'}), never on a test set.
Frames are standardised, before the model, on statistics of the data it meets: \`ser adapt\` refits them on
the target audio (\`--method none\` or \`adabn\` need nothing else); without adaptation the card's pooled
statistics of all training corpora are used.

## Expected accuracy on a language it has not seen

Leave-one-corpus-out on the protocol of \`../shared/BENCHMARK.md\`: the same recipe trained on three of the
corpora, scored on the test speakers of the fourth (UAR %, mean ± std over seeds 0, 1, 2; recommended
methods of \`ser adapt\`). The shipped model saw all of them, so these are estimates for another language.

${leaveOneOutRows(leaveOneOutDir).join('\n')}

## Intended use and limits

- Research on emotion in speech: a starting point to adapt (\`ser adapt --target <folder of clips>\`) or
  compare against. Not for decisions about people (hiring, health, policing, surveillance): a wrong label
  is likely (see the UARs above) and emotion is not observable from the voice alone.
- Trained on acted speech of adults (of the shared corpora, URDU alone is TV talk-show speech): expect less
  on spontaneous speech, children, noisy or far-field recordings, telephone audio, singing.
- Four classes only: any other emotion (fear, disgust, surprise, ...) is forced into one of them.
- Languages seen: ${sources.map((s) => s.language).join(', ')}. Features: Kaldi MFCC 13 + deltas at 16 kHz (\`featureConfigKey\` ${card.featureConfigKey}).
`;
}
