import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compiledCli, repoRoot, runCli } from './helpers/cli.js';

const execFileAsync = promisify(execFile);
const forbidTfjs = join(repoRoot, 'test/helpers/forbidTfjs.mjs');

/** Runs `ser` in a Node where importing any @tensorflow package throws. */
function runWithoutTfjs(args: string[]) {
  return execFileAsync(process.execPath, ['--import', forbidTfjs, compiledCli, ...args], { cwd: repoRoot });
}

describe('compiled `ser`: only the command that runs is loaded', () => {
  it('lists every command in --help without loading tfjs', async () => {
    const { stdout } = await runWithoutTfjs(['--help']);
    for (const command of ['preprocess <corpus>', 'features <file>', 'train', 'adapt', 'experiment', 'demo', 'predict <inputs..>', 'evaluate']) {
      expect(stdout).toContain(`ser ${command}`);
    }
  });

  it('extracts features without loading tfjs', async () => {
    const speakerDir = join(repoRoot, 'data/demo/en', readdirSync(join(repoRoot, 'data/demo/en')).find((name) => !name.includes('.'))!);
    const wav = join(speakerDir, readdirSync(speakerDir).find((name) => name.endsWith('.wav'))!);
    const { stdout } = await runWithoutTfjs(['features', wav, '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ sampleRate: 16000, dims: 39 });
  });

  it('preprocesses a corpus without loading tfjs', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ser-startup-')), 'store');
    await runWithoutTfjs(['preprocess', join(repoRoot, 'data/demo/en'), '--out', out, '--workers', '1']);
    expect(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).count).toBe(64);
  });

  it('a model command does load tfjs (the guard works) and names its backend', async () => {
    await expect(runWithoutTfjs(['train', '--source', 'nowhere', '--out', 'nowhere'])).rejects.toThrow(/tfjs was loaded/);
    const result = await runCli(['train', '--backend', 'wasm', '--source', join(repoRoot, 'no-such-store'), '--out', join(repoRoot, 'no-such-model')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('tfjs backend: wasm');
  });

  it('suggests the closest command for a misspelt one', async () => {
    const result = await runCli(['tran']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Did you mean train?');
  });
});
