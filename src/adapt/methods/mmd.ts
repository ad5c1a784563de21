import { mmdLoss } from '../mmd.js';
import { alignmentStrategy } from './alignment.js';

/** Multi-kernel MMD between source and target embeddings (`../mmd.ts`). */
export const mmd = alignmentStrategy(() => mmdLoss());
