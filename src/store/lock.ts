import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

export const LOCK_FILE = 'lock';

/** Who holds a store: written once, whole, by link(2) from a temporary file so no reader sees half of it. */
export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

const ownerSchema = z.object({ pid: z.number().int().positive(), host: z.string(), since: z.string() });

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return ownerSchema.parse(JSON.parse(text));
  } catch {
    throw new Error(`${path} is not a lock written by ser (${JSON.stringify(text.slice(0, 80))}); if no run is writing this store, delete it`);
  }
}

/**
 * Takes the store's lock, so that two runs never write one store at once (issue 16, fault 4: a concurrent
 * `--overwrite` deleted frames another run had indexed). A lock left by a process of this host that is no
 * longer running is taken over, with a notice; a live one, or one of another host (whose pid cannot be
 * checked from here), is refused with the fix. Returns the release function.
 */
export async function lockStore(dir: string, onNotice: (message: string) => void = () => {}): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const mine: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const temporary = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await writeFile(temporary, JSON.stringify(mine));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(temporary, path);
        return async () => {
          const owner = await readOwner(path).catch(() => undefined);
          if (owner?.pid === mine.pid && owner.host === mine.host && owner.since === mine.since) await rm(path, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = await readOwner(path);
      if (!owner) continue;
      if (owner.host === mine.host && !isAlive(owner.pid)) {
        onNotice(`${dir}: taking over the lock of a run that stopped without releasing it (pid ${owner.pid} on ${owner.host}, since ${owner.since})`);
        await rm(path, { force: true });
        continue;
      }
      throw new Error(
        `${dir} is being written by another run (pid ${owner.pid} on ${owner.host}, since ${owner.since}); ` +
          `wait for it to finish or choose another --out. If that run no longer exists (its machine crashed), delete ${path}`,
      );
    }
    throw new Error(`${dir}: could not take the store's lock ${path} after 3 tries; another run keeps taking it`);
  } finally {
    await rm(temporary, { force: true });
  }
}
