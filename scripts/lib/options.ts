/**
 * The command line of the scripts in scripts/: node:util parseArgs, strict, over a table saying what each option
 * means, which values it allows and its default. --help prints that table; a misspelt flag or a value out of
 * range stops the script with one line on stderr (exit 2) before it starts work, where reading process.argv by
 * hand ignored the one and passed the other on (`--help` used to start a 20-minute benchmark).
 */
import { parseArgs } from 'node:util';
import { describeRange, inRange, type NumberRange } from '../../src/cli/shared.js';

/** What a value may be: its form in the usage text, its range in words, and its reading. */
export interface Rule<T> {
  readonly placeholder: string;
  readonly allowed: string;
  /** The value `text` stands for, or undefined where the rule does not allow it. */
  parse(text: string): T | undefined;
}

/** An option (its flag is the key, camelCase written in kebab-case) or a positional argument, as a table row. */
export interface Option<T> {
  readonly type: 'string' | 'boolean';
  readonly repeatable: boolean;
  readonly meaning: string;
  readonly rule?: Rule<unknown>;
  /** The default, in words, for the usage text. */
  readonly byDefault: string;
  /** Its value from what parseArgs read for it; `rejected` holds the first text the rule does not allow. */
  read(given: ParsedValue): { value: T } | { rejected: string };
}

type ParseConfig = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
type ParsedValue = string | boolean | (string | boolean)[] | undefined;
type Table = Record<string, Option<unknown>>;
type Values<T extends Table> = { [K in keyof T]: T[K] extends Option<infer V> ? V : never };

export interface Parsed<O extends Table, P extends Table> {
  options: Values<O>;
  positionals: Values<P>;
}

export interface ScriptCommandLine<O extends Table, P extends Table> {
  /** The script's name, first on every error line. */
  name: string;
  /** What the script does, first in --help. */
  summary: string;
  /** How it is run, e.g. `npm run bench:predict -- [options]`. */
  usage: string;
  options: O;
  /** Positional arguments in order, each optional; none allowed where absent. */
  positionals?: P;
  /** A rule across values; returns what is wrong, in one line, or undefined. */
  check?: (parsed: Parsed<O, P>) => string | undefined;
}

export type Outcome<O extends Table, P extends Table> = ({ kind: 'parsed' } & Parsed<O, P>) | { kind: 'help'; text: string } | { kind: 'invalid'; message: string };

/** A number in `range` (declared as `ser` declares its own), written in decimal: Number() would read '0x10', '1e3', ' 1' and ''. */
export const numberIn = (range: NumberRange): Rule<number> => ({
  placeholder: range.integer ? '<n>' : '<x>',
  allowed: describeRange(range),
  parse: (text) => (/^-?\d+(\.\d+)?$/.test(text) && inRange(range, Number(text)) ? Number(text) : undefined),
});

export const wholeNumberIn = (min: number, max: number): Rule<number> => numberIn({ min, max, integer: true });

export const oneOf = <T extends string>(choices: readonly T[]): Rule<T> => ({
  placeholder: '<name>',
  allowed: `one of ${choices.join(', ')}`,
  parse: (text) => choices.find((choice) => choice === text),
});

/** Any text but the empty one: a path or a name the script itself resolves. */
export const text = (placeholder: string, allowed: string): Rule<string> => ({
  placeholder,
  allowed,
  parse: (given) => (given === '' ? undefined : given),
});

export const listOf = <T>(rule: Rule<T>): Rule<T[]> => ({
  placeholder: `${rule.placeholder},...`,
  allowed: `comma-separated, each ${rule.allowed}`,
  parse: (given) => {
    const items = given.split(',').map((item) => rule.parse(item));
    return items.every((item): item is T => item !== undefined) ? items : undefined;
  },
});

const shown = (value: unknown): string => (Array.isArray(value) ? value.join(',') : String(value));

function parsedBy<T>(rule: Rule<T>, given: string): { value: T } | { rejected: string } {
  const value = rule.parse(given);
  return value === undefined ? { rejected: given } : { value };
}

export const flag = (meaning: string): Option<boolean> => ({
  type: 'boolean',
  repeatable: false,
  meaning,
  byDefault: 'off',
  read: (given) => ({ value: given === true }),
});

/** A valued option, `byDefault` when absent. */
export const option = <T>(meaning: string, rule: Rule<T>, byDefault: NoInfer<T>): Option<T> => ({
  type: 'string',
  repeatable: false,
  meaning,
  rule,
  byDefault: shown(byDefault),
  read: (given) => (typeof given === 'string' ? parsedBy(rule, given) : { value: byDefault }),
});

/** A valued option left undefined when absent, for the script to fill in as `whenAbsent` says. */
export const optional = <T>(meaning: string, rule: Rule<T>, whenAbsent: string): Option<T | undefined> => ({
  type: 'string',
  repeatable: false,
  meaning,
  rule,
  byDefault: whenAbsent,
  read: (given) => (typeof given === 'string' ? parsedBy(rule, given) : { value: undefined }),
});

/** An option that may be given several times, each value a list item. */
export const repeated = <T>(meaning: string, rule: Rule<T>): Option<T[]> => ({
  type: 'string',
  repeatable: true,
  meaning,
  rule,
  byDefault: 'none',
  read: (given) => {
    const values: T[] = [];
    for (const item of Array.isArray(given) ? given : []) {
      const parsed = parsedBy(rule, String(item));
      if ('rejected' in parsed) return parsed;
      values.push(parsed.value);
    }
    return { value: values };
  },
});

/** The option's name on the command line: its key in kebab-case. */
const longName = (key: string): string => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const flagName = (key: string): string => `--${longName(key)}`;

function helpText<O extends Table, P extends Table>(script: ScriptCommandLine<O, P>): string {
  const row = (head: string, entry: Option<unknown>) =>
    `  ${head}\n      ${entry.meaning}${entry.rule ? ` Allowed: ${entry.rule.allowed}.` : ''} Default: ${entry.byDefault}.${entry.repeatable ? ' Repeatable.' : ''}`;
  const positionals = Object.entries(script.positionals ?? {});
  return [
    script.summary,
    '',
    `Usage: ${script.usage}`,
    ...(positionals.length > 0 ? ['', 'Arguments (in this order, each optional):', ...positionals.map(([name, entry]) => row(`[${name}]`, entry))] : []),
    '',
    'Options:',
    ...Object.entries(script.options).map(([key, entry]) => row(`${flagName(key)}${entry.rule ? ` ${entry.rule.placeholder}` : ''}`, entry)),
    '  -h, --help\n      Prints this text and exits.',
    '',
  ].join('\n');
}

/**
 * What is wrong with `args`, which strict parseArgs refused: the same arguments read leniently, token by token,
 * give the flag and value to name.
 */
function refusal(args: string[], config: ParseConfig, table: Table, takesPositionals: boolean, refused: Error): string {
  const { tokens } = parseArgs({ args, options: config, strict: false, allowPositionals: true, tokens: true });
  const flags = Object.keys(table).map(flagName).concat('--help').join(', ');
  for (const token of tokens) {
    if (token.kind === 'positional' && !takesPositionals) return `unexpected argument "${token.value}"; allowed: no arguments`;
    if (token.kind !== 'option') continue;
    const entry = Object.entries(table).find(([key]) => longName(key) === token.name)?.[1];
    if (!entry) return `unknown option ${token.rawName}; allowed: ${flags}`;
    if (entry.type === 'boolean' && token.value !== undefined) return `${token.rawName} got "${token.value}"; allowed: no value (it is a flag)`;
    if (entry.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))) {
      const given = token.value === undefined ? 'no value' : `no value before ${token.value} (a value starting with - is written ${token.rawName}=<value>)`;
      return `${token.rawName} got ${given}; allowed: ${entry.rule?.allowed}`;
    }
  }
  return refused.message.split('\n')[0];
}

/** Reads `args` as `script` says (no output, no exit: parseScriptOptions does those). */
export function readOptions<O extends Table, P extends Table>(script: ScriptCommandLine<O, P>, args: string[]): Outcome<O, P> {
  const positionalTable: Table = script.positionals ?? {};
  const config = Object.fromEntries([
    ...Object.entries(script.options).map(([key, entry]) => [longName(key), { type: entry.type, multiple: entry.repeatable }]),
    ['help', { type: 'boolean', short: 'h' }],
  ]) as ParseConfig;
  const takesPositionals = Object.keys(positionalTable).length > 0;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: config, strict: true, allowPositionals: takesPositionals });
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS_'))) throw error;
    const wantsHelp = parseArgs({ args, options: config, strict: false, allowPositionals: true }).values.help === true;
    return wantsHelp ? { kind: 'help', text: helpText(script) } : { kind: 'invalid', message: refusal(args, config, script.options, takesPositionals, error) };
  }
  if (parsed.values.help === true) return { kind: 'help', text: helpText(script) };
  const names = Object.keys(positionalTable);
  if (parsed.positionals.length > names.length) {
    return { kind: 'invalid', message: `unexpected argument "${parsed.positionals[names.length]}"; allowed: at most ${names.length} (${names.join(', ')})` };
  }
  const readTable = (table: Table, valueOf: (key: string, index: number) => ParsedValue, label: (key: string) => string): Record<string, unknown> | string => {
    const values: Record<string, unknown> = {};
    for (const [index, [key, entry]] of Object.entries(table).entries()) {
      const outcome = entry.read(valueOf(key, index));
      if ('rejected' in outcome) return `${label(key)} got "${outcome.rejected}"; allowed: ${entry.rule?.allowed}`;
      values[key] = outcome.value;
    }
    return values;
  };
  const options = readTable(script.options, (key) => parsed.values[longName(key)], flagName);
  if (typeof options === 'string') return { kind: 'invalid', message: options };
  const positionals = readTable(positionalTable, (_, index) => parsed.positionals[index], (name) => `argument ${name}`);
  if (typeof positionals === 'string') return { kind: 'invalid', message: positionals };
  const result = { options, positionals } as Parsed<O, P>;
  const problem = script.check?.(result);
  return problem === undefined ? { kind: 'parsed', ...result } : { kind: 'invalid', message: problem };
}

/** The script's options from process.argv; prints the usage and exits 0 on --help, exits 2 with one line on stderr on a mistake. */
export function parseScriptOptions<O extends Table, P extends Table = Record<never, never>>(script: ScriptCommandLine<O, P>): Parsed<O, P> {
  const outcome = readOptions(script, process.argv.slice(2));
  if (outcome.kind === 'help') {
    process.stdout.write(outcome.text);
    process.exit(0);
  }
  if (outcome.kind === 'invalid') {
    process.stderr.write(`${script.name}: ${outcome.message} (see --help)\n`);
    process.exit(2);
  }
  return outcome;
}
