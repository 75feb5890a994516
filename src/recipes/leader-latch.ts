/**
 * Leader election by latch: Curator's LeaderLatch.
 *
 * Layout: each participant creates the protected EPHEMERAL_SEQUENTIAL node
 * `<path>/_c_<uuid>-latch-<seq>` holding its id (UTF-8); the lowest sequence is the leader,
 * every other participant watches the node just before its own.
 *
 * Connection handling follows Curator's default (standard) error policy: leadership is given
 * up as soon as the connection is SUSPENDED, since the session may expire while we are cut
 * off and another participant then leads; on reconnect the latch looks again and, if its node
 * is still first, leads again. When the session ends (expired or closed) the latch is LOST: it
 * can do nothing more on this client (ours does not open a new session by itself, as Curator's
 * does), and says so with `lost`. Make a new client and a new latch to take part again.
 */
import type { ZooKeeperClient } from '../client/index.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { connectionStateOf, type ConnectionState } from './connection-state.js';
import { NODE_RECREATIONS_MAX } from './limits.js';
import { Listeners } from './listeners.js';
import { Trigger, Wait, type WaitOptions } from './wait.js';
import { childrenOf, createProtected, deleteInBackground, hasCode, joinPath, nodeNameOf, retrying, sortBySequence } from './znodes.js';

/** Curator's LeaderLatch.LOCK_NAME. */
export const LATCH_LOCK_NAME = 'latch-';

/** LeaderLatch.State, plus LOST: the session ended under a started latch. */
export type LatchState = 'LATENT' | 'STARTED' | 'CLOSED' | 'LOST';

/** Whether `close()` tells listeners that leadership ended (Curator's CloseMode). */
export type LatchCloseMode = 'SILENT' | 'NOTIFY_LEADER';

/** A participant as read from its node. */
export interface Participant {
  readonly id: string;
  readonly isLeader: boolean;
}

/** Events of a latch. */
export type LatchEvents = {
  isLeader: () => void;
  notLeader: () => void;
  /** The session ended: the latch is LOST. */
  lost: () => void;
  /** A check failed for a reason other than the connection; the latch retries on the next event. */
  error: (err: unknown) => void;
};

/** Options of LeaderLatch. */
export interface LeaderLatchOptions {
  /** Stored in our node; what getLeader/getParticipants report. Default ''. */
  readonly id?: string;
  /** Default SILENT. */
  readonly closeMode?: LatchCloseMode;
}

/** Reads the participants of a latch or selector from its sorted nodes. */
export async function readParticipants(
  client: ZooKeeperClient,
  connection: ConnectionState,
  path: string,
  lockName: string,
): Promise<Participant[]> {
  const wait = Wait.unbounded();
  const sorted = sortBySequence(await childrenOf(client, connection, wait, path), [lockName]).filter((name) => name.includes(lockName));
  const participants: Participant[] = [];
  for (const name of sorted) {
    try {
      const { data } = await retrying(connection, wait, () => client.getData(joinPath(path, name)));
      participants.push({ id: data === null ? '' : data.toString('utf8'), isLeader: participants.length === 0 });
    } catch (err) {
      if (!hasCode(err, ErrorCode.NONODE)) throw err;
    }
  }
  return participants;
}

/** The latch. */
export class LeaderLatch {
  private stateValue: LatchState = 'LATENT';
  private leader = false;
  private ourPath: string | null = null;
  private readonly events = new Listeners<LatchEvents>();
  private readonly connection: ConnectionState;
  private readonly id: string;
  private readonly closeMode: LatchCloseMode;
  private stops: (() => void)[] = [];
  /** A check is running; `recheck` asks it to run once more when done (checks never overlap). */
  private checking = false;
  private recheck = false;
  private recreations = 0;

  constructor(
    readonly client: ZooKeeperClient,
    readonly path: string,
    options: LeaderLatchOptions = {},
  ) {
    this.connection = connectionStateOf(client);
    this.id = options.id ?? '';
    this.closeMode = options.closeMode ?? 'SILENT';
  }

  /** LATENT, STARTED, CLOSED, or LOST (the session ended while STARTED). */
  get state(): LatchState {
    return this.stateValue;
  }

  /** True while this latch leads (STARTED, connected, our node first). */
  get hasLeadership(): boolean {
    return this.stateValue === 'STARTED' && this.leader;
  }

  /** Our node, once created. */
  get ourNodePath(): string | null {
    return this.ourPath;
  }

  /** Listens to `isLeader`, `notLeader`, `lost` or `error`; returns the function that stops it. */
  on<K extends keyof LatchEvents>(name: K, listener: LatchEvents[K]): () => void {
    return this.events.on(name, listener);
  }

  /** Joins the election; resolves after the first check (leader or not). Once only. */
  async start(): Promise<void> {
    if (this.stateValue !== 'LATENT') throw new Error('Cannot be started more than once');
    this.stateValue = 'STARTED';
    this.stops = [
      this.connection.on('suspended', () => this.setLeadership(false)),
      this.connection.on('reconnected', () => this.requestCheck()),
      this.connection.on('lost', () => this.onLost()),
    ];
    await this.requestCheck();
  }

  /**
   * Leaves the election: deletes our node (the next participant leads) and, with
   * NOTIFY_LEADER, tells listeners leadership ended.
   */
  async close(closeMode: LatchCloseMode = this.closeMode): Promise<void> {
    if (this.stateValue !== 'STARTED' && this.stateValue !== 'LOST') throw new Error('Already closed or has not been started');
    const wasLost = this.stateValue === 'LOST';
    this.stateValue = 'CLOSED';
    this.stopListening();
    if (closeMode === 'SILENT') this.events.clear();
    this.setLeadership(false);
    this.events.clear();
    const path = this.ourPath;
    this.ourPath = null;
    if (path !== null && !wasLost) deleteInBackground(this.client, this.connection, path);
  }

  /**
   * Waits for leadership: resolves true once leader, false if `timeoutMs` passed or the latch
   * was closed or lost first. Rejects with an AbortError when aborted.
   */
  async await(options: WaitOptions = {}): Promise<boolean> {
    const wait = Wait.from(options);
    for (;;) {
      if (this.stateValue !== 'STARTED') return false;
      if (this.leader) return true;
      const changed = new Promise<void>((resolve) => {
        const stops = [this.on('isLeader', () => done()), this.on('lost', () => done())];
        const done = () => {
          stops.forEach((stop) => stop());
          resolve();
        };
      });
      if ((await wait.race(changed)) === 'timeout') return this.hasLeadership;
    }
  }

  /** Every participant in election order; the first leads. */
  getParticipants(): Promise<Participant[]> {
    return readParticipants(this.client, this.connection, this.path, LATCH_LOCK_NAME);
  }

  /** The current leader, or null when nobody takes part. */
  async getLeader(): Promise<Participant | null> {
    return (await this.getParticipants())[0] ?? null;
  }

  /** Runs a check now, or once more after the running one. Resolves when checks settle. */
  private async requestCheck(): Promise<void> {
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.recheck = false;
        try {
          await this.check();
        } catch (err) {
          this.onCheckFailed(err);
        }
      } while (this.recheck && this.stateValue === 'STARTED');
    } finally {
      this.checking = false;
    }
  }

  private async check(): Promise<void> {
    if (this.stateValue !== 'STARTED' || this.connection.state !== 'CONNECTED') return;
    const wait = Wait.unbounded();
    if (this.ourPath === null) {
      const path = await createProtected(this.client, this.connection, wait, this.path, LATCH_LOCK_NAME, this.id);
      if (this.stateValue !== 'STARTED') {
        deleteInBackground(this.client, this.connection, path);
        return;
      }
      this.ourPath = path;
    }
    const ourName = nodeNameOf(this.ourPath);
    const sorted = sortBySequence(await childrenOf(this.client, this.connection, wait, this.path), [LATCH_LOCK_NAME]);
    if (this.stateValue !== 'STARTED') return;
    const ourIndex = sorted.indexOf(ourName);
    if (ourIndex < 0) {
      // Our node is gone (deleted by someone, or a session we no longer have): make a new one.
      this.setLeadership(false);
      this.ourPath = null;
      if (this.recreations++ >= NODE_RECREATIONS_MAX) throw new KeeperError(ErrorCode.NONODE, this.path);
      this.recheck = true;
      return;
    }
    this.recreations = 0;
    if (ourIndex === 0) {
      // Only a connected latch leads: a check that raced a disconnect must not claim it.
      this.setLeadership(this.connection.state === 'CONNECTED');
      return;
    }
    this.setLeadership(false);
    const trigger = new Trigger();
    void trigger.fired.then((event) => {
      if (this.stateValue === 'STARTED' && event.type !== -1) void this.requestCheck();
    });
    try {
      await retrying(this.connection, wait, () => this.client.getData(joinPath(this.path, sorted[ourIndex - 1]!), trigger.watcher));
    } catch (err) {
      if (!hasCode(err, ErrorCode.NONODE)) throw err;
      this.recheck = true;
    }
  }

  private onCheckFailed(err: unknown): void {
    this.setLeadership(false);
    // Connection trouble is retried on reconnect; a lost session is handled by onLost.
    if (this.connection.state !== 'CONNECTED' || hasCode(err, ErrorCode.SESSIONEXPIRED)) return;
    this.events.emit('error', err);
  }

  private onLost(): void {
    this.setLeadership(false);
    if (!this.connection.sessionEnded || this.stateValue !== 'STARTED') return;
    this.stateValue = 'LOST';
    this.ourPath = null;
    this.stopListening();
    this.events.emit('lost');
  }

  private stopListening(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  private setLeadership(leader: boolean): void {
    const was = this.leader;
    this.leader = leader;
    if (!was && leader) this.events.emit('isLeader');
    else if (was && !leader) this.events.emit('notLeader');
  }
}
