import { coralLoss } from '../coral.js';
import { alignmentStrategy } from './alignment.js';

/** Deep CORAL between source and target embedding covariances (`../coral.ts`). */
export const coral = alignmentStrategy(() => coralLoss());
