import { shuffle, type Rng } from '../util/random.js';

/**
 * An epoch's order of `count` clips balanced over cells (a cell: one corpus's clips of one class), so that
 * a large corpus does not drown a small one and a common class does not drown a rare one.
 *
 * Rule: each cell's clips are shuffled; rounds visit every cell once, in a freshly shuffled order of cells,
 * and take that cell's next clip (a cell that runs out is reshuffled and starts again). Any run of
 * `cells` consecutive clips therefore holds each cell at most twice, and a batch of B clips about B / cells
 * of each: with 3 corpora × 4 classes and batches of 32, every batch holds 2 or 3 clips of every cell.
 *
 * Example: `cellOf` [0, 0, 0, 0, 1] (clips 0–3 in one cell, clip 4 alone in another) and count 4 → two
 * rounds such as [2, 4, 4, 0]: the small cell's one clip is drawn as often as the large cell's clips.
 */
export function balancedOrder(cellOf: readonly number[], count: number, rng: Rng): number[] {
  const members = new Map<number, number[]>();
  cellOf.forEach((cell, index) => members.set(cell, [...(members.get(cell) ?? []), index]));
  const cells = [...members.keys()].sort((a, b) => a - b);
  const queues = new Map(cells.map((cell) => [cell, shuffle(members.get(cell)!, rng)]));
  const order: number[] = [];
  while (order.length < count) {
    for (const cell of shuffle(cells, rng)) {
      if (order.length === count) break;
      let queue = queues.get(cell)!;
      if (queue.length === 0) queues.set(cell, (queue = shuffle(members.get(cell)!, rng)));
      order.push(queue.pop()!);
    }
  }
  return order;
}

/**
 * Class weights for balanced batches: each cell is drawn equally often, so a class present in fewer cells
 * (a corpus without it) is drawn less; weighting it by cells / (classes × its cells) gives every class the
 * same total weight. With every class in every cell, all weights are 1.
 */
export function cellClassWeights(cellOf: readonly number[], labels: readonly number[], numClasses: number): number[] {
  const cellsOfClass = new Array<number>(numClasses).fill(0);
  const seen = new Set<number>();
  cellOf.forEach((cell, index) => {
    if (seen.has(cell)) return;
    seen.add(cell);
    cellsOfClass[labels[index]]++;
  });
  const present = cellsOfClass.filter((n) => n > 0).length;
  return cellsOfClass.map((n) => (n > 0 ? seen.size / (present * n) : 0));
}
