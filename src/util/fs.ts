import { mkdir, rename, writeFile } from 'node:fs/promises';
import { renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

function temporaryName(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Write to a temporary sibling, then rename: readers see the old file or the new one, never half of one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryName(path);
  await writeFile(temporary, data);
  await rename(temporary, path);
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = temporaryName(path);
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 1)}\n`);
}
