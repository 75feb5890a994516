/**
 * The session as the recipes see it, in Curator's ConnectionState terms:
 *
 *   CONNECTED --disconnected--> SUSPENDED --connected--> CONNECTED
 *   SUSPENDED --(session timeout passes, or the client reports expired/closed)--> LOST
 *   LOST --connected (the client got its session back after all)--> CONNECTED
 *
 * SUSPENDED means "the lock or leadership MAY be gone": the server expires the session
 * `sessionTimeoutMs` after it last heard from us, and we cannot know when that was. So, as
 * Curator's default error policy does, a leader gives up leadership on SUSPENDED, and a lock
 * holder is told (`suspended`) so it can pause its critical section. LOST is reported when the
 * client says the session expired, when it was closed, or when the client has stayed
 * disconnected for a whole session timeout (the server must have expired it by then; the
 * client itself only learns that once it reaches a server again).
 *
 * `lost` may come twice: once when presumed (the timer) and again when the client confirms the
 * session ended; listeners treat it idempotently and check `sessionEnded` for the final word.
 *
 * One tracker per client, shared by every recipe on it (`connectionStateOf`).
 */
import type { ZooKeeperClient } from '../client/index.js';
import { isAlive } from '../client/index.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { RECONNECT_WAIT_MS_DEFAULT } from './limits.js';
import { Listeners } from './listeners.js';
import { DeadlineExceeded, type Trigger, type Wait } from './wait.js';

/** Curator's connection states, reduced to the three a recipe acts on. */
export type ConnectionStateName = 'CONNECTED' | 'SUSPENDED' | 'LOST';

/** Events of the tracker. */
export type ConnectionEvents = {
  suspended: () => void;
  reconnected: () => void;
  lost: () => void;
};

/** Follows one client's connection and session. */
export class ConnectionState {
  private stateValue: ConnectionStateName;
  private lostTimer: NodeJS.Timeout | null = null;
  private endReported = false;
  private readonly events = new Listeners<ConnectionEvents>();

  constructor(readonly client: ZooKeeperClient) {
    this.stateValue = initialState(client);
    this.endReported = this.stateValue === 'LOST';
    client.on('disconnected', () => this.onDisconnected());
    client.on('connected', () => this.onConnected());
    for (const name of ['expired', 'closed', 'authFailed'] as const) client.on(name, () => this.onSessionEnded());
  }

  /** The current state. */
  get state(): ConnectionStateName {
    return this.stateValue;
  }

  /** True once the client can never reach its session again (expired, closed, auth failed). */
  get sessionEnded(): boolean {
    return !isAlive(this.client.state);
  }

  /** Listens to `suspended`, `reconnected` or `lost`; returns the function that stops it. */
  on<K extends keyof ConnectionEvents>(name: K, listener: ConnectionEvents[K]): () => void {
    return this.events.on(name, listener);
  }

  /** The error a recipe reports when it gave up because the session is (or may be) gone. */
  lostError(path?: string): KeeperError {
    return new KeeperError(this.sessionEnded ? ErrorCode.SESSIONEXPIRED : ErrorCode.CONNECTIONLOSS, path);
  }

  /**
   * Resolves once connected. Rejects with `lostError()` when LOST, with DeadlineExceeded when
   * `wait`'s deadline passes, and with an AbortError when the signal aborts.
   */
  async waitConnected(wait: Wait): Promise<void> {
    for (;;) {
      if (this.stateValue === 'CONNECTED' && this.client.state === 'CONNECTED') return;
      if (this.stateValue === 'LOST') throw this.lostError();
      const changed = new Promise<void>((resolve) => {
        const stops = [this.on('reconnected', () => done()), this.on('lost', () => done())];
        const done = () => {
          for (const stop of stops) stop();
          resolve();
        };
      });
      if ((await wait.race(changed)) === 'timeout') throw new DeadlineExceeded('deadline passed while disconnected');
    }
  }

  /**
   * Waits for `trigger` to fire, the deadline ('timeout'), or the signal (rejects with an
   * AbortError). Rejects with `lostError()` if the session is lost first, since a watch never
   * fires for a session that is gone.
   */
  async awaitTrigger(wait: Wait, trigger: Trigger): Promise<'fired' | 'timeout'> {
    if (this.stateValue === 'LOST') throw this.lostError();
    let stop = () => {};
    const lost = new Promise<'lost'>((resolve) => (stop = this.on('lost', () => resolve('lost'))));
    try {
      const outcome = await wait.race(Promise.race([trigger.fired.then(() => 'fired' as const), lost]));
      if (outcome === 'lost') throw this.lostError();
      return outcome;
    } finally {
      stop();
    }
  }

  private onDisconnected(): void {
    if (this.stateValue !== 'CONNECTED') return;
    this.stateValue = 'SUSPENDED';
    const timeoutMs = this.client.sessionTimeoutMs > 0 ? this.client.sessionTimeoutMs : RECONNECT_WAIT_MS_DEFAULT;
    this.lostTimer = setTimeout(() => this.becomeLost(), timeoutMs);
    this.lostTimer.unref();
    this.events.emit('suspended');
  }

  private onConnected(): void {
    this.clearTimer();
    if (this.stateValue === 'CONNECTED') return;
    this.stateValue = 'CONNECTED';
    this.events.emit('reconnected');
  }

  /** Reports `lost` again if it was only presumed (timer) before: now it is final. */
  private onSessionEnded(): void {
    this.clearTimer();
    if (this.endReported) return;
    this.endReported = true;
    this.stateValue = 'LOST';
    this.events.emit('lost');
  }

  private becomeLost(): void {
    this.clearTimer();
    if (this.stateValue === 'LOST') return;
    this.stateValue = 'LOST';
    this.events.emit('lost');
  }

  private clearTimer(): void {
    if (this.lostTimer !== null) clearTimeout(this.lostTimer);
    this.lostTimer = null;
  }
}

function initialState(client: ZooKeeperClient): ConnectionStateName {
  if (client.state === 'CONNECTED') return 'CONNECTED';
  return isAlive(client.state) ? 'SUSPENDED' : 'LOST';
}

const trackers = new WeakMap<ZooKeeperClient, ConnectionState>();

/** The shared tracker of `client` (created on first use). */
export function connectionStateOf(client: ZooKeeperClient): ConnectionState {
  let tracker = trackers.get(client);
  if (tracker === undefined) {
    tracker = new ConnectionState(client);
    trackers.set(client, tracker);
  }
  return tracker;
}
