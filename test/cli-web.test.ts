import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/model/backend.js';
import { compiledCli, repoRoot, runCli } from './helpers/cli.js';
import { trainTinyModel } from './helpers/tinyModel.js';

describe.skipIf(!existsSync(compiledCli))('compiled `ser web`', () => {
  let modelDir: string;
  beforeAll(async () => {
    await selectBackend('wasm');
    modelDir = await trainTinyModel(mkdtempSync(join(tmpdir(), 'ser-cli-web-')));
  });

  it('serves the built page and the model on 127.0.0.1, and says where', async () => {
    const child = spawn(process.execPath, [compiledCli, 'web', '--model', modelDir, '--port', '0'], { cwd: repoRoot });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const found = /at (http:\/\/127\.0\.0\.1:\d+\/) /.exec(out);
          if (found) resolve(found[1]);
        });
        child.on('exit', (code) => reject(new Error(`ser web exited with ${code}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script type="module" src="app.js">');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect((await fetch(`${url}app.js`)).status).toBe(200);
      expect(await (await fetch(`${url}model/card.json`)).json()).toMatchObject({ format: 'ser-model-card/1' });
    } finally {
      child.kill();
    }
  });

  it('refuses a port out of range and a folder that holds no model, naming the fix', async () => {
    const port = await runCli(['web', '--model', modelDir, '--port', '70000']);
    expect(port.code).toBe(1);
    expect(port.stderr).toMatch(/--port must be a whole number from 0 to 65535, got 70000/);
    const folder = await runCli(['web', '--model', repoRoot, '--port', '0']);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toMatch(/no model\.json; a model folder is written by `ser train`/);
  });
});
