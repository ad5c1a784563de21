import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const repoRoot = resolve(import.meta.dirname, '../..');
/** The built CLI: `npm test` compiles before it runs vitest, so the tests exercise what users run. */
export const compiledCli = join(repoRoot, 'dist/src/cli/index.js');

const execFileAsync = promisify(execFile);

/** Runs a compiled script of the build with arguments and returns its exit code and output, whatever the code. */
export async function runCompiled(script: string, args: string[], { cwd = repoRoot }: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [script, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

/** Runs `ser` with arguments and returns its exit code and output, whatever the code. */
export const runCli = (args: string[], options: { cwd?: string } = {}) => runCompiled(compiledCli, args, options);
