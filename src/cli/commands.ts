import type { CommandModule } from 'yargs';

// Each command's arguments have their own type; yargs takes every module as it is.
type AnyCommandModule = CommandModule<object, any>;

interface CommandEntry {
  /** The yargs command line (name and positional arguments). */
  command: string;
  describe: string;
  /** Runs a model, so needs a tfjs backend. */
  needsModel: boolean;
  load: () => Promise<AnyCommandModule>;
}

/**
 * Every command, in the order `ser --help` lists them. A command's module is imported only when that
 * command runs: tfjs takes half a second to load, and `preprocess`, `features` and `--help` never need it.
 */
export const COMMANDS = {
  preprocess: {
    command: 'preprocess <corpus>',
    describe: 'Extract the features of every labelled utterance of a corpus folder into a feature store',
    needsModel: false,
    load: async (): Promise<AnyCommandModule> => (await import('./preprocess.js')).preprocessCommand,
  },
  features: {
    command: 'features <file>',
    describe: 'Print the feature matrix of one audio file',
    needsModel: false,
    load: async (): Promise<AnyCommandModule> => (await import('./features.js')).featuresCommand,
  },
  train: {
    command: 'train',
    describe: 'Pretrain the emotion model on a source-language feature store',
    needsModel: true,
    load: async (): Promise<AnyCommandModule> => (await import('./train.js')).trainCommand,
  },
  adapt: {
    command: 'adapt',
    describe: 'Adapt a source-language model to a target language with little or no labelled target data',
    needsModel: true,
    load: async (): Promise<AnyCommandModule> => (await import('./adapt.js')).adaptCommand,
  },
  experiment: {
    command: 'experiment',
    describe: 'Run the whole cross-lingual protocol (source-only, unsupervised, few-shot, target-supervised) over several seeds',
    needsModel: true,
    load: async (): Promise<AnyCommandModule> => (await import('./experiment.js')).experimentCommand,
  },
  demo: {
    command: 'demo',
    describe: 'Run the whole pipeline on the bundled English -> German demo corpus and write a report',
    needsModel: true,
    load: async (): Promise<AnyCommandModule> => (await import('./demo.js')).demoCommand,
  },
  predict: {
    command: 'predict <inputs..>',
    describe: 'Predict the emotion of audio files, whole and in windows over time',
    needsModel: true,
    load: async (): Promise<AnyCommandModule> => (await import('./predict.js')).predictCommand,
  },
  evaluate: {
    command: 'evaluate',
    describe: 'Score a model on labelled corpora: per-language UAR with confidence intervals, confusions, embedding plots',
    needsModel: true,
    load: async (): Promise<AnyCommandModule> => (await import('./evaluate.js')).evaluateCommand,
  },
  queue: {
    command: 'queue',
    describe: 'Spread preprocess or predict over ser worker processes on many machines, through Redis',
    needsModel: false,
    load: async (): Promise<AnyCommandModule> => (await import('./queue.js')).queueCommand,
  },
  worker: {
    command: 'worker',
    describe: 'Take ser queue jobs from Redis and run them (on any number of machines)',
    needsModel: true,
    load: async (): Promise<AnyCommandModule> => (await import('./worker.js')).workerCommand,
  },
  web: {
    command: 'web',
    describe: 'Serve a page that runs the model in the browser: drop or record a clip, nothing is uploaded',
    needsModel: true,
    load: async (): Promise<AnyCommandModule> => (await import('./web.js')).webCommand,
  },
} satisfies Record<string, CommandEntry>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(word: string): word is CommandName {
  return Object.hasOwn(COMMANDS, word);
}

/** The command line and description of a command, for its module to spread into its CommandModule. */
export function commandLine(name: CommandName): { command: string; describe: string } {
  const { command, describe } = COMMANDS[name];
  return { command, describe };
}
