import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../..');

/** The TypeScript sources under `folder` whose compiled file in dist/ is missing or older than they are. */
function staleSources(folder: string): string[] {
  return readdirSync(join(repoRoot, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(folder, file))
    .filter((source) => {
      const compiled = join(repoRoot, 'dist', source.replace(/\.ts$/, '.js'));
      return !existsSync(compiled) || statSync(compiled).mtimeMs < statSync(join(repoRoot, source)).mtimeMs;
    });
}

/**
 * Vitest global setup: several tests run the compiled build (the `ser` CLI, training worker threads), so a
 * missing or stale dist/ is rebuilt here rather than letting those tests skip or test old code. `npm test`
 * builds first, so this finds nothing to do there; `npx vitest run test/x.test.ts` gets a fresh build too.
 */
export default function buildIfStale(): void {
  const stale = [...staleSources('src'), ...staleSources('scripts')];
  if (stale.length === 0) return;
  process.stderr.write(`dist/ is missing or older than ${stale.length} source file(s) (${relative(repoRoot, join(repoRoot, stale[0]))}…): building with tsc\n`);
  try {
    execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.json')], { cwd: repoRoot, stdio: 'inherit' });
  } catch {
    throw new Error('the build failed (`npx tsc -p tsconfig.json` shows why); the tests of the compiled CLI and of training threads need it');
  }
}
