/**
 * The lock machinery shared by the mutex, the read-write lock, the semaphore and the leader
 * selector (Curator's LockInternals + LockInternalsDriver), and the reentrant lock handle.
 *
 * Layout (Curator's, confirmed in StandardLockInternalsDriver / LockInternals /
 * InterProcessMutex): each contender creates the protected EPHEMERAL_SEQUENTIAL node
 * `<path>/_c_<uuid>-<lockName><seq>`; children sort by the text after the last `<lockName>`
 * (the sequence); the driver decides from that order whether we hold the lock, else which
 * single node to watch (our predecessor: no herd effect).
 *
 * Guarantees: while a handle is HELD its node exists and, by the driver's rule, no other
 * contender's decision can grant a conflicting hold. A handle MUST treat `suspended` as "may have
 * lost it" (the session can expire while we are cut off); `lost` means it is gone.
 */
import type { DataInput, ZooKeeperClient } from '../client/index.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { connectionStateOf, type ConnectionState } from './connection-state.js';
import { NODE_RECREATIONS_MAX } from './limits.js';
import { Listeners } from './listeners.js';
import { DeadlineExceeded, Trigger, Wait, type WaitOptions } from './wait.js';
import { childrenOf, createProtected, deleteGuaranteed, deleteInBackground, hasCode, joinPath, nodeNameOf, retrying, sortBySequence } from './znodes.js';

/** What a driver decided: we hold the lock, or we must wait for `watch` (a sibling's name) to change. */
export type LockDecision = { readonly acquired: true } | { readonly acquired: false; readonly watch: string };

/** How a kind of lock names its nodes and decides who holds it (Curator's LockInternalsDriver). */
export interface LockDriver {
  /** The node name after the protected prefix: `lock-`, `__READ__`, `__WRIT__`, `lease-`. */
  readonly lockName: string;
  /** Lock names stripped, in order, to get the sort key (fixForSorting). */
  readonly sortNames: readonly string[];
  /** Decides from the sorted children; `ourName` is among them. */
  decide(sortedChildren: readonly string[], ourName: string): LockDecision;
}

/**
 * Curator's StandardLockInternalsDriver: the first `maxLeases` nodes hold the lock; any other
 * node watches the one `maxLeases` places before it.
 */
export function standardDriver(lockName: string, maxLeases = 1, sortNames: readonly string[] = [lockName]): LockDriver {
  return {
    lockName,
    sortNames,
    decide(sorted, ourName) {
      const ourIndex = sorted.indexOf(ourName);
      if (ourIndex < maxLeases) return { acquired: true };
      return { acquired: false, watch: sorted[ourIndex - maxLeases]! };
    },
  };
}

type TurnOutcome = 'acquired' | 'timeout' | 'vanished';

/**
 * Creates our lock node and waits for our turn. Resolves with the node's path once held, or
 * null when `wait`'s deadline passed (our node is then deleted). Rejects when aborted or when
 * the session is lost (our node is then deleted, or goes with the session).
 */
export async function attemptLock(
  client: ZooKeeperClient,
  state: ConnectionState,
  basePath: string,
  driver: LockDriver,
  data: DataInput,
  wait: Wait,
): Promise<string | null> {
  for (let recreation = 0; recreation <= NODE_RECREATIONS_MAX; recreation++) {
    let ourPath: string;
    try {
      ourPath = await createProtected(client, state, wait, basePath, driver.lockName, data);
    } catch (err) {
      if (err instanceof DeadlineExceeded) return null;
      throw err;
    }
    let outcome: TurnOutcome;
    try {
      outcome = await waitForTurn(client, state, basePath, driver, ourPath, wait);
    } catch (err) {
      await deleteOwnNode(client, state, ourPath);
      if (err instanceof DeadlineExceeded) return null;
      throw err;
    }
    if (outcome === 'acquired') return ourPath;
    if (outcome === 'timeout') {
      await deleteOwnNode(client, state, ourPath);
      return null;
    }
    // 'vanished': our node was deleted under us (by someone else, or with a session); again.
  }
  throw new KeeperError(ErrorCode.NONODE, basePath);
}

/**
 * Deletes a node we gave up on: at once when connected (so a caller that saw acquire fail sees
 * the node gone), else in the background once the session is back.
 */
async function deleteOwnNode(client: ZooKeeperClient, state: ConnectionState, path: string): Promise<void> {
  if (state.state !== 'CONNECTED' || !(await deleteGuaranteed(client, state, path))) deleteInBackground(client, state, path);
}

async function waitForTurn(
  client: ZooKeeperClient,
  state: ConnectionState,
  basePath: string,
  driver: LockDriver,
  ourPath: string,
  wait: Wait,
): Promise<TurnOutcome> {
  const ourName = nodeNameOf(ourPath);
  // Each pass waits for a watched sibling to change; the number of passes is bounded by the
  // number of contenders ahead of us, each of which can leave only once.
  for (;;) {
    wait.throwIfAborted();
    const sorted = sortBySequence(await childrenOf(client, state, wait, basePath), driver.sortNames);
    if (!sorted.includes(ourName)) return 'vanished';
    const decision = driver.decide(sorted, ourName);
    if (decision.acquired) return 'acquired';
    if (wait.expired) return 'timeout';
    const watched = joinPath(basePath, decision.watch);
    const trigger = new Trigger();
    try {
      // getData rather than exists: no watch is left behind on a node that is already gone.
      await retrying(state, wait, () => client.getData(watched, trigger.watcher));
    } catch (err) {
      if (hasCode(err, ErrorCode.NONODE)) continue;
      throw err;
    }
    const outcome = await awaitOrForget(client, state, wait, trigger, watched);
    if (outcome === 'timeout') return 'timeout';
  }
}

/** awaitTrigger, removing our listener from the client when we stop waiting before it fired. */
export async function awaitOrForget(
  client: ZooKeeperClient,
  state: ConnectionState,
  wait: Wait,
  trigger: Trigger,
  path: string,
  type: 'Data' | 'Children' = 'Data',
): Promise<'fired' | 'timeout'> {
  let outcome: 'fired' | 'timeout' = 'timeout';
  try {
    outcome = await state.awaitTrigger(wait, trigger);
    return outcome;
  } finally {
    if (outcome !== 'fired' && !trigger.hasFired && !state.sessionEnded) {
      client.removeWatcher(path, trigger.watcher, type, { local: true }).catch(() => undefined);
    }
  }
}

/** States of a lock handle. */
export type LockState = 'IDLE' | 'ACQUIRING' | 'HELD' | 'LOST';

/** Events of a lock handle while it is held. */
export type LockEvents = {
  /** The connection dropped: the lock MAY be lost (the session may expire). Pause the work it guards. */
  suspended: () => void;
  /** The connection is back with the same session: the lock is still held. */
  reconnected: () => void;
  /** The session expired or stayed unreachable for its whole timeout: the lock is gone. */
  lost: () => void;
};

/**
 * A reentrant lock handle: Curator's InterProcessMutex over any LockDriver. Reentrancy is per
 * handle (JavaScript has no threads to own it): `acquire` on a HELD handle only counts, and
 * each `acquire` must be balanced by a `release`. Concurrent `acquire` calls on one handle run
 * one after the other. Tasks of one process that must exclude each other use one handle each.
 */
export class ReentrantLock {
  private holds = 0;
  private ourPath: string | null = null;
  private stateValue: LockState = 'IDLE';
  private acquiring: Promise<unknown> = Promise.resolve();
  private readonly events = new Listeners<LockEvents>();
  private readonly connection: ConnectionState;
  private stopWatchingSession: (() => void) | null = null;

  constructor(
    readonly client: ZooKeeperClient,
    /** The lock's parent node. */
    readonly basePath: string,
    private readonly driver: LockDriver,
    private readonly data: DataInput = null,
  ) {
    this.connection = connectionStateOf(client);
  }

  /** IDLE, ACQUIRING, HELD, or LOST (the session went while HELD; `release` resets it). */
  get state(): LockState {
    return this.stateValue;
  }

  /** True while this handle holds the lock (and has not been told it lost it). */
  get isAcquired(): boolean {
    return this.stateValue === 'HELD';
  }

  /** Our lock node while held, else null. */
  get lockPath(): string | null {
    return this.stateValue === 'HELD' ? this.ourPath : null;
  }

  /** How many acquires are not yet released. */
  get holdCount(): number {
    return this.holds;
  }

  /** Listens to `suspended`, `reconnected` or `lost` while held; returns the function that stops it. */
  on<K extends keyof LockEvents>(name: K, listener: LockEvents[K]): () => void {
    return this.events.on(name, listener);
  }

  /**
   * Acquires the lock: resolves true once held, false if `timeoutMs` passed first. Rejects
   * with an AbortError when aborted, and with a KeeperError (SESSIONEXPIRED, or
   * CONNECTIONLOSS after a whole session timeout disconnected) when the session is lost.
   */
  acquire(options: WaitOptions = {}): Promise<boolean> {
    const wait = Wait.from(options);
    const run = this.acquiring.then(() => this.acquireNow(wait));
    this.acquiring = run.catch(() => undefined);
    return run;
  }

  private async acquireNow(wait: Wait): Promise<boolean> {
    if (this.stateValue === 'HELD') {
      this.holds++;
      return true;
    }
    this.stateValue = 'ACQUIRING';
    let path: string | null;
    try {
      path = await attemptLock(this.client, this.connection, this.basePath, this.driver, this.data, wait);
    } catch (err) {
      this.stateValue = 'IDLE';
      throw err;
    }
    if (path === null) {
      this.stateValue = 'IDLE';
      return false;
    }
    if (this.connection.state === 'LOST') {
      deleteInBackground(this.client, this.connection, path);
      this.stateValue = 'IDLE';
      throw this.connection.lostError(this.basePath);
    }
    this.ourPath = path;
    this.holds = 1;
    this.stateValue = 'HELD';
    this.watchSession();
    return true;
  }

  /**
   * Releases one hold; the last one deletes our node (retried through connection loss; if the
   * session cannot be reached, the delete finishes in the background or goes with the
   * session). Releasing a LOST lock just resets the handle. Throws if the handle holds nothing.
   */
  async release(): Promise<void> {
    if (this.stateValue === 'LOST') {
      this.reset();
      return;
    }
    if (this.stateValue !== 'HELD' || this.holds <= 0) throw new Error(`You do not own the lock: ${this.basePath}`);
    this.holds--;
    if (this.holds > 0) return;
    const path = this.ourPath!;
    this.reset();
    if (!(await deleteGuaranteed(this.client, this.connection, path))) deleteInBackground(this.client, this.connection, path);
  }

  /** Every contender's node, in lock order (getParticipantNodes). */
  async participantNodes(): Promise<string[]> {
    const children = await childrenOf(this.client, this.connection, Wait.unbounded(), this.basePath);
    return sortBySequence(children.filter((child) => child.includes(this.driver.lockName)), this.driver.sortNames).map((child) =>
      joinPath(this.basePath, child),
    );
  }

  private reset(): void {
    this.stopWatchingSession?.();
    this.stopWatchingSession = null;
    this.ourPath = null;
    this.holds = 0;
    this.stateValue = 'IDLE';
  }

  private watchSession(): void {
    const stops = [
      this.connection.on('suspended', () => this.events.emit('suspended')),
      this.connection.on('reconnected', () => this.events.emit('reconnected')),
      this.connection.on('lost', () => this.onLost()),
    ];
    this.stopWatchingSession = () => stops.forEach((stop) => stop());
  }

  private onLost(): void {
    if (this.stateValue !== 'HELD') return;
    const path = this.ourPath;
    this.stopWatchingSession?.();
    this.stopWatchingSession = null;
    this.stateValue = 'LOST';
    this.holds = 0;
    this.ourPath = null;
    // If the client gets its session back after all, the node must not linger as a holder.
    if (path !== null && !this.connection.sessionEnded) deleteInBackground(this.client, this.connection, path);
    this.events.emit('lost');
  }
}
