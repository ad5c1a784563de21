import { z } from 'zod';
import type { FeatureConfig } from '../features/config.js';

/**
 * The model card (card.json) as a schema: what loadModel accepts is exactly what these say, and the
 * TypeScript types are inferred from them, so the type and the check cannot drift apart.
 */

export const MODEL_CARD_FORMAT = 'ser-model-card/1';

const finite = z.number().finite();
const positiveInteger = z.number().int().positive();
const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1);
const name = z.string().min(1);

/**
 * The fields of a FeatureConfig that extraction reads. Fields added later pass through unchecked (and are
 * covered by the featureConfigKey check in loadModel, which compares the whole configuration).
 */
const featureConfigSchema = z
  .object({
    kind: z.enum(['mfcc', 'fbank']),
    sampleRate: positiveInteger,
    frameLengthMs: z.number().positive(),
    frameShiftMs: z.number().positive(),
    preemphasisCoefficient: finite,
    removeDcOffset: z.boolean(),
    windowType: z.enum(['povey', 'hamming', 'hanning']),
    lowFreq: finite,
    highFreq: finite,
    numMelBins: positiveInteger,
    numCeps: positiveInteger,
    cepstralLifter: finite,
    deltas: z.boolean(),
    descriptors: z.array(name),
  })
  .passthrough();

export const modelSpecSchema = z.object({
  inputDims: positiveInteger,
  numClasses: z.number().int().min(2),
  /** Output channels of each conv block (conv, batch norm, ReLU; max-pool between blocks); none: a model of utterance statistics alone. */
  channels: z.array(positiveInteger),
  kernelSize: positiveInteger,
  embeddingDim: positiveInteger,
  /** Also pool the input frames themselves: utterance functionals beside the learnt frame-level ones. */
  inputStatistics: z.boolean(),
  /** Batch norm on the pooled utterance vector, so that AdaBN's re-estimation standardises utterance statistics per domain. */
  utteranceNorm: z.boolean().optional(),
  /** Percentiles (fractions, e.g. [0.1, 0.5, 0.9]) of each input dimension over time, pooled beside its mean and std (layers.ts); absent: none. */
  inputPercentiles: z.array(z.number().min(0).max(1)).max(9).optional(),
  seed: z.number().int(),
});
export type ModelSpec = z.infer<typeof modelSpecSchema>;

/** How frames are standardised before the model sees them (see src/train/normalise.ts). */
export const normalisationSchema = z.object({
  /** 'speaker': each speaker's clips on that speaker's own statistics, `mean`/`std` (the corpus's) for speakers with too little audio. */
  mode: z.enum(['corpus', 'utterance', 'speaker']),
  /** Per-dimension statistics fitted on the domain named by `fittedOn`; per-corpus mode refits them on a new domain. */
  mean: z.array(finite),
  std: z.array(z.number().finite().positive()),
  fittedOn: name,
  /** Frames more than this many dB below an utterance's loudest are dropped. */
  activeFrameThresholdDb: z.number().finite().positive(),
  /** 'speaker' mode: the speakers of the fitted domain with too little audio, standardised on the corpus statistics. */
  speakersOnCorpusStatistics: z.array(z.string()).optional(),
});
export type NormalisationCard = z.infer<typeof normalisationSchema>;

/** One epoch of training as reported and recorded (card history, checkpoint state). */
export const epochReportSchema = z.object({
  epoch: positiveInteger,
  epochs: positiveInteger,
  loss: finite,
  alignmentLoss: finite.nullable(),
  /** Figures the alignment loss reports, averaged over the epoch (dann: `discriminatorAccuracy`). */
  alignmentMetrics: z.record(finite).optional(),
  validationUar: share.nullable(),
  best: z.boolean(),
  seconds: z.number().nonnegative(),
});

/** The pretraining that made the model, complete: adaptation reads its window and dropout from here. */
export const trainingRecordSchema = z
  .object({
    seed: z.number().int(),
    epochs: positiveInteger,
    epochsRun: count,
    batchSize: positiveInteger,
    learningRate: z.number().finite().positive(),
    windowFrames: positiveInteger,
    dropout: z.number().min(0).lt(1),
    patience: positiveInteger,
    specAugment: z.boolean(),
    classBalanced: z.boolean(),
    /** Domain-specific batch norm over the source corpora (src/train/domainBatchNorm.ts); absent when not used. */
    domainBatchNorm: z.literal(true).optional(),
    threads: positiveInteger,
    trainClips: count,
    validationClips: count,
    history: z.array(epochReportSchema),
  })
  // Fields a later version records pass through, so that a card read and written again keeps them.
  .passthrough();
export type TrainingRecord = z.infer<typeof trainingRecordSchema>;

/** One source corpus of a model pretrained on several, with its language and clip counts. */
const sourceCardSchema = z.object({
  corpus: name,
  language: name,
  /** Labelled clips used: training and validation together. */
  clips: count,
  trainClips: count,
  validationClips: count,
  trainSpeakers: z.array(z.string()),
  validationSpeakers: z.array(z.string()),
});
export type SourceCard = z.infer<typeof sourceCardSchema>;

/** Temperature scaling of a model's probabilities: p_T ∝ p^(1/T) (see src/infer/calibration.ts). */
const calibrationSchema = z.object({
  /** 1 leaves probabilities as the model gives them. */
  temperature: z.number().finite().positive(),
  /** Which clips it was fitted on: the held-out source speakers, or the labelled shots of an adaptation. */
  fittedOn: z.string(),
  clips: count,
  /** ECE of those clips before and after scaling (in-sample: the clips T was fitted on). */
  eceBefore: share,
  eceAfter: share,
});
export type CalibrationCard = z.infer<typeof calibrationSchema>;

/** One epoch of an adaptation's training, as the card keeps it. */
const adaptationEpochSchema = z.object({
  epoch: positiveInteger,
  /** Mean classification loss over the epoch's batches. */
  loss: finite,
  /** Mean alignment loss over the epoch's batches; null without one. */
  alignmentLoss: finite.nullable(),
  /** Figures the alignment loss reports, averaged over the epoch (dann: `discriminatorAccuracy`). */
  alignmentMetrics: z.record(finite).optional(),
});
export type AdaptationEpoch = z.infer<typeof adaptationEpochSchema>;

const adaptationSchema = z.object({
  method: name,
  targetCorpus: name,
  targetLanguage: name,
  shots: count,
  adaptationSpeakers: z.array(z.string()),
  labelledClips: z.array(z.string()),
  unlabelledClips: count,
  /** `selftrain`: the pool clips it trained on and the label it gave each. */
  pseudoLabelledClips: z.array(z.object({ id: z.string(), label: name })).optional(),
  /** `adabn-balanced`: the bias subtracted from the classifier's logits, one per label (already in the weights; src/adapt/classBalance.ts). */
  classBias: z.array(finite).optional(),
  schedule: z.string(),
  /** Each epoch of the adaptation's training, where it trained. */
  history: z.array(adaptationEpochSchema).optional(),
}).passthrough();

const cardShape = z.object({
  format: z.literal(MODEL_CARD_FORMAT),
  labels: z.array(name).min(2),
  featureConfig: featureConfigSchema,
  featureConfigKey: name,
  normalisation: normalisationSchema,
  modelSpec: modelSpecSchema,
  /** With several source corpora: names and languages joined by '+', speakers prefixed by their corpus (`emodb/03`). */
  source: z.object({ corpus: name, language: name, trainSpeakers: z.array(z.string()), validationSpeakers: z.array(z.string()) }),
  /** Each source corpus of a model pretrained on several, with its language and clip counts. */
  sources: z.array(sourceCardSchema).optional(),
  adaptation: adaptationSchema.optional(),
  training: trainingRecordSchema,
  /** Temperature scaling of the probabilities (src/infer/calibration.ts); absent: none. */
  calibration: calibrationSchema.optional(),
  /** Scores on held-out source speakers at the chosen epoch. */
  validation: z.object({ uar: share, accuracy: share, macroF1: share, epoch: count }).nullable(),
  backend: z.string(),
  packageVersion: z.string(),
  createdAt: z.string(),
});

/** The card as loadModel checks it; fields a later version writes pass through, so a card read and written again keeps them. */
export const modelCardSchema = cardShape
  .passthrough()
  .superRefine((card, context) => {
    const issue = (path: (string | number)[], message: string) => context.addIssue({ code: z.ZodIssueCode.custom, path, message });
    if (new Set(card.labels).size !== card.labels.length) issue(['labels'], `names a class twice (${card.labels.join(', ')})`);
    if (card.labels.length !== card.modelSpec.numClasses) {
      issue(['labels'], `lists ${card.labels.length} classes but modelSpec.numClasses is ${card.modelSpec.numClasses}`);
    }
    const classBias = card.adaptation?.classBias;
    if (classBias && classBias.length !== card.labels.length) issue(['adaptation', 'classBias'], `has ${classBias.length} values but the card has ${card.labels.length} labels`);
    for (const field of ['mean', 'std'] as const) {
      if (card.normalisation[field].length !== card.modelSpec.inputDims) {
        issue(['normalisation', field], `has ${card.normalisation[field].length} values but modelSpec.inputDims is ${card.modelSpec.inputDims}`);
      }
    }
  });

/** The card as code uses it; `featureConfig` keeps the full FeatureConfig type, whose later fields pass through the schema. */
export type ModelCard = Omit<z.infer<typeof cardShape>, 'featureConfig'> & { featureConfig: FeatureConfig };
