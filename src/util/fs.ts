import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

function temporaryName(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

function isMissingFolder(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Write to a temporary sibling, then rename: readers see the old file or the new one, never half of one.
 * The folder is created only when the first write finds it missing (a mkdir per file costs more than the write).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporaryName(path);
  try {
    await writeFile(temporary, data);
  } catch (error) {
    if (!isMissingFolder(error)) throw error;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, data);
  }
  await rename(temporary, path);
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 1)}\n`);
}
