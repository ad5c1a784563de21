import { isAbsolute } from 'node:path';
import { z } from 'zod';

/**
 * What travels through Redis. Workers validate every payload before touching anything (a payload is data
 * from the network, never trusted): folders must be absolute, each file is a path relative to its folder
 * and is resolved with resolveInside, so no payload names a file outside the folders it declares; with
 * `ser worker --allow`, the folders themselves must lie inside the allowed ones. Nothing in a payload is
 * run: audio is decoded, a model folder is read as JSON and weights.
 */

export const PREPROCESS_QUEUE = 'ser-preprocess';
export const PREDICT_QUEUE = 'ser-predict';

const folder = z
  .string()
  .min(1)
  .max(4096)
  .refine((path) => isAbsolute(path) && !path.includes('\0'), 'must be an absolute path');
const relativePath = z.string().min(1).max(4096);

export const preprocessPayloadSchema = z.object({
  kind: z.literal('preprocess'),
  /** The store folder; its index.json (written by the coordinator) gives the feature configuration. */
  store: folder,
  configKey: z.string().min(1).max(10_000),
  corpus: folder,
  files: z.array(z.object({ id: z.string().min(1).max(1000), relativePath })).min(1).max(1000),
});
export type PreprocessPayload = z.infer<typeof preprocessPayloadSchema>;

export const predictPayloadSchema = z.object({
  kind: z.literal('predict'),
  model: folder,
  /** predictFiles' plan: speech segments (ser predict's default) or fixed windows. */
  plan: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('speech') }),
    z.object({ kind: z.literal('windows'), windowSeconds: z.number().positive().max(3600), hopSeconds: z.number().positive().max(3600) }),
  ]),
  minConfidence: z.number().min(0).max(1),
  files: z.array(z.object({ root: folder, relativePath })).min(1).max(1000),
});
export type PredictPayload = z.infer<typeof predictPayloadSchema>;

/** A preprocess job's result: one outcome per file, as runJob gives it. */
export const preprocessResultSchema = z.array(
  z.union([
    z.object({
      id: z.string(),
      ok: z.literal(true),
      extracted: z.object({ frames: z.number().int().nonnegative(), dims: z.number().int().nonnegative(), size: z.number().nonnegative(), mtimeMs: z.number().nonnegative(), audioSeconds: z.number().nonnegative() }),
    }),
    z.object({ id: z.string(), ok: z.literal(false), reason: z.string() }),
  ]),
);

/** A predict job's result: one ClipOutcome per file, in the payload's order (checked loosely: it is printed, not used as a path). */
export const predictResultSchema = z.array(z.object({ file: z.string() }).passthrough());
