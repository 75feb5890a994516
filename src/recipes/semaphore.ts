/**
 * A counting semaphore across processes: Curator's InterProcessSemaphoreV2.
 *
 * Layout: `<path>/locks` is an InterProcessMutex (`_c_<uuid>-lock-<seq>`) that admits one
 * acquirer at a time; `<path>/leases` holds one protected EPHEMERAL_SEQUENTIAL node per lease,
 * `_c_<uuid>-lease-<seq>`. An acquirer, holding the mutex, creates its lease node and waits
 * until the leases number at most `maxLeases` (watching the leases' children), then releases
 * the mutex. Since leases are only added under the mutex, and the one adding waits until the
 * count (its own included) fits, at most `maxLeases` leases are ever held at once.
 */
import type { DataInput, ZooKeeperClient } from '../client/index.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { connectionStateOf, type ConnectionState } from './connection-state.js';
import { NODE_RECREATIONS_MAX } from './limits.js';
import { Listeners } from './listeners.js';
import { awaitOrForget, ReentrantLock, standardDriver } from './lock-internals.js';
import { MUTEX_LOCK_NAME } from './mutex.js';
import { DeadlineExceeded, Trigger, Wait, type WaitOptions } from './wait.js';
import { childrenOf, createProtected, deleteGuaranteed, deleteInBackground, joinPath, nodeNameOf } from './znodes.js';

/** Curator's LOCK_PARENT: the child holding the semaphore's mutex. */
export const SEMAPHORE_LOCK_PARENT = 'locks';
/** Curator's LEASE_PARENT: the child holding one node per lease. */
export const SEMAPHORE_LEASE_PARENT = 'leases';
/** Curator's LEASE_BASE_NAME. */
export const SEMAPHORE_LEASE_NAME = 'lease-';

/** One lease: return it with `close()` (idempotent). */
export interface Lease {
  /** The lease's node. */
  readonly path: string;
  readonly nodeName: string;
  /** False once returned, or once the session that held it was lost. */
  readonly isHeld: boolean;
  /** Returns the lease (deletes its node); idempotent. */
  close(): Promise<void>;
}

/** Events of a semaphore. */
export type SemaphoreEvents = {
  /** The session of outstanding leases was lost: those leases are gone. */
  lost: (leases: readonly Lease[]) => void;
  /** The connection dropped while leases were held: they MAY be lost. */
  suspended: () => void;
};

/** Options of InterProcessSemaphore. */
export interface SemaphoreOptions {
  /** Data of our lease nodes (setNodeData; default: none). */
  readonly data?: DataInput;
}

/** Options of `acquire`. */
export interface SemaphoreAcquireOptions extends WaitOptions {
  /** Leases to take, all or none (default 1). */
  readonly qty?: number;
}

type OneLease = { readonly kind: 'lease'; readonly lease: LeaseHandle } | { readonly kind: 'timeout' };

class LeaseHandle implements Lease {
  private held = true;

  constructor(
    private readonly semaphore: InterProcessSemaphore,
    readonly path: string,
  ) {}

  /** The lease node's name. */
  get nodeName(): string {
    return nodeNameOf(this.path);
  }

  /** False once returned or lost. */
  get isHeld(): boolean {
    return this.held;
  }

  /** Marks the lease gone without touching ZooKeeper; true if it was held. */
  drop(): boolean {
    const was = this.held;
    this.held = false;
    return was;
  }

  /** Returns the lease (deletes its node); idempotent. */
  async close(): Promise<void> {
    if (!this.drop()) return;
    await this.semaphore.returnNode(this);
  }
}

/** The semaphore. */
export class InterProcessSemaphore {
  private readonly connection: ConnectionState;
  private readonly leases = new Set<LeaseHandle>();
  private readonly events = new Listeners<SemaphoreEvents>();
  private readonly leasesPath: string;
  private readonly locksPath: string;
  private readonly data: DataInput;
  /** Listening to the session only while leases are held, so an idle semaphore can be collected. */
  private stopWatchingSession: (() => void) | null = null;

  constructor(
    readonly client: ZooKeeperClient,
    readonly path: string,
    readonly maxLeases: number,
    options: SemaphoreOptions = {},
  ) {
    if (!Number.isInteger(maxLeases) || maxLeases < 1) throw new RangeError(`maxLeases must be a positive integer, got ${maxLeases}`);
    this.connection = connectionStateOf(client);
    this.leasesPath = joinPath(path, SEMAPHORE_LEASE_PARENT);
    this.locksPath = joinPath(path, SEMAPHORE_LOCK_PARENT);
    this.data = options.data ?? null;
  }

  /** Listens to `suspended` or `lost`; returns the function that stops it. */
  on<K extends keyof SemaphoreEvents>(name: K, listener: SemaphoreEvents[K]): () => void {
    return this.events.on(name, listener);
  }

  /** Leases this instance holds now. */
  get heldLeases(): readonly Lease[] {
    return [...this.leases];
  }

  /**
   * Takes `qty` leases (default 1): resolves with them, or null when `timeoutMs` passed first
   * (leases taken so far are returned). Rejects with an AbortError when aborted, and with a
   * KeeperError when the session is lost.
   */
  async acquire(options: SemaphoreAcquireOptions = {}): Promise<Lease[] | null> {
    const qty = options.qty ?? 1;
    if (!Number.isInteger(qty) || qty < 1) throw new RangeError(`qty must be a positive integer, got ${qty}`);
    const wait = Wait.from(options);
    const taken: LeaseHandle[] = [];
    let complete = false;
    try {
      while (taken.length < qty) {
        const outcome = await this.acquireOne(wait);
        if (outcome.kind === 'timeout') return null;
        taken.push(outcome.lease);
      }
      complete = true;
      return taken;
    } finally {
      if (!complete) await Promise.all(taken.map((lease) => lease.close()));
    }
  }

  /** Returns leases (Lease.close for each). */
  async returnAll(leases: readonly Lease[]): Promise<void> {
    await Promise.all(leases.map((lease) => lease.close()));
  }

  /** The lease nodes' names (getParticipantNodes). */
  async participantNodes(): Promise<string[]> {
    return childrenOf(this.client, this.connection, Wait.unbounded(), this.leasesPath);
  }

  /** Deletes a returned lease's node. */
  async returnNode(lease: LeaseHandle): Promise<void> {
    this.forget(lease);
    if (!(await deleteGuaranteed(this.client, this.connection, lease.path))) deleteInBackground(this.client, this.connection, lease.path);
  }

  private async acquireOne(wait: Wait): Promise<OneLease> {
    // A mutex per call: calls on one instance exclude each other like calls from two processes.
    const mutex = new ReentrantLock(this.client, this.locksPath, standardDriver(MUTEX_LOCK_NAME, 1));
    if (!(await mutex.acquire(wait.options()))) {
      return { kind: 'timeout' };
    }
    try {
      for (let recreation = 0; recreation <= NODE_RECREATIONS_MAX; recreation++) {
        const outcome = await this.createAndWait(wait);
        if (outcome !== 'vanished') return outcome;
      }
      throw new KeeperError(ErrorCode.NONODE, this.leasesPath);
    } finally {
      await mutex.release();
    }
  }

  /** With the mutex held: makes our lease node and waits for room. */
  private async createAndWait(wait: Wait): Promise<OneLease | 'vanished'> {
    let leasePath: string;
    try {
      leasePath = await createProtected(this.client, this.connection, wait, this.leasesPath, SEMAPHORE_LEASE_NAME, this.data);
    } catch (err) {
      if (err instanceof DeadlineExceeded) return { kind: 'timeout' };
      throw err;
    }
    const lease = new LeaseHandle(this, leasePath);
    this.remember(lease);
    let kept = false;
    try {
      const outcome = await this.waitForRoom(lease, wait);
      if (outcome === 'room') {
        kept = true;
        return { kind: 'lease', lease };
      }
      return outcome === 'timeout' ? { kind: 'timeout' } : 'vanished';
    } catch (err) {
      if (err instanceof DeadlineExceeded) return { kind: 'timeout' };
      throw err;
    } finally {
      if (!kept) await lease.close();
    }
  }

  private async waitForRoom(lease: LeaseHandle, wait: Wait): Promise<'room' | 'timeout' | 'vanished'> {
    // Each pass waits for the leases' children to change; a holder can return a lease once.
    for (;;) {
      const trigger = new Trigger();
      const children = await childrenOf(this.client, this.connection, wait, this.leasesPath, trigger.watcher);
      if (!children.includes(lease.nodeName)) return 'vanished';
      if (children.length <= this.maxLeases) return 'room';
      if (wait.expired) return 'timeout';
      if ((await awaitOrForget(this.client, this.connection, wait, trigger, this.leasesPath, 'Children')) === 'timeout') return 'timeout';
    }
  }

  private remember(lease: LeaseHandle): void {
    this.leases.add(lease);
    if (this.stopWatchingSession !== null) return;
    const stops = [
      this.connection.on('lost', () => this.onLost()),
      this.connection.on('suspended', () => this.events.emit('suspended')),
    ];
    this.stopWatchingSession = () => stops.forEach((stop) => stop());
  }

  private forget(lease: LeaseHandle): void {
    this.leases.delete(lease);
    if (this.leases.size > 0) return;
    this.stopWatchingSession?.();
    this.stopWatchingSession = null;
  }

  private onLost(): void {
    const lost = [...this.leases].filter((lease) => lease.drop());
    if (lost.length === 0) return;
    for (const lease of lost) this.forget(lease);
    if (!this.connection.sessionEnded) for (const lease of lost) deleteInBackground(this.client, this.connection, lease.path);
    this.events.emit('lost', lost);
  }
}
