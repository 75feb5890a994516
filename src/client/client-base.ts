/**
 * The session-facing half of the public client: construction and options, state and events,
 * connect/close, and the request primitives (`request`, `call`, watch plans) every operation
 * in zookeeper-client.ts is built on.
 */
import type { JuteReader } from '../jute/reader.js';
import type { JuteWriter } from '../jute/writer.js';
import { AddWatchMode, WatcherType } from '../proto/defs.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import type { ReplyHeaderValue } from '../proto/records.js';
import { abortError, onAbort, type RequestOptions } from './abort.js';
import { ClientCore } from './client-core.js';
import { parseConnectString } from './connect-string.js';
import type { ClientEnvironment } from './environment.js';
import { prependChroot } from './paths.js';
import { isAlive, type ClientOptions, type ClientState, type StateEventName, type StateListener, type WatchOption, type Watcher } from './types.js';
import type { WatchKind } from './watch-registry.js';

/** The raw outcome of `request`: the reply header and, when err is 0, the decoded body. */
export interface RawReply<T> {
  readonly header: ReplyHeaderValue;
  readonly body: T | undefined;
}

/** A watch to register when a read's reply arrives. */
export interface WatchPlan {
  readonly listener: Watcher;
  readonly path: string;
  readonly onOk: WatchKind;
  readonly onNoNode?: WatchKind;
}

/** addWatch modes by name. */
export type AddWatchModeName = keyof typeof AddWatchMode;
/** WatcherType by name (Java's Watcher.WatcherType). */
export type WatcherTypeName = keyof typeof WatcherType;

/** Jute maxbuffer plus room for reply headers and stats around a full-size buffer. */
const DEFAULT_MAX_FRAME_BYTES = 0xfffff + 64 * 1024;
/** Stands in when `{ watch: true }` is asked for without a default watcher: the server still sets the watch. */
export const NO_OP_WATCHER: Watcher = () => {};

/** The connection and request machinery under ZooKeeperClient. */
export class ClientBase {
  protected readonly core: ClientCore;
  protected readonly defaultWatcher: Watcher | null;
  private readonly requestedSessionTimeoutMs: number;
  /** Per path, requests sent with a watch plan and not yet settled (for safe watch removal). */
  private readonly watchesInFlight = new Map<string, number>();

  constructor(connectString: string, options: ClientOptions = {}, private readonly env: ClientEnvironment) {
    const parsed = parseConnectString(connectString);
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.requestedSessionTimeoutMs = sessionTimeoutMs;
    this.defaultWatcher = options.watcher ?? null;
    this.core = new ClientCore(
      parsed,
      {
        sessionTimeoutMs,
        connectTimeoutMs: options.connectTimeoutMs ?? Math.max(1, Math.floor(sessionTimeoutMs / parsed.hosts.length)),
        requestTimeoutMs: options.requestTimeoutMs ?? 0,
        readOnly: options.readOnly ?? false,
        maxOutstandingRequests: options.maxOutstandingRequests ?? 10_000,
        reconnectDelayMs: options.reconnectDelayMs ?? 1_000,
        keepHostOrder: options.keepHostOrder ?? false,
        maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
        defaultWatcher: this.defaultWatcher,
        session: options.session ?? null,
      },
      env,
    );
  }

  /** The connection state, named as Java's ZooKeeper.States. */
  get state(): ClientState {
    return this.core.state;
  }
  /** The session id (0n until the first connection). */
  get sessionId(): bigint {
    return this.core.sessionId;
  }
  /** The session password (16 bytes once connected). */
  get sessionPassword(): Buffer {
    return this.core.sessionPassword;
  }
  /** The session timeout the server granted, ms. */
  get sessionTimeoutMs(): number {
    return this.core.negotiatedTimeoutMs;
  }
  /** The highest zxid seen in a reply. */
  get lastZxid(): bigint {
    return this.core.lastZxid;
  }
  /** The chroot of the connect string, or null. */
  get chroot(): string | null {
    return this.core.chroot;
  }
  /** `host:port` of the current server, or null before the first attempt. */
  get currentHost(): { host: string; port: number } | null {
    return this.core.currentHost;
  }

  /** Listens to a state transition; returns a function that stops listening. */
  on(name: StateEventName, listener: StateListener): () => void {
    return this.core.on(name, listener);
  }

  /**
   * Connects and resolves once a session is established. If none is within `timeoutMs`
   * (default: the session timeout asked for), the client is closed and this rejects with
   * CONNECTIONLOSS (`Infinity`: wait for ever, as the Java client does); it also rejects if
   * the session expires or authentication fails first. Aborting `signal` gives up the same way
   * (the client is closed) but rejects with an AbortError.
   */
  connect(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.core.isConnected) return Promise.resolve();
    if (options.signal?.aborted === true) return Promise.reject(abortError(options.signal.reason));
    if (!isAlive(this.core.state)) {
      const code = this.core.state === 'AUTH_FAILED' ? ErrorCode.AUTHFAILED : ErrorCode.SESSIONEXPIRED;
      return Promise.reject(new KeeperError(code));
    }
    this.core.start();
    const timeoutMs = options.timeoutMs ?? this.requestedSessionTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const stops: (() => void)[] = [];
      const finish = (error: Error | null) => {
        for (const stop of stops) stop();
        if (error === null) resolve();
        else reject(error);
      };
      if (Number.isFinite(timeoutMs)) {
        const timer = this.env.setTimer(timeoutMs, () => {
          finish(new KeeperError(ErrorCode.CONNECTIONLOSS));
          void this.close();
        });
        stops.push(() => this.env.clearTimer(timer));
      }
      stops.push(this.on('connected', () => finish(null)));
      stops.push(this.on('expired', () => finish(new KeeperError(ErrorCode.SESSIONEXPIRED))));
      stops.push(this.on('authFailed', () => finish(new KeeperError(ErrorCode.AUTHFAILED))));
      stops.push(this.on('closed', () => finish(new KeeperError(ErrorCode.CONNECTIONLOSS))));
      stops.push(
        onAbort(options.signal, () => {
          finish(abortError(options.signal?.reason));
          void this.close();
        }),
      );
    });
  }

  /** Closes the session (closeSession, then the socket). Idempotent. */
  close(): Promise<void> {
    return this.core.close();
  }

  /**
   * Sends one request with exactly the body `writeBody` writes (null: header only) and
   * resolves with the reply header and, when err is 0 and `readBody` is given, the decoded
   * body. Never rejects for a server error code: the caller inspects `header.err`. The
   * escape hatch for tests that must send exact records; no chroot is applied.
   */
  request<T = undefined>(
    opCode: number,
    writeBody: ((w: JuteWriter) => void) | null,
    readBody: ((r: JuteReader) => T) | null = null,
    options: RequestOptions = {},
  ): Promise<RawReply<T>> {
    return new Promise((resolve, reject) => {
      this.core.submit({
        opCode,
        write: writeBody,
        complete: (header, body) => {
          const value = header.err === 0 && readBody !== null ? readBody(body) : undefined;
          resolve({ header, body: value });
        },
        fail: (code) => reject(new KeeperError(code)),
        signal: options.signal,
        onAbort: reject,
      });
    });
  }

  /**
   * Sends a request and decodes its reply; a non-zero err rejects with KeeperError(err, path).
   * An aborted call rejects with an AbortError and never registers its watch, even when the
   * server's late reply says it set one (that server watch fires once into no listener).
   */
  protected call<T>(
    opCode: number,
    clientPath: string | undefined,
    write: ((w: JuteWriter) => void) | null,
    read: (r: JuteReader) => T,
    watch?: WatchPlan,
    options: RequestOptions = {},
  ): Promise<T> {
    if (watch !== undefined) this.watchesInFlight.set(watch.path, this.watchRequestsInFlight(watch.path) + 1);
    const settled = () => {
      if (watch === undefined) return;
      const left = this.watchRequestsInFlight(watch.path) - 1;
      if (left > 0) this.watchesInFlight.set(watch.path, left);
      else this.watchesInFlight.delete(watch.path);
    };
    return new Promise<T>((resolve, reject) => {
      this.core.submit({
        opCode,
        write,
        signal: options.signal,
        onAbort: reject,
        complete: (header, body) => {
          if (header.err !== 0) {
            if (watch?.onNoNode !== undefined && header.err === ErrorCode.NONODE) {
              this.core.watches.add(watch.onNoNode, watch.path, watch.listener);
            }
            reject(new KeeperError(header.err, clientPath));
            return;
          }
          const value = read(body);
          if (watch !== undefined) this.core.watches.add(watch.onOk, watch.path, watch.listener);
          resolve(value);
        },
        fail: (code) => reject(new KeeperError(code, clientPath)),
      });
    }).finally(settled);
  }

  protected serverPath(clientPath: string): string {
    return prependChroot(this.chroot, clientPath);
  }

  private listenerOf(option: WatchOption): Watcher | null {
    if (typeof option === 'function') return option;
    if (option?.watch === true) return this.defaultWatcher ?? NO_OP_WATCHER;
    return null;
  }

  /** The abort signal of a read: the options' one, else the one in the object form of `watch`. */
  protected signalOf(watch: WatchOption, options: RequestOptions): AbortSignal | undefined {
    if (options.signal !== undefined) return options.signal;
    return typeof watch === 'object' ? watch.signal : undefined;
  }

  /** Requests in flight that will register a watch on `path` when answered. */
  protected watchRequestsInFlight(path: string): number {
    return this.watchesInFlight.get(path) ?? 0;
  }

  protected watchPlan(option: WatchOption, path: string, onOk: WatchKind, onNoNode?: WatchKind): WatchPlan | undefined {
    const listener = this.listenerOf(option);
    if (listener === null) return undefined;
    return onNoNode === undefined ? { listener, path, onOk } : { listener, path, onOk, onNoNode };
  }
}
