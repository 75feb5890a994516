/** Data dirs the harness made, so that Ctrl-C removes them too (unless --keep-data). */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

const made = new Set<string>();
const removing = new Map<string, Promise<void>>();
/** rm retries on EBUSY/ENOTEMPTY (a server still flushing as it exits). */
const RM_RETRIES = 3;
let closed = false;

/** A fresh directory under `base`, remembered until `removeDir`. */
export async function makeDir(base: string, prefix: string): Promise<string> {
  if (closed) throw new Error('interrupted: no new data dirs');
  const dir = await mkdtemp(join(base, prefix));
  made.add(dir);
  return dir;
}

/** Removes `dir`; a removal already under way is shared, and the dir is forgotten only once gone. */
export async function removeDir(dir: string): Promise<void> {
  let removal = removing.get(dir);
  if (removal === undefined) {
    removal = rm(dir, { recursive: true, force: true, maxRetries: RM_RETRIES });
    removing.set(dir, removal);
  }
  try {
    await removal;
    made.delete(dir);
  } finally {
    removing.delete(dir);
  }
}

/** From now on `makeDir` refuses (interrupted). */
export function refuseNewDirs(): void {
  closed = true;
}

/** Removes every directory still remembered and refuses new ones (on interrupt). */
export async function removeAllDirs(): Promise<void> {
  closed = true;
  await Promise.allSettled([...made].map((dir) => removeDir(dir)));
}
