import { dannLoss, domainDiscriminator } from '../dann.js';
import { alignmentStrategy } from './alignment.js';

/** Domain-adversarial training (`../dann.ts`), with a fresh discriminator per run. */
export const dann = alignmentStrategy((embeddingDim, seed) => dannLoss(domainDiscriminator(embeddingDim, seed)));
