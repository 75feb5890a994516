/**
 * A double barrier across processes: Curator's DistributedDoubleBarrier. Members `enter`
 * together once `memberQty` of them have arrived, and `leave` together once all have left
 * their work.
 *
 * Layout: each member creates the EPHEMERAL node `<path>/<uuid>`; the member that finds
 * `memberQty` children creates `<path>/ready` (PERSISTENT), which releases everyone waiting
 * on it. Leaving, members sort the non-ready children: the lowest waits for the highest to go
 * until it is alone, every other member deletes its node and waits for the lowest to go; the
 * last one out deletes `ready`. So nobody returns from `enter` before `memberQty` members have
 * arrived, and nobody returns from `leave` before every member has called it.
 *
 * Connection loss is retried after reconnect (the ephemeral member node survives it). If the
 * session ends, the member's node is gone and `enter`/`leave` reject with SESSIONEXPIRED. Unlike
 * Curator, an `enter` that times out or is aborted deletes its member node, so a member that
 * gave up is not counted.
 */
import { randomUUID } from 'node:crypto';
import type { ZooKeeperClient } from '../client/index.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { connectionStateOf, type ConnectionState } from './connection-state.js';
import { PARENT_CREATE_ATTEMPTS_MAX } from './limits.js';
import { awaitOrForget } from './lock-internals.js';
import { DeadlineExceeded, Trigger, Wait, type WaitOptions } from './wait.js';
import { childrenOf, createIfAbsent, deleteGuaranteed, ensureContainers, hasCode, joinPath, nodeNameOf, retrying } from './znodes.js';

/** Curator's READY_NODE. */
export const READY_NODE = 'ready';

/** The double barrier; one instance per member. */
export class DistributedDoubleBarrier {
  private readonly connection: ConnectionState;
  private readonly ourPath: string;
  private readonly readyPath: string;

  constructor(
    readonly client: ZooKeeperClient,
    readonly path: string,
    readonly memberQty: number,
  ) {
    if (!Number.isInteger(memberQty) || memberQty < 1) throw new RangeError(`memberQty must be a positive integer, got ${memberQty}`);
    this.connection = connectionStateOf(client);
    this.ourPath = joinPath(path, randomUUID());
    this.readyPath = joinPath(path, READY_NODE);
  }

  /** This member's node. */
  get memberPath(): string {
    return this.ourPath;
  }

  /**
   * Enters: resolves true once `memberQty` members are in, false if `timeoutMs` passed first.
   * Rejects with an AbortError when aborted, with a KeeperError when the session is lost.
   */
  async enter(options: WaitOptions = {}): Promise<boolean> {
    const wait = Wait.from(options);
    let entered = false;
    try {
      const readyTrigger = new Trigger();
      const readyExists = (await this.existsReady(wait, readyTrigger)) !== null;
      await this.createMemberNode(wait);
      entered = readyExists || (await this.waitForMembers(wait, readyTrigger));
      return entered;
    } catch (err) {
      if (err instanceof DeadlineExceeded) return false;
      throw err;
    } finally {
      if (!entered && !this.connection.sessionEnded) await deleteGuaranteed(this.client, this.connection, this.ourPath).catch(() => false);
    }
  }

  /**
   * Leaves: resolves true once every member has left, false if `timeoutMs` passed first.
   * Rejects with an AbortError when aborted, with a KeeperError when the session is lost.
   */
  async leave(options: WaitOptions = {}): Promise<boolean> {
    const wait = Wait.from(options);
    try {
      return await this.leaveNow(wait);
    } catch (err) {
      if (err instanceof DeadlineExceeded) return false;
      throw err;
    }
  }

  private existsReady(wait: Wait, trigger: Trigger) {
    return retrying(this.connection, wait, () => this.client.exists(this.readyPath, trigger.watcher));
  }

  private async createMemberNode(wait: Wait): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (await createIfAbsent(this.client, this.connection, wait, this.ourPath, null, 'EPHEMERAL')) return;
        // NODEEXISTS after a retried create: ours if our session owns it.
        const stat = await retrying(this.connection, wait, () => this.client.exists(this.ourPath));
        if (stat !== null && stat.ephemeralOwner === this.client.sessionId) return;
        throw new KeeperError(ErrorCode.NODEEXISTS, this.ourPath);
      } catch (err) {
        if (!hasCode(err, ErrorCode.NONODE) || attempt >= PARENT_CREATE_ATTEMPTS_MAX) throw err;
        await ensureContainers(this.client, this.connection, wait, this.path);
      }
    }
  }

  private async waitForMembers(wait: Wait, readyTrigger: Trigger): Promise<boolean> {
    let trigger = readyTrigger;
    // Each pass waits for `ready` to change, which happens once per round of the barrier.
    for (;;) {
      const children = await childrenOf(this.client, this.connection, wait, this.path);
      if (!children.includes(nodeNameOf(this.ourPath))) throw this.connection.lostError(this.ourPath);
      if (children.length >= this.memberQty) {
        await createIfAbsent(this.client, this.connection, wait, this.readyPath, null, 'PERSISTENT');
        return true;
      }
      if (wait.expired) return false;
      if ((await awaitOrForget(this.client, this.connection, wait, trigger, this.readyPath)) === 'timeout') return false;
      trigger = new Trigger();
      if ((await this.existsReady(wait, trigger)) !== null) return true;
    }
  }

  private async leaveNow(wait: Wait): Promise<boolean> {
    const ourName = nodeNameOf(this.ourPath);
    let ourNodeShouldExist = true;
    // Each pass waits for one member node to go; there are at most memberQty-ish of them.
    for (;;) {
      const children = (await childrenOf(this.client, this.connection, wait, this.path)).filter((name) => name !== READY_NODE).sort();
      if (children.length === 0) break;
      const ourIndex = children.indexOf(ourName);
      if (ourIndex < 0 && ourNodeShouldExist) throw this.connection.sessionEnded ? this.connection.lostError(this.ourPath) : new KeeperError(ErrorCode.NONODE, this.ourPath);
      if (children.length === 1) {
        if (ourNodeShouldExist && children[0] !== ourName) throw new KeeperError(ErrorCode.NONODE, this.ourPath);
        if (ourNodeShouldExist) await this.deleteOurs(wait);
        break;
      }
      const trigger = new Trigger();
      const watched = joinPath(this.path, ourIndex === 0 ? children[children.length - 1]! : children[0]!);
      const stat = await retrying(this.connection, wait, () => this.client.exists(watched, trigger.watcher));
      if (ourIndex !== 0 && ourNodeShouldExist) {
        await this.deleteOurs(wait);
        ourNodeShouldExist = false;
      }
      if (stat === null) continue;
      if (wait.expired) return false;
      if ((await awaitOrForget(this.client, this.connection, wait, trigger, watched)) === 'timeout') return false;
    }
    try {
      await retrying(this.connection, wait, () => this.client.delete(this.readyPath));
    } catch (err) {
      if (!hasCode(err, ErrorCode.NONODE)) throw err;
    }
    return true;
  }

  private async deleteOurs(wait: Wait): Promise<void> {
    try {
      await retrying(this.connection, wait, () => this.client.delete(this.ourPath));
    } catch (err) {
      if (!hasCode(err, ErrorCode.NONODE)) throw err;
    }
  }
}
