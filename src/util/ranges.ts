/** `total` items cut into `parts` contiguous runs whose lengths differ by at most one: [start, end) of each. */
export function evenRanges(total: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, k) => [Math.round((k * total) / parts), Math.round(((k + 1) * total) / parts)]);
}
