import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sortLines } from '../src/util/externalSort.js';
import { LineWriter, readLines } from '../src/util/lines.js';

const dir = mkdtempSync(join(tmpdir(), 'ser-sort-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic draws (a linear congruential generator), so a failure can be replayed. */
function draws(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

// Keys mixing ASCII, accents, U+E000-U+FFFF and characters beyond U+FFFF (surrogate pairs), where UTF-8 byte
// order and JavaScript's code-unit order disagree.
const alphabet = ['a', 'b', 'B', '/', '.', '_', 'é', '\uE000', '\uFFFD', '😀', '𝄞', '\u00A0'];

function randomLines(count: number, seed: number): string[] {
  const next = draws(seed);
  return Array.from({ length: count }, (_, index) => {
    const key = Array.from({ length: 1 + Math.floor(next() * 3) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    return JSON.stringify([key, index]);
  });
}

const keyOf = (line: string): string => (JSON.parse(line) as [string])[0];
const byKey = (a: string, b: string): number => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);

describe('sortLines', () => {
  it('gives the stable in-memory sort by key, in code-unit order, whether the lines fit one chunk or spill to many', () => {
    const lines = randomLines(500, 7);
    const expected = [...lines].sort(byKey);
    for (const chunkLines of [1, 7, 64, 1000]) {
      const sorted = sortLines(lines, { dir, key: keyOf, chunkLines });
      expect([...sorted.lines()]).toEqual(expected);
      expect(sorted.count).toBe(500);
      sorted.remove();
    }
    // Only the caller's result is left, and it is removed: no run files stay behind.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps the last line of each key in input order with keepLastOfKey, across spills', () => {
    const lines = randomLines(300, 11);
    const last = new Map<string, string>();
    for (const line of lines) last.set(keyOf(line), line);
    const expected = [...last.values()].sort(byKey);
    for (const chunkLines of [3, 1000]) {
      const sorted = sortLines(lines, { dir, key: keyOf, chunkLines, keepLastOfKey: true });
      expect([...sorted.lines()]).toEqual(expected);
      sorted.remove();
    }
  });

  it('refuses a chunk size out of range', () => {
    expect(() => sortLines([], { dir, key: keyOf, chunkLines: 0 })).toThrow(RangeError);
  });
});

describe('readLines and LineWriter', () => {
  it('give back the lines written, multi-byte characters split across 32 kB reads included', () => {
    const file = join(dir, 'lines.txt');
    const lines = Array.from({ length: 3000 }, (_, index) => `${index} ${'é😀'.repeat(index % 17)} ${'x'.repeat(index % 31)}`);
    const writer = new LineWriter(file);
    for (const line of lines) writer.write(line);
    writer.close();
    expect(writer.bytes).toBe(Buffer.byteLength(`${lines.join('\n')}\n`));
    expect([...readLines(file)]).toEqual(lines);
    writeFileSync(file, 'a\nb');
    expect([...readLines(file)]).toEqual(['a', 'b']);
    expect([...readLines(file, { end: 2 })]).toEqual(['a']);
    expect(readFileSync(file, 'utf8')).toBe('a\nb');
    rmSync(file);
  });
});
