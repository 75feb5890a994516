/**
 * A reentrant exclusive lock across processes: Curator's InterProcessMutex, node for node.
 *
 * Layout: `<path>/_c_<uuid>-lock-<seq>` (EPHEMERAL_SEQUENTIAL, protected); the lowest sequence
 * holds the lock, every other contender watches the node just before its own. Curator's
 * InterProcessMutex on the same path contends with it correctly (test/compat/curator.test.ts).
 */
import type { DataInput, ZooKeeperClient } from '../client/index.js';
import { ReentrantLock, standardDriver } from './lock-internals.js';

/** Curator's InterProcessMutex.LOCK_NAME. */
export const MUTEX_LOCK_NAME = 'lock-';

/** Options of InterProcessMutex. */
export interface MutexOptions {
  /** Data of our lock node (Curator writes the client's address; default: none). */
  readonly data?: DataInput;
}

/**
 * The mutex. `acquire({ timeoutMs, signal })` resolves true once held (false on timeout);
 * `release()` balances each successful acquire; `on('suspended' | 'reconnected' | 'lost')`
 * reports the session under a held lock.
 */
export class InterProcessMutex extends ReentrantLock {
  constructor(client: ZooKeeperClient, path: string, options: MutexOptions = {}) {
    super(client, path, standardDriver(MUTEX_LOCK_NAME, 1), options.data ?? null);
  }
}
