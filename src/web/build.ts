import { existsSync } from 'node:fs';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { PACKAGE_ROOT } from '../util/version.js';
import { DEFAULT_PAGE_DIR } from './paths.js';

/** The page's sources: one browser entry point, the HTML that loads it and its style sheet. */
export const PAGE_SOURCE_DIR = join(PACKAGE_ROOT, 'src/web/page');
export const PAGE_ENTRY = join(PAGE_SOURCE_DIR, 'main.ts');
const STATIC_FILES = ['index.html', 'style.css', 'icon.svg'];

const NODE_BUILTINS = new Set(builtinModules);

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split('/')[0]);
}

function isProjectSource(file: string): boolean {
  return !file.split(sep).includes('node_modules');
}

/**
 * Keeps the bundle to browser entry points. An import of a Node built-in from the project's own code fails the
 * build, naming the file. A project file `x.ts` with a sibling `x.browser.ts` is replaced by it (the Node
 * variant loads a package lazily with `require`, which a page cannot). Packages' own Node imports are left to
 * esbuild, which maps them through their `browser` field or fails the build.
 */
const browserOnly: Plugin = {
  name: 'ser-browser-only',
  setup(on) {
    on.onResolve({ filter: /.*/ }, (args) => {
      if (!args.importer || !isProjectSource(args.importer)) return undefined;
      if (isNodeBuiltin(args.path)) {
        return {
          errors: [{ text: `${relative(PACKAGE_ROOT, args.importer)} imports the Node-only module '${args.path}'; the page may use browser entry points only` }],
        };
      }
      if (args.path.startsWith('.') && args.path.endsWith('.js')) {
        const browserVariant = resolve(dirname(args.importer), args.path.replace(/\.js$/, '.browser.ts'));
        if (existsSync(browserVariant)) return { path: browserVariant };
      }
      return undefined;
    });
  },
};

export interface PageBuild {
  outDir: string;
  /** Bytes of the bundled script (tfjs included, its wasm binaries not: the server sends those apart). */
  scriptBytes: number;
}

/**
 * Bundles the page (esbuild, browser platform, minified ES module) into `outDir` beside its HTML and CSS.
 * `entry` is for tests that check the Node-import guard; the page's own entry is the default.
 */
export async function buildPage(outDir: string = DEFAULT_PAGE_DIR, entry: string = PAGE_ENTRY): Promise<PageBuild> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: entry },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'linked',
    logLevel: 'silent',
    plugins: [browserOnly],
  });
  await Promise.all(STATIC_FILES.map((file) => copyFile(join(PAGE_SOURCE_DIR, file), join(outDir, file))));
  return { outDir, scriptBytes: (await stat(join(outDir, 'app.js'))).size };
}
