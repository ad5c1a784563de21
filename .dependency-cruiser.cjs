/**
 * The stage order of ARCHITECTURE.md, held by dependency-cruiser (`npm run lint:deps`, run by `.ci/run`):
 * a stage imports only from stages to its left, and from src/util. Folders of one layer (the last stages)
 * may import each other. Type-only imports count too.
 */
const LAYERS = [
  ['audio'],
  ['features'],
  ['segment'],
  ['corpora'],
  ['store'],
  ['model'],
  ['infer'],
  ['train'],
  ['adapt'],
  ['eval'],
  ['predict', 'experiment', 'queue', 'web'],
  ['cli'],
];
const folders = (layers) => `^src/(${layers.flat().join('|')})/`;

const stageOrder = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer.join('-')}-imports-only-left`,
  comment: `${layer.join(', ')} may import only stages to its left in ARCHITECTURE.md's order (and src/util)`,
  severity: 'error',
  from: { path: folders([layer]) },
  to: { path: folders(LAYERS.slice(i + 1)) },
}));

module.exports = {
  forbidden: [
    ...stageOrder,
    {
      name: 'util-imports-no-stage',
      comment: 'src/util holds primitives every stage may use, so it imports none of them',
      severity: 'error',
      from: { path: '^src/util/' },
      to: { path: '^src/', pathNot: '^src/util/' },
    },
    {
      name: 'only-cli-knows-yargs',
      comment: 'only src/cli knows the command line',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: 'node_modules/yargs' },
    },
    {
      name: 'library-not-cli',
      comment: 'the library API (src/index.ts) does not load the CLI',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-circular',
      comment: 'modules import one way at run time (a lazy import(), as src/cli/commands.ts loads the command that runs, and a type-only import do not close a cycle)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['dynamic-import', 'type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: { path: ['^src/', 'node_modules/yargs'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
