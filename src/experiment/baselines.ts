import type { ProtocolSetting } from '../eval/experimentReport.js';

/** UAR (%) of the classical baseline of ../shared/BENCHMARK.md (Kaldi MFCC functionals + RBF SVM), RAVDESS as source. */
export const CLASSICAL_BASELINE_FROM_RAVDESS: Record<string, Record<ProtocolSetting, number>> = {
  emodb: { 'source-only': 20.7, unsupervised: 47.3, 'few-shot': 61.7, 'target-supervised': 69.6 },
  urdu: { 'source-only': 36.1, unsupervised: 65.9, 'few-shot': 70.6, 'target-supervised': 63.4 },
  'turev-db': { 'source-only': 25.0, unsupervised: 28.2, 'few-shot': 30.0, 'target-supervised': 30.8 },
};

/** The four shared corpora of ../shared/BENCHMARK.md; leave-one-corpus-out takes each as the target and the other three as sources. */
export const SHARED_CORPORA = ['ravdess', 'emodb', 'urdu', 'turev-db'] as const;

/** The same classical baseline, leave-one-corpus-out (BENCHMARK.md, "Several sources"), keyed by the target. */
export const CLASSICAL_BASELINE_LEAVE_ONE_OUT: Record<string, Record<ProtocolSetting, number>> = {
  ravdess: { 'source-only': 33.3, unsupervised: 47.0, 'few-shot': 45.7, 'target-supervised': 49.7 },
  emodb: { 'source-only': 34.7, unsupervised: 45.8, 'few-shot': 52.7, 'target-supervised': 69.6 },
  urdu: { 'source-only': 49.5, unsupervised: 62.0, 'few-shot': 62.0, 'target-supervised': 63.4 },
  'turev-db': { 'source-only': 31.3, unsupervised: 28.9, 'few-shot': 29.2, 'target-supervised': 30.8 },
};

/** The classical row of BENCHMARK.md for these corpus names (folder names, any case), where it has one. */
export function classicalBaseline(sources: string[], target: string): Record<ProtocolSetting, number> | undefined {
  const names = sources.map((s) => s.toLowerCase());
  const key = target.toLowerCase();
  if (names.length === 1 && names[0] === 'ravdess') return CLASSICAL_BASELINE_FROM_RAVDESS[key];
  const others = SHARED_CORPORA.filter((corpus) => corpus !== key);
  const leaveOneOut = names.length === others.length && others.every((corpus) => names.includes(corpus));
  return leaveOneOut ? CLASSICAL_BASELINE_LEAVE_ONE_OUT[key] : undefined;
}
