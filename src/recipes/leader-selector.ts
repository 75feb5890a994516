/**
 * Leader election by mutex, with requeue: Curator's LeaderSelector.
 *
 * Layout: an InterProcessMutex on `<path>` (`_c_<uuid>-lock-<seq>`, data = the participant's
 * id). Whoever holds the mutex leads: `takeLeadership(signal)` runs, and leadership lasts until
 * it settles. The signal aborts when leadership must end: the connection is SUSPENDED or LOST
 * (Curator's LeaderSelectorListenerAdapter cancels leadership on both), `interruptLeadership()`
 * or `close()`. A listener MUST return promptly once the signal aborts: JavaScript cannot
 * interrupt it, and the mutex is released only when it returns. With `autoRequeue` the selector
 * queues again after every term (also after errors and connection trouble); otherwise call
 * `requeue()`. When the session ends the selector is LOST and stops (`lost`).
 */
import type { ZooKeeperClient } from '../client/index.js';
import { connectionStateOf, type ConnectionState } from './connection-state.js';
import { readParticipants, type Participant } from './leader-latch.js';
import { CONNECTION_RETRIES_MAX } from './limits.js';
import { Listeners } from './listeners.js';
import { InterProcessMutex, MUTEX_LOCK_NAME } from './mutex.js';

/** What a leader does. */
export interface LeaderSelectorListener {
  /** Leads until the returned promise settles; MUST return soon after `signal` aborts. */
  takeLeadership(signal: AbortSignal): Promise<void> | void;
}

/** States of a selector. */
export type SelectorState = 'LATENT' | 'STARTED' | 'CLOSED' | 'LOST';

/** Events of a selector. */
export type SelectorEvents = {
  /** The session ended: the selector is LOST. */
  lost: () => void;
  /** takeLeadership threw, or queueing failed for a reason other than the connection. */
  error: (err: unknown) => void;
};

/** Options of LeaderSelector. */
export interface LeaderSelectorOptions {
  /** Stored in our node; what getLeader/getParticipants report. Default ''. */
  readonly id?: string;
  /** Requeue after every term. Default false. */
  readonly autoRequeue?: boolean;
}

/** Why leadership was taken away (the `reason` of the aborted signal). */
export class LeadershipCancelled extends Error {
  override name = 'LeadershipCancelled';
}

/** The selector. */
export class LeaderSelector {
  private stateValue: SelectorState = 'LATENT';
  private queued = false;
  private leader = false;
  private autoRequeueValue: boolean;
  private running: Promise<void> = Promise.resolve();
  /** Aborted by close(): stops waiting for the mutex and for a reconnect. */
  private readonly closing = new AbortController();
  private leadershipAbort: AbortController | null = null;
  private readonly mutex: InterProcessMutex;
  private readonly connection: ConnectionState;
  private readonly events = new Listeners<SelectorEvents>();

  constructor(
    readonly client: ZooKeeperClient,
    readonly path: string,
    private readonly listener: LeaderSelectorListener,
    options: LeaderSelectorOptions = {},
  ) {
    this.connection = connectionStateOf(client);
    this.autoRequeueValue = options.autoRequeue ?? false;
    const id = options.id ?? '';
    this.mutex = new InterProcessMutex(client, path, { data: id.length > 0 ? id : null });
  }

  /** LATENT, STARTED, CLOSED, or LOST (the session ended while STARTED). */
  get state(): SelectorState {
    return this.stateValue;
  }

  /** True while takeLeadership runs and has not been told to stop. */
  get hasLeadership(): boolean {
    return this.leader;
  }

  /** Listens to `lost` or `error`; returns the function that stops it. */
  on<K extends keyof SelectorEvents>(name: K, listener: SelectorEvents[K]): () => void {
    return this.events.on(name, listener);
  }

  /** Requeue after every term from now on. */
  autoRequeue(): void {
    this.autoRequeueValue = true;
  }

  /** Joins the election (once). */
  start(): void {
    if (this.stateValue !== 'LATENT') throw new Error('Cannot be started more than once');
    this.stateValue = 'STARTED';
    this.requeue();
  }

  /** Queues for leadership unless already queued or leading; true if it queued. */
  requeue(): boolean {
    if (this.stateValue !== 'STARTED' || this.queued) return false;
    this.queued = true;
    this.running = this.work().finally(() => {
      this.queued = false;
    });
    return true;
  }

  /** Aborts the current term's signal (if leading). */
  interruptLeadership(): void {
    this.leadershipAbort?.abort(new LeadershipCancelled('leadership interrupted'));
  }

  /** Leaves the election: stops waiting, ends a running term, and waits until it has. */
  async close(): Promise<void> {
    if (this.stateValue === 'CLOSED') return;
    this.stateValue = 'CLOSED';
    this.closing.abort(new LeadershipCancelled('selector closed'));
    this.leadershipAbort?.abort(new LeadershipCancelled('selector closed'));
    await this.running;
  }

  /** Every participant in election order; the first leads. */
  getParticipants(): Promise<Participant[]> {
    return readParticipants(this.client, this.connection, this.path, MUTEX_LOCK_NAME);
  }

  /** The current leader, or null when nobody takes part. */
  async getLeader(): Promise<Participant | null> {
    return (await this.getParticipants())[0] ?? null;
  }

  private async work(): Promise<void> {
    // Consecutive rounds that failed to get the mutex, bounded; a term resets it.
    let failures = 0;
    while (this.stateValue === 'STARTED') {
      const outcome = await this.oneTerm();
      if (outcome === 'failed') {
        if (++failures > CONNECTION_RETRIES_MAX) return;
        await this.untilReconnected();
      } else {
        failures = 0;
      }
      if (!this.autoRequeueValue) return;
    }
  }

  private async oneTerm(): Promise<'led' | 'failed' | 'stopped'> {
    try {
      await this.mutex.acquire({ signal: this.closing.signal });
    } catch (err) {
      if (this.stateValue !== 'STARTED') return 'stopped';
      if (this.connection.sessionEnded) {
        this.onLost();
        return 'stopped';
      }
      if (this.connection.state === 'CONNECTED') this.events.emit('error', err);
      return 'failed';
    }
    await this.lead();
    return 'led';
  }

  private async lead(): Promise<void> {
    const controller = new AbortController();
    this.leadershipAbort = controller;
    const cancel = (why: string) => controller.abort(new LeadershipCancelled(why));
    const stops = [
      this.connection.on('suspended', () => cancel('connection suspended')),
      this.connection.on('lost', () => cancel('session lost')),
    ];
    if (this.connection.state !== 'CONNECTED') cancel('not connected');
    if (this.stateValue !== 'STARTED') cancel('selector closed');
    this.leader = !controller.signal.aborted;
    try {
      await this.listener.takeLeadership(controller.signal);
    } catch (err) {
      if (!controller.signal.aborted) this.events.emit('error', err);
    } finally {
      this.leader = false;
      this.leadershipAbort = null;
      for (const stop of stops) stop();
      await this.mutex.release().catch(() => undefined);
      if (this.connection.sessionEnded) this.onLost();
    }
  }

  /** Waits until the connection is back, the session ends, or the selector is closed. */
  private untilReconnected(): Promise<void> {
    if (this.connection.state === 'CONNECTED' || this.connection.sessionEnded) return Promise.resolve();
    return new Promise((resolve) => {
      const onClose = () => done();
      const stops = [
        this.connection.on('reconnected', () => done()),
        this.connection.on('lost', () => done()),
        () => this.closing.signal.removeEventListener('abort', onClose),
      ];
      const done = () => {
        stops.forEach((stop) => stop());
        resolve();
      };
      this.closing.signal.addEventListener('abort', onClose, { once: true });
    });
  }

  private onLost(): void {
    if (this.stateValue !== 'STARTED') return;
    this.stateValue = 'LOST';
    this.events.emit('lost');
  }
}
