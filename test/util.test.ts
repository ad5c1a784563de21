import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PathEscapeError, resolveInside } from '../src/util/paths.js';
import { InvalidFileError, readJsonFile } from '../src/util/validate.js';

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
