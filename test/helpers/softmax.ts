/** Softmax of logits, one row: the reference the tests compute expected probabilities with. */
export function softmax(logits: number[]): number[] {
  const top = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - top));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}
