import { argMax } from '../infer/infer.js';

export interface PseudoLabel {
  /** Position of the clip in the views' rows. */
  index: number;
  label: number;
}

/**
 * Pseudo-labels for unlabelled target clips (self-training) from several views of the same clips, each a row
 * of class probabilities per clip. A clip is kept only where every view predicts the same class: views that
 * err differently (the source model under source statistics, the adapted one under the target pool's) flag
 * the clips a label shift between pool and source would mislabel. Of each class only its most confident
 * `fraction` (mean probability over the views) is kept, so a class the model over-predicts cannot crowd out
 * the others.
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
