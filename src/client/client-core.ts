/**
 * The session layer: one ZooKeeper session carried over a succession of connections.
 *
 * States (Java's ZooKeeper.States): NOT_CONNECTED --start--> CONNECTING --handshake-->
 * CONNECTED (or CONNECTEDREADONLY) --connection lost--> CONNECTING --> ... and finally CLOSED
 * (close() or session expiry) or AUTH_FAILED. Requests are sent in submission order; each
 * gets the next xid when it is written, waits in the pending queue, and is answered in order.
 * On a lost connection every request not yet answered fails with CONNECTIONLOSS, and the
 * client reconnects to the next host with the same session id and password, replays its
 * auth packets and re-arms its watches (SetWatches relative to the last zxid it saw).
 */
import type { JuteReader } from '../jute/reader.js';
import type { JuteWriter } from '../jute/writer.js';
import { EventType, KeeperState } from '../proto/defs.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { AuthPacket, WatcherEvent, type ReplyHeaderValue } from '../proto/records.js';
import { OpCode, Xid } from '../proto/op-code.js';
import { abortError, onAbort } from './abort.js';
import { AuthRegistry, type AuthWaiter } from './auth-registry.js';
import { Connection } from './connection.js';
import type { ConnectString, HostAddress } from './connect-string.js';
import type { ClientEnvironment, TimerHandle } from './environment.js';
import { prependChroot, stripChroot } from './paths.js';
import { buildSetWatches } from './set-watches.js';
import { callListener, StateListeners } from './state-listeners.js';
import { isAlive, type ClientState, type StateEventName, type StateListener, type WatchedEvent, type Watcher } from './types.js';
import { WatchRegistry } from './watch-registry.js';
import { decodeReply, encodeConnectRequest, encodeRequest, PASSWORD_BYTES, type ConnectResponseValue } from './wire.js';
import { PendingQueue, XidGenerator } from './xid-queue.js';

/** A request as the session layer carries it. */
export interface Submission {
  readonly opCode: number;
  readonly write: ((w: JuteWriter) => void) | null;
  /** Called with the reply; `body` is positioned after the header. A throw is a protocol error. */
  complete(header: ReplyHeaderValue, body: JuteReader): void;
  /** Called when no reply will come, with the code to report. */
  fail(code: number): void;
  /**
   * Aborting it settles the request with `onAbort` (an AbortError). Not yet sent: it never is.
   * Sent: it stays in the pending queue so its reply is still matched by xid, then dropped.
   */
  readonly signal?: AbortSignal | undefined;
  /** Called instead of `complete`/`fail` when `signal` aborts first. */
  onAbort?(error: Error): void;
}

/** Settings of the session layer, defaults already applied. */
export interface CoreSettings {
  readonly sessionTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly readOnly: boolean;
  readonly maxOutstandingRequests: number;
  readonly reconnectDelayMs: number;
  readonly keepHostOrder: boolean;
  readonly maxFrameBytes: number;
  readonly defaultWatcher: Watcher | null;
  readonly session: { readonly id: bigint; readonly password: Buffer } | null;
}

interface Outstanding {
  xid: number;
  readonly submission: Submission;
  settled: boolean;
  timer: TimerHandle | null;
  /** Removes the abort listener; called when the entry settles. */
  detachAbort: (() => void) | null;
}

/** How long close() waits for the server to confirm closeSession. */
const CLOSE_WAIT_MS_MAX = 3_000;
/** Random pause before a reconnect that is not after a full cycle of hosts. */
const RECONNECT_JITTER_MS_MAX = 50;

/** One session and its connections. */
export class ClientCore {
  private stateValue: ClientState = 'NOT_CONNECTED';
  private sessionIdValue = 0n;
  private passwordValue: Buffer = Buffer.alloc(PASSWORD_BYTES);
  private negotiatedTimeoutMsValue = 0;
  private lastZxidValue = 0n;
  private seenReadWriteServer = false;
  private closing = false;
  /** Client-side watch tables, keyed by client path. */
  readonly watches = new WatchRegistry<Watcher>();
  private readonly auth = new AuthRegistry();
  private connection: Connection | null = null;
  private outgoing: Outstanding[] = [];
  private readonly pending = new PendingQueue<Outstanding>();
  private readonly xids = new XidGenerator();
  private readonly hosts: HostAddress[];
  private hostIndex = -1;
  private failedAttempts = 0;
  private reconnectTimer: TimerHandle | null = null;
  private readonly listeners = new StateListeners();

  constructor(
    readonly connectString: ConnectString,
    private readonly settings: CoreSettings,
    private readonly env: ClientEnvironment,
  ) {
    this.hosts = [...connectString.hosts];
    if (!settings.keepHostOrder) this.shuffleHosts();
    if (settings.session !== null) {
      this.sessionIdValue = settings.session.id;
      this.passwordValue = Buffer.from(settings.session.password);
      this.seenReadWriteServer = true;
    }
  }

  get state(): ClientState {
    return this.stateValue;
  }
  get sessionId(): bigint {
    return this.sessionIdValue;
  }
  get sessionPassword(): Buffer {
    return Buffer.from(this.passwordValue);
  }
  get negotiatedTimeoutMs(): number {
    return this.negotiatedTimeoutMsValue;
  }
  /** The highest zxid seen in a reply header. */
  get lastZxid(): bigint {
    return this.lastZxidValue;
  }
  get chroot(): string | null {
    return this.connectString.chroot;
  }
  /** The server of the current (or last attempted) connection. */
  get currentHost(): HostAddress | null {
    return this.hosts[this.hostIndex] ?? null;
  }
  get isConnected(): boolean {
    return this.stateValue === 'CONNECTED' || this.stateValue === 'CONNECTEDREADONLY';
  }
  /** Requests queued or awaiting a reply. */
  get outstandingCount(): number {
    return this.outgoing.length + this.pending.size;
  }

  /** Registers a state listener; returns a function that removes it. */
  on(name: StateEventName, listener: StateListener): () => void {
    return this.listeners.on(name, listener);
  }

  /** Starts connecting (once). */
  start(): void {
    if (this.stateValue !== 'NOT_CONNECTED') return;
    this.stateValue = 'CONNECTING';
    this.openConnection();
  }

  /** Queues a request; it is sent now if connected, else once connected. */
  submit(submission: Submission, internal = false): void {
    if (submission.signal?.aborted === true) {
      this.reportAbort(submission);
      return;
    }
    const refusal = this.refusalCode(internal);
    if (refusal !== null) {
      submission.fail(refusal);
      return;
    }
    const entry: Outstanding = { xid: 0, submission, settled: false, timer: null, detachAbort: null };
    if (this.settings.requestTimeoutMs > 0 && !internal) {
      entry.timer = this.env.setTimer(this.settings.requestTimeoutMs, () => this.giveUp(entry, ErrorCode.REQUESTTIMEOUT));
    }
    entry.detachAbort = onAbort(submission.signal, () => {
      if (this.giveUp(entry, null)) this.reportAbort(submission);
    });
    if (this.isConnected && this.connection?.isOpen) this.send(entry);
    else this.outgoing.push(entry);
  }

  private reportAbort(submission: Submission): void {
    const error = abortError(submission.signal?.reason);
    if (submission.onAbort !== undefined) submission.onAbort(error);
    else submission.fail(ErrorCode.CONNECTIONLOSS);
  }

  /**
   * Settles a request nobody waits for any more (timeout, abort). One not yet sent leaves the
   * queue and is never sent; a sent one stays pending, so its reply still matches its xid.
   */
  private giveUp(entry: Outstanding, failCode: number | null): boolean {
    if (entry.settled) return false;
    const queuedAt = this.outgoing.indexOf(entry);
    if (queuedAt >= 0) this.outgoing.splice(queuedAt, 1);
    return this.settle(entry, failCode);
  }

  private refusalCode(internal: boolean): number | null {
    if (this.stateValue === 'AUTH_FAILED') return ErrorCode.AUTHFAILED;
    if (this.stateValue === 'CLOSED') return ErrorCode.SESSIONEXPIRED;
    if (this.closing && !internal) return ErrorCode.CONNECTIONLOSS;
    if (!internal && this.outstandingCount >= this.settings.maxOutstandingRequests) return ErrorCode.THROTTLEDOP;
    return null;
  }

  /** Adds credentials: sent now if connected, and again after every reconnect. */
  addAuth(scheme: string, auth: Buffer | null): Promise<void> {
    if (!isAlive(this.stateValue)) {
      return Promise.reject(new KeeperError(this.stateValue === 'AUTH_FAILED' ? ErrorCode.AUTHFAILED : ErrorCode.SESSIONEXPIRED));
    }
    return new Promise((resolve, reject) => {
      const entry = this.auth.add(scheme, auth, { resolve, reject });
      if (this.isConnected) this.sendAuth(entry);
    });
  }

  private sendAuth(entry: AuthWaiter): void {
    const frame = encodeRequest(Xid.auth, OpCode.auth, (w) => AuthPacket.write(w, { type: 0, scheme: entry.scheme, auth: entry.auth }));
    this.auth.sent(entry);
    this.connection?.send(frame);
  }

  private send(entry: Outstanding): void {
    if (entry.settled) return;
    const xid = this.xids.take();
    let frame: Buffer;
    try {
      frame = encodeRequest(xid, entry.submission.opCode, entry.submission.write);
    } catch {
      this.settle(entry, ErrorCode.MARSHALLINGERROR);
      return;
    }
    entry.xid = xid;
    this.pending.push(entry);
    this.connection?.send(frame);
  }

  private settle(entry: Outstanding, failCode: number | null): boolean {
    if (entry.settled) return false;
    entry.settled = true;
    if (entry.timer !== null) this.env.clearTimer(entry.timer);
    entry.timer = null;
    entry.detachAbort?.();
    entry.detachAbort = null;
    if (failCode !== null) entry.submission.fail(failCode);
    return true;
  }

  private failOutstanding(code: number): void {
    const entries = [...this.pending.drain(), ...this.outgoing];
    this.outgoing = [];
    for (const entry of entries) this.settle(entry, code);
  }

  private shuffleHosts(): void {
    for (let i = this.hosts.length - 1; i > 0; i--) {
      const j = Math.floor(this.env.random() * (i + 1));
      [this.hosts[i], this.hosts[j]] = [this.hosts[j]!, this.hosts[i]!];
    }
  }

  private openConnection(): void {
    this.reconnectTimer = null;
    if (!isAlive(this.stateValue)) return;
    this.hostIndex = (this.hostIndex + 1) % this.hosts.length;
    const address = this.hosts[this.hostIndex]!;
    const request = encodeConnectRequest({
      lastZxidSeen: this.lastZxidValue,
      timeOutMs: this.settings.sessionTimeoutMs,
      sessionId: this.seenReadWriteServer ? this.sessionIdValue : 0n,
      password: this.passwordValue,
      readOnly: this.settings.readOnly,
    });
    const timeouts = { connectTimeoutMs: this.settings.connectTimeoutMs, maxFrameBytes: this.settings.maxFrameBytes };
    const connection: Connection = new Connection(this.env, address, request, timeouts, {
      onHandshake: (response) => this.connection === connection && this.onHandshake(response),
      onFrame: (frame) => this.connection === connection && this.onFrame(frame),
      onLost: (reason) => this.connection === connection && this.onLost(reason),
    });
    this.connection = connection;
  }

  private onHandshake(response: ConnectResponseValue): void {
    if (response.timeOutMs <= 0) {
      this.expire();
      return;
    }
    this.sessionIdValue = response.sessionId;
    this.passwordValue = response.password;
    this.negotiatedTimeoutMsValue = response.timeOutMs;
    this.seenReadWriteServer ||= !response.readOnly;
    this.stateValue = response.readOnly ? 'CONNECTEDREADONLY' : 'CONNECTED';
    this.failedAttempts = 0;
    this.connection?.startLiveness(Math.floor((response.timeOutMs * 2) / 3));
    for (const entry of this.auth.all()) this.sendAuth(entry);
    this.rearmWatches();
    const queued = this.outgoing;
    this.outgoing = [];
    for (const entry of queued) this.send(entry);
    this.emit('connected');
    this.deliverStateEvent(response.readOnly ? KeeperState.ConnectedReadOnly : KeeperState.SyncConnected);
  }

  private rearmWatches(): void {
    if (this.watches.empty) return;
    const toServer = (paths: string[]) => paths.map((p) => prependChroot(this.chroot, p));
    const lists = {
      data: toServer(this.watches.paths('data')),
      exist: toServer(this.watches.paths('exist')),
      child: toServer(this.watches.paths('child')),
      persistent: toServer(this.watches.paths('persistent')),
      persistentRecursive: toServer(this.watches.paths('persistentRecursive')),
    };
    for (const request of buildSetWatches(this.lastZxidValue, lists)) {
      this.submit({ opCode: request.opCode, write: request.write, complete: () => {}, fail: () => {} }, true);
    }
  }

  private onFrame(frame: Buffer): void {
    try {
      this.dispatchFrame(frame);
    } catch (err) {
      this.connection?.lose(`bad reply from server: ${(err as Error).message}`);
    }
  }

  private dispatchFrame(frame: Buffer): void {
    const { header, body } = decodeReply(frame);
    if (header.xid === Xid.notification) return this.onNotification(body);
    if (header.xid === Xid.ping) return;
    if (header.xid === Xid.auth) return this.onAuthReply(header.err);
    const match = this.pending.match(header.xid);
    if (!match.ok) throw new Error(match.reason);
    if (header.zxid > 0n) this.lastZxidValue = header.zxid;
    const entry = match.entry;
    if (!this.settle(entry, null)) return;
    try {
      entry.submission.complete(header, body);
    } catch (err) {
      entry.submission.fail(ErrorCode.MARSHALLINGERROR);
      throw err;
    }
  }

  private onNotification(body: JuteReader): void {
    const value = WatcherEvent.read(body);
    const path = stripChroot(this.chroot, value.path ?? '');
    const event: WatchedEvent = { type: value.type, state: value.state, path };
    for (const listener of this.watches.materialize(value.type, path)) callListener(listener, event);
  }

  private onAuthReply(err: number): void {
    if (err === ErrorCode.AUTHFAILED) {
      this.auth.answered(new KeeperError(ErrorCode.AUTHFAILED));
      this.authFailed();
      return;
    }
    this.auth.answered(err === 0 ? null : new KeeperError(err));
  }

  private onLost(_reason: string): void {
    this.connection = null;
    if (!isAlive(this.stateValue)) return;
    const wasConnected = this.isConnected;
    this.stateValue = 'CONNECTING';
    this.failOutstanding(ErrorCode.CONNECTIONLOSS);
    this.auth.connectionLost();
    if (wasConnected) {
      this.emit('disconnected');
      this.deliverStateEvent(KeeperState.Disconnected);
    }
    if (!wasConnected) this.failedAttempts++;
    this.scheduleReconnect();
  }

  /** A short random pause between hosts, and `reconnectDelayMs` after a full cycle without success. */
  private scheduleReconnect(): void {
    const cycled = this.failedAttempts > 0 && this.failedAttempts % this.hosts.length === 0;
    const delayMs = cycled ? this.settings.reconnectDelayMs : this.env.random() * RECONNECT_JITTER_MS_MAX;
    this.reconnectTimer = this.env.setTimer(delayMs, () => this.openConnection());
  }

  /** The server said the session is gone: the handle is dead. */
  private expire(): void {
    this.shutDown('CLOSED', ErrorCode.SESSIONEXPIRED);
    this.emit('expired');
    this.deliverStateEvent(KeeperState.Expired);
  }

  private authFailed(): void {
    this.shutDown('AUTH_FAILED', ErrorCode.AUTHFAILED);
    this.emit('authFailed');
    this.deliverStateEvent(KeeperState.AuthFailed);
  }

  private shutDown(state: 'CLOSED' | 'AUTH_FAILED', code: number): void {
    this.stateValue = state;
    if (this.reconnectTimer !== null) this.env.clearTimer(this.reconnectTimer);
    this.reconnectTimer = null;
    this.connection?.close();
    this.connection = null;
    this.failOutstanding(code);
    this.auth.failAll(new KeeperError(code));
    this.watches.clear();
  }

  /**
   * Ends the session: sends closeSession when connected and waits (bounded) for its reply,
   * then closes the socket. Idempotent.
   */
  async close(): Promise<void> {
    if (!isAlive(this.stateValue) || this.closing) return;
    this.closing = true;
    if (this.isConnected) await this.sendCloseSession();
    if (!isAlive(this.stateValue)) return;
    this.shutDown('CLOSED', ErrorCode.SESSIONEXPIRED);
    this.emit('closed');
    this.deliverStateEvent(KeeperState.Closed);
  }

  private sendCloseSession(): Promise<void> {
    const waitMs = Math.min(CLOSE_WAIT_MS_MAX, Math.max(1, this.negotiatedTimeoutMsValue));
    return new Promise<void>((resolve) => {
      const timer = this.env.setTimer(waitMs, () => resolve());
      const done = () => {
        this.env.clearTimer(timer);
        resolve();
      };
      this.submit({ opCode: OpCode.closeSession, write: null, complete: done, fail: done }, true);
    });
  }

  private emit(name: StateEventName): void {
    this.listeners.emit(name);
  }

  private deliverStateEvent(state: number): void {
    const watcher = this.settings.defaultWatcher;
    if (watcher !== null) callListener(watcher, { type: EventType.None, state, path: null });
  }
}
