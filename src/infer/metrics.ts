export interface ClassMetrics {
  label: string;
  /** 0 when the class was never predicted (scikit-learn's zero_division=0). */
  precision: number;
  /** 0 when the class has no support; such classes are left out of UAR and macro-F1. */
  recall: number;
  f1: number;
  /** Number of samples whose true label is this class. */
  support: number;
}

/** All scores are fractions in [0, 1]. */
export interface Metrics {
  n: number;
  /** Unweighted average recall: mean recall over the classes with support > 0. */
  uar: number;
  accuracy: number;
  /** Mean F1 over the same classes as UAR: those with support > 0. */
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

/** Mean and spread of one score over repeated runs (seeds). */
export interface Summary {
  mean: number;
  /** Sample standard deviation (n − 1 denominator); 0 for a single run. */
  std: number;
  perSeed: number[];
}

function checkLabels(labels: number[], classCount: number, name: string): void {
  for (const label of labels) {
    if (!Number.isInteger(label) || label < 0 || label >= classCount) {
      throw new RangeError(`${name} holds ${label}, not a class index in [0, ${classCount})`);
    }
  }
}

function confusionMatrix(yTrue: number[], yPred: number[], classCount: number): number[][] {
  const confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  yTrue.forEach((actual, i) => {
    confusion[actual][yPred[i]] += 1;
  });
  return confusion;
}

function mean(values: number[]): number {
  return values.reduce((total, value) => total + value, 0) / values.length;
}

/**
 * Classification scores of predictions against true class indices into `classes`.
 * A class absent from `yTrue` has no defined recall, so it is excluded from UAR and macro-F1 rather than
 * counted as 0 (which would punish a model for a class the test set lacks); wrong predictions of it
 * still lower the recall of the true classes and the accuracy.
 */
export function computeMetrics(yTrue: number[], yPred: number[], classes: string[]): Metrics {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  }
  if (yTrue.length === 0) throw new RangeError('cannot score an empty set of predictions');
  checkLabels(yTrue, classes.length, 'yTrue');
  checkLabels(yPred, classes.length, 'yPred');

  const confusion = confusionMatrix(yTrue, yPred, classes.length);
  const perClass = classes.map((label, k): ClassMetrics => {
    const truePositives = confusion[k][k];
    const support = confusion[k].reduce((total, count) => total + count, 0);
    const predicted = confusion.reduce((total, row) => total + row[k], 0);
    const precision = predicted > 0 ? truePositives / predicted : 0;
    const recall = support > 0 ? truePositives / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const present = perClass.filter((entry) => entry.support > 0);
  const correct = confusion.reduce((total, row, k) => total + row[k], 0);
  return {
    n: yTrue.length,
    uar: mean(present.map((entry) => entry.recall)),
    accuracy: correct / yTrue.length,
    macroF1: mean(present.map((entry) => entry.f1)),
    perClass,
    confusion,
  };
}

/** Mean and sample standard deviation of a score across seeds. */
export function summarise(values: number[]): Summary {
  if (values.length === 0) throw new RangeError('cannot summarise an empty list of values');
  const average = mean(values);
  const squaredDeviations = values.reduce((total, value) => total + (value - average) ** 2, 0);
  const std = values.length > 1 ? Math.sqrt(squaredDeviations / (values.length - 1)) : 0;
  return { mean: average, std, perSeed: [...values] };
}
