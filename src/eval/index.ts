export { computeMetrics, summarise, type ClassMetrics, type Metrics, type Summary } from '../infer/metrics.js';
export { bootstrapMeanUar, bootstrapUar, type BootstrapOptions, type Interval } from './bootstrap.js';
export { pca2d } from './projection.js';
export {
  buildEvaluationReport,
  writeEvaluationReport,
  type BuildEvaluationReportOptions,
  type EmbeddingPlot,
  type EmbeddingPoint,
  type EvaluationGroup,
  type EvaluationReport,
  type GroupResult,
  type LanguageResult,
  type ModelSummary,
  type ScoredSet,
} from './report.js';
export {
  PROTOCOL_SETTINGS,
  formatSettingUar,
  writeExperimentReport,
  type ExperimentResults,
  type ProtocolSetting,
  type SettingScores,
} from './experimentReport.js';
export type { ReportFiles } from './io.js';
