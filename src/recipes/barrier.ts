/**
 * A barrier across processes: Curator's DistributedBarrier.
 *
 * Layout: the barrier is the node `<path>` itself (PERSISTENT, parents as containers). While it
 * exists, `waitOnBarrier` blocks (watching it with exists); `removeBarrier` deletes it and every
 * waiter goes. A waiter survives connection loss (its watch is re-armed on reconnect, and a
 * deletion made meanwhile is reported); when its session ends it rejects with SESSIONEXPIRED.
 */
import type { ZooKeeperClient } from '../client/index.js';
import { ErrorCode } from '../proto/error-code.js';
import { connectionStateOf, type ConnectionState } from './connection-state.js';
import { awaitOrForget } from './lock-internals.js';
import { DeadlineExceeded, Trigger, Wait, type WaitOptions } from './wait.js';
import { createIfAbsent, ensureContainers, hasCode, parentOf, retrying } from './znodes.js';

/** The barrier. */
export class DistributedBarrier {
  private readonly connection: ConnectionState;

  constructor(
    readonly client: ZooKeeperClient,
    readonly path: string,
  ) {
    this.connection = connectionStateOf(client);
  }

  /** Sets the barrier (creates its node; already set is fine). */
  async setBarrier(): Promise<void> {
    const wait = Wait.unbounded();
    try {
      await createIfAbsent(this.client, this.connection, wait, this.path, null, 'PERSISTENT');
    } catch (err) {
      if (!hasCode(err, ErrorCode.NONODE)) throw err;
      await ensureContainers(this.client, this.connection, wait, parentOf(this.path));
      await createIfAbsent(this.client, this.connection, wait, this.path, null, 'PERSISTENT');
    }
  }

  /** Removes the barrier, releasing every waiter (not set is fine). */
  async removeBarrier(): Promise<void> {
    try {
      await retrying(this.connection, Wait.unbounded(), () => this.client.delete(this.path));
    } catch (err) {
      if (!hasCode(err, ErrorCode.NONODE)) throw err;
    }
  }

  /**
   * Blocks while the barrier is set: resolves true once it is not, false if `timeoutMs` passed
   * first. Rejects with an AbortError when aborted, with a KeeperError when the session is lost.
   */
  async waitOnBarrier(options: WaitOptions = {}): Promise<boolean> {
    const wait = Wait.from(options);
    try {
      // Each pass waits for the barrier node to change; it can be deleted only once.
      for (;;) {
        const trigger = new Trigger();
        const stat = await retrying(this.connection, wait, () => this.client.exists(this.path, trigger.watcher));
        if (stat === null) return true;
        if (wait.expired) return false;
        if ((await awaitOrForget(this.client, this.connection, wait, trigger, this.path)) === 'timeout') return false;
      }
    } catch (err) {
      if (err instanceof DeadlineExceeded) return false;
      throw err;
    }
  }
}
