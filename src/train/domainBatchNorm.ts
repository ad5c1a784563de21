import { balancedOrder } from './balance.js';
import { shuffle, type Rng } from '../util/random.js';

/**
 * Domain-specific batch normalisation (Chang et al., CVPR 2019, "Domain-Specific Batch Normalization for
 * Unsupervised Domain Adaptation"), for pretraining on several source corpora: every batch-norm layer
 * normalises each corpus's clips with that corpus's own batch statistics, while the affine parameters
 * (γ, β) and every other weight are shared. For the clips x_i of domain d in a step, a layer computes
 *
 *   μ_d = mean of x_i over domain d's clips,  σ²_d = their (biased) variance,
 *   y_i = γ · (x_i − μ_d) / √(σ²_d + ε) + β
 *
 * instead of one μ, σ² over clips of every corpus. Example (one channel, γ = 1, β = 0, ε = 0): clips 1, 3 of
 * domain 0 and 10, 20, 30 of domain 1 give μ_0 = 2, σ²_0 = 1, μ_1 = 20, σ²_1 = 200/3, so y = −1, 1 and
 * −1.22, 0, 1.22; one batch norm over all five would give −1.09, −0.90 and −0.26, 0.66, 1.58.
 *
 * As in the paper, each domain gets mini-batches of its own: every training batch holds one corpus's clips
 * (`domainBatchOrder`), so each layer's batch statistics are that corpus's, with no custom layer (saved
 * models are ordinary ones). The moving statistics a model keeps are re-estimated on batches of one corpus
 * each and averaged (`statisticsBatches` with domains); validation judges each corpus's held-out speakers
 * under that corpus's own statistics (trainer.ts). Why: AdaBN (batchNorm.ts) standardises a new language's
 * clips on that language's statistics alone, a condition a model trained on batches mixing corpora never saw.
 */

/** Rows of each domain present, domains ascending. */
export function rowsByDomain(domains: readonly number[]): [number, number[]][] {
  const rows = new Map<number, number[]>();
  domains.forEach((domain, row) => {
    const list = rows.get(domain);
    if (list) list.push(row);
    else rows.set(domain, [row]);
  });
  return [...rows.entries()].sort(([a], [b]) => a - b);
}

/**
 * An epoch's order as `steps` batches of `batchSize` clips, each of one domain: the batches are dealt to the
 * domains in rounds (each round every domain once, in a freshly shuffled order), so a large corpus does not
 * drown a small one, and each domain's clips are drawn with `balancedOrder` over its own (domain, class) cells.
 *
 * Example: domains [0, 0, 1, 1], cells [0, 1, 2, 3], 2 steps of 2 → a batch of clips {0, 1} and one of {2, 3}, in either order.
 */
export function domainBatchOrder(cellOf: readonly number[], domainOf: readonly number[], steps: number, batchSize: number, rng: Rng): number[] {
  const groups = rowsByDomain(domainOf);
  const dealt: number[] = [];
  while (dealt.length < steps) dealt.push(...shuffle(groups.map(([domain]) => domain), rng).slice(0, steps - dealt.length));
  const streams = new Map(
    groups.map(([domain, members]) => {
      const clips = dealt.filter((d) => d === domain).length * batchSize;
      return [domain, balancedOrder(members.map((row) => cellOf[row]), clips, rng).map((k) => members[k])];
    }),
  );
  const taken = new Map<number, number>();
  return dealt.flatMap((domain) => {
    const start = taken.get(domain) ?? 0;
    taken.set(domain, start + batchSize);
    return streams.get(domain)!.slice(start, start + batchSize);
  });
}
