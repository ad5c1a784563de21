import type { ProtocolSetting } from '../eval/experimentReport.js';

/** UAR (%) of the classical baseline of ../shared/BENCHMARK.md (Kaldi MFCC functionals + RBF SVM), RAVDESS as source. */
export const CLASSICAL_BASELINE_FROM_RAVDESS: Record<string, Record<ProtocolSetting, number>> = {
  emodb: { 'source-only': 20.7, unsupervised: 47.3, 'few-shot': 61.7, 'target-supervised': 69.6 },
  urdu: { 'source-only': 36.1, unsupervised: 65.9, 'few-shot': 70.6, 'target-supervised': 63.4 },
  'turev-db': { 'source-only': 25.0, unsupervised: 28.2, 'few-shot': 30.0, 'target-supervised': 30.8 },
};
