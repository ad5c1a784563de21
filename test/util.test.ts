import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PathEscapeError, resolveInside } from '../src/util/paths.js';
import { InvalidFileError, readJsonFile } from '../src/util/validate.js';
import { folderContentHash, runningCodeIdentity } from '../src/util/version.js';

describe('resolveInside', () => {
  it('resolves names inside the folder', () => {
    expect(resolveInside('/data/store', 'frames/a.f32', 'index.json')).toBe('/data/store/frames/a.f32');
    expect(resolveInside('/data/store', 'x/../frames/a.f32', 'index.json')).toBe('/data/store/frames/a.f32');
  });
  it('refuses parent, absolute, empty and NUL paths, naming the file they came from', () => {
    for (const path of ['../victim.txt', 'frames/../../victim.txt', '/etc/passwd', '', '.', 'a\0b']) {
      expect(() => resolveInside('/data/store', path, '/data/store/index.json')).toThrow(PathEscapeError);
    }
    expect(() => resolveInside('/data/store', '../victim.txt', '/data/store/index.json')).toThrow(/index\.json.*outside/);
  });
});

describe('readJsonFile', () => {
  const schema = z.object({ name: z.string(), values: z.array(z.number()) });
  it('returns the parsed value when it fits the schema', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ser-validate-'));
    await writeFile(join(dir, 'ok.json'), '{"name":"a","values":[1,2]}');
    expect(await readJsonFile(join(dir, 'ok.json'), schema, 'fix it')).toEqual({ name: 'a', values: [1, 2] });
  });
  it('names the file and the field that is wrong, and the fix', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ser-validate-'));
    await writeFile(join(dir, 'bad.json'), '{"name":"a","values":[1,"2"]}');
    await expect(readJsonFile(join(dir, 'bad.json'), schema, 'rewrite it')).rejects.toThrow(/bad\.json: field values\[1\]: .*number.*rewrite it/);
    await writeFile(join(dir, 'broken.json'), '{"name":');
    await expect(readJsonFile(join(dir, 'broken.json'), schema, 'rewrite it')).rejects.toThrow(InvalidFileError);
  });
});

describe('folderContentHash', () => {
  it('changes with one byte or one name anywhere in the tree, and not with the order files were written in', async () => {
    const write = async (files: [string, string][]): Promise<string> => {
      const folder = await mkdtemp(join(tmpdir(), 'ser-hash-'));
      for (const [path, text] of files) {
        await mkdir(join(folder, dirname(path)), { recursive: true });
        await writeFile(join(folder, path), text);
      }
      return folderContentHash(folder);
    };
    const tree: [string, string][] = [['a.js', 'export const a = 1;'], ['train/b.js', 'export const b = 2;'], ['train/deep/c.js', 'c']];
    const base = await write(tree);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(await write([...tree].reverse())).toBe(base);
    expect(await write([tree[0], ['train/b.js', 'export const b = 3;'], tree[2]])).not.toBe(base);
    expect(await write([tree[0], ['train/b2.js', 'export const b = 2;'], tree[2]])).not.toBe(base);
    expect(await write([tree[0], tree[1], ['train/deep/c.js', 'c'], ['train/deep/d.js', '']])).not.toBe(base);
  });

  it('identifies the running build once: the hash of this source tree', () => {
    expect(runningCodeIdentity()).toBe(folderContentHash(join(__dirname, '..', 'src')));
  });
});
