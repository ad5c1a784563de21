import { predictProbabilities } from '../../infer/infer.js';
import { modelInputs } from '../../infer/inputs.js';
import { reestimateBatchNorm } from '../../train/batchNorm.js';
import { agreedPseudoLabels } from '../selfTraining.js';
import { fixedSchedule, NORMALISATION_ONLY, type AdaptationStrategy } from '../strategy.js';

/**
 * Self-training (see `selfTraining.ts`): the pool clips outside the shots are labelled where two views agree,
 * the source model under the source statistics and its AdaBN copy under the pool's, and the most confident
 * share of each class trains beside the shots. It keeps the batch-norm statistics it trained with.
 */
export const selftrain: AdaptationStrategy = {
  targetLabels({ source, adapted, pool, options, windowFrames }) {
    const shotIds = new Set(pool.shotItems.map((item) => item.id));
    const unlabelled = pool.items.flatMap((item, index) => (shotIds.has(item.id) ? [] : [index]));
    const sourceView = predictProbabilities(source.model, modelInputs(unlabelled.map((index) => pool.matrices[index]), source.card));
    reestimateBatchNorm(adapted, pool.inputs, windowFrames, options.seed);
    const poolView = predictProbabilities(adapted, unlabelled.map((index) => pool.inputs[index]));
    const pseudo = agreedPseudoLabels([sourceView, poolView], options.pseudoLabelFraction);
    return {
      labelled: {
        matrices: [...pool.shots.matrices, ...pseudo.map(({ index }) => pool.inputs[unlabelled[index]])],
        labels: [...pool.shots.labels, ...pseudo.map(({ label }) => label)],
      },
      pseudoLabelledClips: pseudo.map(({ index, label }) => ({ id: pool.items[unlabelled[index]].id, label: source.card.labels[label] })),
    };
  },
  finalAdaBN: () => false,
  describeSchedule: (options, run) =>
    run
      ? fixedSchedule(options, run, `pool clips where the source model and its AdaBN copy agree pseudo-labelled (the most confident ${options.pseudoLabelFraction} of each class), `)
      : NORMALISATION_ONLY,
};
