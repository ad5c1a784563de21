// issue 16 faults 8 (adapt over its own model), 11 (--out ""), 12 (numeric options unchecked), 14 (exit codes),
// 16 (raw ENOTDIR/ENOSPC, unwritable --out found late), 17 (`--` rejected).
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import type yargsModule from 'yargs';
import type { Argv } from 'yargs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/commands.js';
import { describeSystemError, exitStatusFor, NUMBER_RANGES, prepareOutputFolder } from '../src/cli/shared.js';
import { compiledCli, runCli } from './helpers/cli.js';

const yargs = createRequire(import.meta.url)('yargs') as typeof yargsModule;
const work = mkdtempSync(join(tmpdir(), 'ser-cli-safety-'));

/** What yargs says when the command's options alone are parsed from `args`. */
async function parseFailure(builder: (y: Argv) => unknown, args: string[]): Promise<string | null> {
  let failure: string | null = null;
  const parser = yargs(args).exitProcess(false).fail((message, error) => {
    failure = error?.message ?? message;
  });
  builder(parser);
  await parser.parseAsync();
  return failure;
}

function speechWav(seconds: number): Uint8Array {
  const samples = Array.from({ length: Math.round(seconds * 16000) }, (_, n) => Math.round(8000 * Math.sin(n * 0.05) * Math.sin(n * 0.0007)));
  const wave = new wavefile.WaveFile();
  wave.fromScratch(1, 16000, '16', samples);
  return wave.toBuffer();
}

describe('every numeric option of every command has a range', () => {
  for (const [name, entry] of Object.entries(COMMANDS)) {
    it(`${name}: refuses NaN and values past the range for each of its numeric options`, async () => {
      const { builder } = await entry.load();
      const numeric = (() => {
        const parser = yargs([]);
        (builder as (y: Argv) => unknown)(parser);
        // getOptions is yargs's own (untyped) record of the declared options.
        return (parser as unknown as { getOptions(): { number: string[] } }).getOptions().number;
      })();
      for (const option of numeric) {
        expect(Object.keys(NUMBER_RANGES), `--${option} of ${name} is declared without numberOption`).toContain(option);
        for (const bad of ['NaN', '1e12', '-1e12']) {
          expect(await parseFailure(builder as (y: Argv) => unknown, [`--${option}=${bad}`]), `${name} --${option} ${bad}`).toMatch(
            new RegExp(`^--${option} must be a (whole )?number .*, got ${bad === 'NaN' ? 'NaN' : '-?1000000000000'}$`),
          );
        }
      }
    });
  }
});

describe.skipIf(!existsSync(compiledCli))('the compiled CLI refuses bad input before any work', () => {
  it.each([
    [['train', '--source', work, '--out', join(work, 'm'), '--epochs', '0'], '--epochs must be a whole number from 1 to 100000, got 0'],
    [['train', '--source', work, '--out', join(work, 'm'), '--epochs', '-1'], '--epochs must be a whole number from 1 to 100000, got -1'],
    [['train', '--source', work, '--out', join(work, 'm'), '--batch-size', '-5'], '--batch-size must be a whole number from 1 to 65536, got -5'],
    [['train', '--source', work, '--out', join(work, 'm'), '--patience', '0'], '--patience must be a whole number from 1 to 100000, got 0'],
    [['adapt', '--model', work, '--source', work, '--target', work, '--out', join(work, 'a'), '--learning-rate', 'NaN'], '--learning-rate must be a number above 0 and at most 10, got NaN'],
    [['adapt', '--model', work, '--source', work, '--target', work, '--out', join(work, 'a'), '--alignment-weight', 'NaN'], '--alignment-weight must be a number from 0 to 1000, got NaN'],
    [['experiment', '--source', work, '--target', work, '--out', join(work, 'x'), '--seeds', ''], '--seeds takes values separated by commas, got ""'],
    [['experiment', '--source', work, '--target', work, '--out', join(work, 'x'), '--seeds', '0,0'], '--seeds names 0 more than once'],
    [['preprocess', work, '--out', ''], '--out must name a folder, got ""'],
  ])('%j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it('refuses to adapt into the source model folder, also through a symlink, unless forced', async () => {
    const model = join(work, 'model');
    mkdirSync(model, { recursive: true });
    symlinkSync(model, join(work, 'model-link'));
    for (const out of [model, join(work, 'model-link')]) {
      const result = await runCli(['adapt', '--model', model, '--source', work, '--target', work, '--out', out]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('is the --model folder: the source model would be replaced; write the adapted model elsewhere, or add --force');
    }
    const forced = await runCli(['adapt', '--model', model, '--source', work, '--target', work, '--out', model, '--force']);
    expect(forced.stderr).not.toContain('is the --model folder');
  });

  it('checks that --out can be written before extracting anything, and says why not in words', async () => {
    const corpus = join(work, 'corpus');
    mkdirSync(corpus, { recursive: true });
    writeFileSync(join(corpus, 'a.wav'), speechWav(0.5));
    writeFileSync(join(corpus, 'manifest.csv'), 'path,speaker,emotion,language\na.wav,s,sad,en\n');
    writeFileSync(join(work, 'a-file'), '');
    const result = await runCli(['preprocess', corpus, '--out', join(work, 'a-file', 'store')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--out .*a-file\/store: cannot write there: .*a part of the path is a file, not a folder; choose another path \(ENOTDIR\)/);
  });

  it('exits 1, not 3, when every file fails', async () => {
    const corpus = join(work, 'all-bad');
    mkdirSync(corpus, { recursive: true });
    writeFileSync(join(corpus, 'a.wav'), 'not audio');
    writeFileSync(join(corpus, 'manifest.csv'), 'path,speaker,emotion,language\na.wav,s,sad,en\ngone.wav,s,sad,en\n');
    const result = await runCli(['preprocess', corpus, '--out', join(work, 'all-bad-store'), '--workers', '1']);
    expect(result.code, result.stderr).toBe(1);
    // The row whose file is missing is a failure like the other, listed with its reason.
    expect(result.stdout).toMatch(/failed {4}2 \(listed in errors\.json\)/);
    expect(result.stdout).toMatch(/gone\.wav: file not found/);
  });

  it('accepts `--` before the files, and a file name starting with a dash after it', async () => {
    const dir = mkdtempSync(join(work, 'dash-'));
    writeFileSync(join(dir, '-i.wav'), speechWav(0.5));
    const result = await runCli(['features', '--no-deltas', '--', '-i.wav'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/-i\.wav: 0\.500 s of audio → 48 frames × 13 dims/);
  });
});

describe('exit statuses and system errors', () => {
  it('0 when nothing failed, 3 when some files failed beside others, 1 when all did', () => {
    expect([exitStatusFor(5, 0), exitStatusFor(4, 1), exitStatusFor(0, 2), exitStatusFor(0, 0)]).toEqual([0, 3, 1, 0]);
  });

  it('says ENOSPC, EROFS and ENOTDIR in words, with the path and the fix', () => {
    const error = (code: string) => Object.assign(new Error(`${code}: raw`), { code, path: '/data/out/x.f32' });
    expect(describeSystemError(error('ENOSPC'))).toBe('/data/out/x.f32: no space left on the device; free some space or write elsewhere (ENOSPC)');
    expect(describeSystemError(error('EROFS'))).toBe('/data/out/x.f32: the file system is read-only; write elsewhere (EROFS)');
    expect(describeSystemError(new Error('other'))).toBeUndefined();
  });

  it('prepareOutputFolder creates the folder and proves it writable', async () => {
    const dir = await prepareOutputFolder('out', join(work, 'new', 'folder'));
    expect(existsSync(dir)).toBe(true);
    writeFileSync(join(work, 'plain-file'), '');
    await expect(prepareOutputFolder('report', join(work, 'plain-file'))).rejects.toThrow(/--report .*plain-file: cannot write there: .*\((EEXIST|ENOTDIR)\)/);
  });
});
