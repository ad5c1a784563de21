import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flag, listOf, numberIn, oneOf, option, optional, readOptions, repeated, text, wholeNumberIn } from '../scripts/lib/options.js';
import { repoRoot, runCompiled } from './helpers/cli.js';

const example = {
  name: 'example',
  summary: 'Measures an example.',
  usage: 'node example.js [clips] [options]',
  options: {
    seeds: option('The seeds.', listOf(wholeNumberIn(0, 1000)), [0, 1, 2]),
    liveSeconds: option('Seconds live.', numberIn({ min: 1, max: 3600 }), 120),
    leaveOneOut: flag('Each corpus the target.'),
    method: option('The method.', oneOf(['none', 'adabn']), 'none'),
    out: optional('Where results go.', text('<folder>', 'a folder'), 'runs/<protocol>'),
    corpus: repeated('That corpus alone.', text('<name>', 'a corpus name')),
  },
  positionals: {
    clips: option('Clips per corpus.', wholeNumberIn(1, 10000), 40),
  },
};

const read = (args: string[]) => readOptions(example, args);
const refusal = (args: string[]) => {
  const outcome = read(args);
  return outcome.kind === 'invalid' ? outcome.message : `not refused: ${outcome.kind}`;
};

describe('scripts/lib/options: reading a script command line', () => {
  it('gives every default when nothing is given', () => {
    expect(read([])).toEqual({
      kind: 'parsed',
      options: { seeds: [0, 1, 2], liveSeconds: 120, leaveOneOut: false, method: 'none', out: undefined, corpus: [] },
      positionals: { clips: 40 },
    });
  });

  it('reads kebab-case flags, inline and separate values, lists, repeats and positionals', () => {
    const outcome = read(['--seeds', '3,4', '--live-seconds=2.5', '--leave-one-out', '--method', 'adabn', '--out', 'x/y', '--corpus', 'a', '120', '--corpus', 'b']);
    expect(outcome).toEqual({
      kind: 'parsed',
      options: { seeds: [3, 4], liveSeconds: 2.5, leaveOneOut: true, method: 'adabn', out: 'x/y', corpus: ['a', 'b'] },
      positionals: { clips: 120 },
    });
  });

  it('refuses an unknown flag, the camelCase spelling included, naming it and the allowed ones', () => {
    const allowed = 'allowed: --seeds, --live-seconds, --leave-one-out, --method, --out, --corpus, --help';
    expect(refusal(['--seed', '1'])).toBe(`unknown option --seed; ${allowed}`);
    expect(refusal(['--leaveOneOut'])).toBe(`unknown option --leaveOneOut; ${allowed}`);
    expect(refusal(['-x'])).toBe(`unknown option -x; ${allowed}`);
  });

  it('refuses values out of range or of the wrong form, naming the flag, the value and the range', () => {
    expect(refusal(['--seeds', '0,1001'])).toBe('--seeds got "0,1001"; allowed: comma-separated, each a whole number from 0 to 1000');
    for (const seeds of ['1.5', '1e2', '0x1', '', '1,,2', ' 1']) expect(refusal([`--seeds=${seeds}`])).toBe(`--seeds got "${seeds}"; allowed: comma-separated, each a whole number from 0 to 1000`);
    expect(refusal(['--live-seconds', '0.5'])).toBe('--live-seconds got "0.5"; allowed: a number from 1 to 3600');
    expect(refusal(['--live-seconds=-3'])).toBe('--live-seconds got "-3"; allowed: a number from 1 to 3600');
    expect(refusal(['--method', 'dann'])).toBe('--method got "dann"; allowed: one of none, adabn');
    expect(refusal(['0'])).toBe('argument clips got "0"; allowed: a whole number from 1 to 10000');
  });

  it('refuses a missing value, a value given to a flag and one positional too many', () => {
    expect(refusal(['--seeds'])).toBe('--seeds got no value; allowed: comma-separated, each a whole number from 0 to 1000');
    expect(refusal(['--method', '--leave-one-out'])).toBe('--method got no value before --leave-one-out (a value starting with - is written --method=<value>); allowed: one of none, adabn');
    expect(refusal(['--leave-one-out=yes'])).toBe('--leave-one-out got "yes"; allowed: no value (it is a flag)');
    expect(refusal(['5', '6'])).toBe('unexpected argument "6"; allowed: at most 1 (clips)');
    expect(readOptions({ ...example, positionals: undefined }, ['5'])).toEqual({ kind: 'invalid', message: 'unexpected argument "5"; allowed: no arguments' });
  });

  it('answers --help and -h, even beside a mistake, with every option, its range and its default', () => {
    const outcome = read(['--seeds', 'x', '--bogus', '-h']);
    expect(outcome.kind).toBe('help');
    const help = outcome.kind === 'help' ? outcome.text : '';
    expect(help.startsWith('Measures an example.\n\nUsage: node example.js [clips] [options]\n')).toBe(true);
    expect(help).toContain('  --seeds <n>,...\n      The seeds. Allowed: comma-separated, each a whole number from 0 to 1000. Default: 0,1,2.');
    expect(help).toContain('  --live-seconds <x>\n      Seconds live. Allowed: a number from 1 to 3600. Default: 120.');
    expect(help).toContain('  --leave-one-out\n      Each corpus the target. Default: off.');
    expect(help).toContain('  --out <folder>\n      Where results go. Allowed: a folder. Default: runs/<protocol>.');
    expect(help).toContain('  --corpus <name>\n      That corpus alone. Allowed: a corpus name. Default: none. Repeatable.');
    expect(help).toContain('  [clips]\n      Clips per corpus. Allowed: a whole number from 1 to 10000. Default: 40.');
    expect(help).toContain('  -h, --help\n');
    expect(read(['--help']).kind).toBe('help');
  });

  it('runs the cross-value check on what was read', () => {
    const checked = { ...example, check: ({ options }: { options: { leaveOneOut: boolean; out: string | undefined } }) => (options.leaveOneOut && !options.out ? '--leave-one-out needs --out' : undefined) };
    expect(readOptions(checked, ['--leave-one-out'])).toEqual({ kind: 'invalid', message: '--leave-one-out needs --out' });
    expect(readOptions(checked, ['--leave-one-out', '--out', 'o']).kind).toBe('parsed');
  });
});

/** Every script that reads a command line, with each flag its --help must list and a value it must refuse as out of range. */
const SCRIPTS: { script: string; flags: string[]; outOfRange?: { args: string[]; message: string } }[] = [
  {
    script: 'bench-experiment',
    flags: ['--leave-one-out', '--normalisation <name>', '--pitch', '--domain-batch-norm', '--targets <name>,...', '--seeds <n>,...', '--methods <name>,...', '--runs', '--out <folder>', '--features <folder>'],
    outOfRange: { args: ['--seeds', '0,2147483648'], message: '--seeds got "0,2147483648"; allowed: comma-separated, each a whole number from 0 to 2147483647' },
  },
  {
    script: 'bench-predict',
    flags: ['--model <folder>', '--live-seconds <x>', '--json', '--details'],
    outOfRange: { args: ['--live-seconds', '0'], message: '--live-seconds got "0"; allowed: a number from 1 to 3600' },
  },
  { script: 'bench-queue', flags: ['--corpus <folder>'] },
  {
    script: 'bench-segments',
    flags: ['[clips]', '--energy', '--json', '--corpus <name>', '--details'],
    outOfRange: { args: ['--energy', '0'], message: 'argument clips got "0"; allowed: a whole number from 1 to 10000' },
  },
  {
    script: 'bench-store',
    flags: ['[corpus]', '[store]', '--items <n>,...', '--work <folder>', '--ravdess <folder>', '--cli <file>', '--workers <n>', '--plan-only', '--plan'],
    outOfRange: { args: ['--items', '15270,0'], message: '--items got "15270,0"; allowed: comma-separated, each a whole number from 1 to 100000000' },
  },
  {
    script: 'release-model',
    flags: ['--seed <n>', '--out <folder>', '--leave-one-out <folder>', '--card-only'],
    outOfRange: { args: ['--seed', '1.5'], message: '--seed got "1.5"; allowed: a whole number from 0 to 2147483647' },
  },
  {
    script: 'bench-features',
    flags: ['--rate <n>', '--channels <n>', '--repeat <n>', '--json', '--pitch'],
    outOfRange: { args: ['--repeat', '21'], message: '--repeat got "21"; allowed: a whole number from 1 to 20' },
  },
  {
    script: 'bench-train',
    flags: ['--json', '--backends <name>,...', '--threads <n>,...', '--profile'],
    outOfRange: { args: ['--threads', '1,0'], message: '--threads got "1,0"; allowed: comma-separated, each a whole number from 1 to 1024' },
  },
];

const compiled = (script: string) => join(repoRoot, 'dist/scripts', `${script}.js`);

describe.each(SCRIPTS)('compiled scripts/$script.ts command line', ({ script, flags, outOfRange }) => {
  it('prints its usage and every option with --help, exit 0', async () => {
    const { code, stdout, stderr } = await runCompiled(compiled(script), ['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('Usage: ');
    for (const head of [...flags, '-h, --help']) expect(stdout).toMatch(new RegExp(`^ {2}${head.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( |$)`, 'm'));
  });

  it('refuses an unknown flag with exit 2 and one line naming it, before any work', async () => {
    const { code, stdout, stderr } = await runCompiled(compiled(script), ['--no-such-flag']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^[a-z:-]+: unknown option --no-such-flag; allowed: --.* \(see --help\)\n$/);
  });

  if (outOfRange) {
    it('refuses a number out of range with exit 2, naming the flag and the range', async () => {
      const { code, stderr } = await runCompiled(compiled(script), outOfRange.args);
      expect(code).toBe(2);
      expect(stderr).toContain(`${outOfRange.message} (see --help)\n`);
    });
  }
});

describe('scripts stop at a bad command line before writing anything', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ser-scripts-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('bench-experiment with a misspelt flag creates no results folder (it used to start the benchmark)', async () => {
    const out = join(scratch, 'experiment');
    const { code } = await runCompiled(compiled('bench-experiment'), ['--out', out, '--leave-one-out', '--seed', '0']);
    expect(code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('bench-store with an item count of 0 creates no work folder', async () => {
    const work = join(scratch, 'store');
    const { code } = await runCompiled(compiled('bench-store'), ['--work', work, '--items', '0']);
    expect(code).toBe(2);
    expect(existsSync(work)).toBe(false);
  });

  it('bench-store --plan without its two folders is refused', async () => {
    const { code, stderr } = await runCompiled(compiled('bench-store'), ['--plan', join(scratch, 'corpus')]);
    expect(code).toBe(2);
    expect(stderr).toBe('bench-store: --plan takes <corpus> <store>, and only it takes arguments (see --help)\n');
  });
});
