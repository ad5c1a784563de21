import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPage } from '../src/web/build.js';
import { repoRoot } from './helpers/cli.js';

describe('the page build', () => {
  it('bundles the page from src with the browser variants and no Node module', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'ser-web-build-'));
    const { scriptBytes } = await buildPage(outDir);
    const script = readFileSync(join(outDir, 'app.js'), 'utf8');
    expect(scriptBytes).toBe(Buffer.byteLength(script));
    expect(readFileSync(join(outDir, 'index.html'), 'utf8')).toContain('<script type="module" src="app.js">');
    // meyda's browser build replaced the createRequire loader; no require of a Node module survived.
    expect(script).not.toMatch(/createRequire|node:(fs|path|module|worker_threads)/);
  });

  it('fails when a module of the page imports a Node-only module, naming the file and the import', async () => {
    const entry = join(mkdtempSync(join(tmpdir(), 'ser-web-entry-')), 'entry.ts');
    writeFileSync(entry, `import { resolveInside } from '${join(repoRoot, 'src/util/paths.js')}';\nconsole.log(resolveInside);\n`);
    await expect(buildPage(mkdtempSync(join(tmpdir(), 'ser-web-build-')), entry)).rejects.toThrow(
      /src\/util\/paths\.ts imports the Node-only module 'node:[\w/]+'; the page may use browser entry points only/,
    );
  });
});
