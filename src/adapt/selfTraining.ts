import { argMax } from '../infer/infer.js';

export interface PseudoLabel {
  /** Position of the clip in the views' rows. */
  index: number;
  label: number;
}

/**
 * Pseudo-labels for unlabelled target clips, after class-balanced self-training (CBST: Zou, Yu, Kumar &
 * Wang, "Unsupervised Domain Adaptation for Semantic Segmentation via Class-Balanced Self-Training", ECCV
 * 2018). CBST labels a target sample ŷ = argmax_c p_c only where p_c reaches a threshold k_c set per class,
 * at the confidence of the top `fraction` (their p) of that class's predictions, so that a class the model
 * over-predicts cannot crowd out the others. Here, over V views (rows of class probabilities per clip,
 * [clips, classes] each):
 *
 *   ŷ_i = c          where every view's argmax for clip i is c (else the clip is left out),
 *   conf_i = mean over views of p_v,i,c,
 *   kept: of the clips with ŷ = c, the ceil(fraction · count) with the highest conf, for each class c.
 *
 * The agreement replaces CBST's single model: views that err differently (the source model under source
 * statistics, the adapted one under the target pool's) flag the clips a label shift between pool and
 * source would mislabel. Unlike CBST it takes one round, with no schedule growing the fraction.
 *
 * Example: views a = [[.9,.1],[.6,.4],[.2,.8],[.7,.3]], b = [[.8,.2],[.3,.7],[.1,.9],[.6,.4]] agree on
 * clips 0, 2, 3 (clip 1 disagrees); with fraction 0.5 class 0 keeps clip 0 (conf .85 over .65) and class 1
 * clip 2: [{index 0, label 0}, {index 2, label 1}].
 */
export function agreedPseudoLabels(views: number[][][], fraction: number): PseudoLabel[] {
  const [first] = views;
  if (!first || views.some((view) => view.length !== first.length)) throw new Error('pseudo-labelling needs one or more views of the same clips');
  const numClasses = first[0]?.length ?? 0;
  const predicted = first.map((_, index) => {
    const labels = views.map((view) => argMax(view[index]));
    return labels.every((label) => label === labels[0]) ? labels[0] : -1;
  });
  const confidence = (index: number, label: number) => views.reduce((sum, view) => sum + view[index][label], 0) / views.length;
  const chosen: PseudoLabel[] = [];
  for (let label = 0; label < numClasses; label++) {
    const members = predicted.flatMap((p, index) => (p === label ? [index] : []));
    members.sort((a, b) => confidence(b, label) - confidence(a, label));
    chosen.push(...members.slice(0, Math.ceil(members.length * fraction)).map((index) => ({ index, label })));
  }
  return chosen;
}
