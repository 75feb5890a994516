/**
 * A reentrant read-write lock across processes: Curator's InterProcessReadWriteLock.
 *
 * Layout: readers and writers share one parent; nodes are `<path>/_c_<uuid>-__READ__<seq>` and
 * `<path>/_c_<uuid>-__WRIT__<seq>` (both names 8 characters, as Curator requires) and sort by
 * sequence across both kinds. A writer holds the lock when its node is first; a reader holds it
 * when no writer's node comes before its own (it watches the first such writer). A handle
 * holding the write lock may also take the read lock (downgrade), as in Curator.
 */
import type { DataInput, ZooKeeperClient } from '../client/index.js';
import { ReentrantLock, standardDriver, type LockDriver } from './lock-internals.js';

/** Curator's READ_LOCK_NAME. */
export const READ_LOCK_NAME = '__READ__';
/** Curator's WRITE_LOCK_NAME. */
export const WRITE_LOCK_NAME = '__WRIT__';

const SORT_NAMES = [READ_LOCK_NAME, WRITE_LOCK_NAME] as const;

function readDriver(writeHeld: () => boolean): LockDriver {
  return {
    lockName: READ_LOCK_NAME,
    sortNames: SORT_NAMES,
    decide(sorted, ourName) {
      if (writeHeld()) return { acquired: true };
      for (const name of sorted) {
        if (name === ourName) return { acquired: true };
        if (name.includes(WRITE_LOCK_NAME)) return { acquired: false, watch: name };
      }
      return { acquired: true };
    },
  };
}

/** Options of InterProcessReadWriteLock. */
export interface ReadWriteLockOptions {
  /** Data of our lock nodes (default: none). */
  readonly data?: DataInput;
}

/** A pair of reentrant locks on one path: shared `readLock`, exclusive `writeLock`. */
export class InterProcessReadWriteLock {
  readonly writeLock: ReentrantLock;
  readonly readLock: ReentrantLock;

  constructor(client: ZooKeeperClient, path: string, options: ReadWriteLockOptions = {}) {
    const data = options.data ?? null;
    this.writeLock = new ReentrantLock(client, path, standardDriver(WRITE_LOCK_NAME, 1, SORT_NAMES), data);
    this.readLock = new ReentrantLock(client, path, readDriver(() => this.writeLock.isAcquired), data);
  }
}
