/**
 * Watches as async iterators: a persistent (recursive) watch whose events are read with
 * `for await`, and the state changes of a session the same way. Both are bounded (see
 * event-queue.ts: an overflow ends the stream with WatchOverflowError, nothing is dropped
 * silently) and both make session expiry impossible to miss: a watch stream throws
 * SESSIONEXPIRED, a state stream yields 'expired' and ends.
 */
import { AddWatchMode, EventType, KeeperState, WatcherType } from '../proto/defs.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { abortError, onAbort, type RequestOptions } from './abort.js';
import { bufferCapacity, EventQueue, WatchOverflowError } from './event-queue.js';
import type { StateEventName, StateListener, WatchedEvent, Watcher } from './types.js';

/** Options of `client.watch()`. */
export interface WatchStreamOptions extends RequestOptions {
  /** Default PERSISTENT_RECURSIVE (as zkCli's addWatch). */
  readonly mode?: keyof typeof AddWatchMode;
  /** Events buffered for a slow reader at most (default 1024); one more ends the stream with WatchOverflowError. */
  readonly maxBufferedEvents?: number;
}

/** Options of `client.stateChanges()`. */
export interface StateStreamOptions extends RequestOptions {
  /** State changes buffered for a slow reader at most (default 1024). */
  readonly maxBufferedEvents?: number;
}

/** What a watch stream needs from the client. */
export interface WatchStreamHost {
  addWatch(path: string, mode: keyof typeof AddWatchMode, listener: Watcher, options: RequestOptions): Promise<void>;
  /** Removes `listener`'s watch of `watcherType` here, and on the server when nothing else needs it. */
  dropWatch(path: string, watcherType: number, listener: Watcher): Promise<void>;
  on(name: StateEventName, listener: StateListener): () => void;
  /** True when the current connection is to a read-only server. */
  readonly readOnly: boolean;
}

/**
 * A persistent watch read as an AsyncIterable of WatchedEvents. It yields node events and, as
 * Java's watchers see them, state changes (`type` -1 None, `path` null): a Disconnected then a
 * SyncConnected means events may have been missed in between, so a cache should re-read.
 *
 * Ends: `return()`/`break`/`close()` remove the watch (on the server too, unless another watch
 * of this client needs the path) and finish; client.close() finishes; removeWatches from
 * elsewhere yields PersistentWatchRemoved and finishes; session expiry and auth failure THROW
 * KeeperError SESSIONEXPIRED/AUTHFAILED; overflow throws WatchOverflowError after the buffered
 * events; an aborted `signal` throws an AbortError at once.
 */
export class WatchStream implements AsyncIterableIterator<WatchedEvent> {
  /** Resolves once the server has armed the watch; rejects (and the stream throws) if it refused. */
  readonly ready: Promise<void>;
  readonly mode: keyof typeof AddWatchMode;
  private readonly queue: EventQueue<WatchedEvent>;
  private readonly stops: (() => void)[] = [];
  private readonly listener: Watcher = (event) => this.onEvent(event);
  private removal: Promise<void> | null = null;

  constructor(
    private readonly host: WatchStreamHost,
    readonly path: string,
    options: WatchStreamOptions = {},
  ) {
    this.mode = options.mode ?? 'PERSISTENT_RECURSIVE';
    if (!(this.mode in AddWatchMode)) throw new RangeError(`mode must be PERSISTENT or PERSISTENT_RECURSIVE, got ${String(this.mode)}`);
    this.queue = new EventQueue(bufferCapacity(options.maxBufferedEvents), () => this.removeWatch());
    const signal = options.signal;
    this.stops.push(
      host.on('disconnected', () => this.onEvent({ type: EventType.None, state: KeeperState.Disconnected, path: null })),
      host.on('connected', () => {
        const state = host.readOnly ? KeeperState.ConnectedReadOnly : KeeperState.SyncConnected;
        this.onEvent({ type: EventType.None, state, path: null });
      }),
      host.on('expired', () => this.stop(new KeeperError(ErrorCode.SESSIONEXPIRED, path))),
      host.on('authFailed', () => this.stop(new KeeperError(ErrorCode.AUTHFAILED, path))),
      host.on('closed', () => this.stop(null)),
      onAbort(signal, () => this.abort(signal?.reason)),
    );
    this.ready = host.addWatch(path, this.mode, this.listener, { signal });
    this.ready.catch((err: unknown) => this.stop(err));
  }

  private get watcherType(): number {
    return this.mode === 'PERSISTENT' ? WatcherType.Persistent : WatcherType.PersistentRecursive;
  }

  private onEvent(event: WatchedEvent): void {
    const outcome = this.queue.push(event);
    if (outcome === 'overflow') {
      this.stop(new WatchOverflowError(this.queue.capacity, this.path));
      void this.removeWatch();
    } else if (event.type === EventType.PersistentWatchRemoved) {
      this.stop(null);
    }
  }

  /** Ends the stream after what is buffered (error: thrown to the reader) and stops listening. */
  private stop(error: unknown): void {
    for (const stop of this.stops.splice(0)) stop();
    if (error === null) this.queue.end();
    else this.queue.fail(error);
  }

  private abort(reason: unknown): void {
    for (const stop of this.stops.splice(0)) stop();
    this.queue.failNow(abortError(reason));
    void this.removeWatch();
  }

  /** Removes the watch once, after addWatch has been answered (so its listener is registered). */
  private removeWatch(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    this.removal ??= this.ready.then(
      () => this.host.dropWatch(this.path, this.watcherType, this.listener),
      () => {},
    );
    return this.removal;
  }

  next(): Promise<IteratorResult<WatchedEvent>> {
    return this.queue.next();
  }

  /** Stops reading: the watch is removed; resolves once that is done. */
  return(): Promise<IteratorResult<WatchedEvent>> {
    return this.queue.return();
  }

  /** As `return()`: stops reading and removes the watch. */
  async close(): Promise<void> {
    await this.queue.return();
    await this.removeWatch();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Every state transition. */
const STATE_EVENTS: readonly StateEventName[] = ['connected', 'disconnected', 'expired', 'closed', 'authFailed'];
/** Transitions after which the handle is dead: yielded, then the stream ends. */
const FINAL_STATE_EVENTS: ReadonlySet<StateEventName> = new Set(['expired', 'closed', 'authFailed']);

/**
 * The session's state changes as an AsyncIterable: 'connected', 'disconnected', and last one
 * of 'expired', 'closed' or 'authFailed', after which it ends. An aborted `signal` throws an
 * AbortError; more than `maxBufferedEvents` unread changes throw WatchOverflowError.
 */
export function stateStream(
  host: Pick<WatchStreamHost, 'on'>,
  alive: boolean,
  options: StateStreamOptions = {},
): AsyncIterableIterator<StateEventName> {
  const stops: (() => void)[] = [];
  const stopAll = () => {
    for (const stop of stops.splice(0)) stop();
  };
  const queue = new EventQueue<StateEventName>(bufferCapacity(options.maxBufferedEvents), stopAll);
  if (!alive) {
    queue.end();
    return queue;
  }
  for (const name of STATE_EVENTS) {
    stops.push(
      host.on(name, () => {
        if (queue.push(name) === 'overflow') {
          stopAll();
          queue.fail(new WatchOverflowError(queue.capacity, null));
        } else if (FINAL_STATE_EVENTS.has(name)) {
          stopAll();
          queue.end();
        }
      }),
    );
  }
  const signal = options.signal;
  stops.push(
    onAbort(signal, () => {
      stopAll();
      queue.failNow(abortError(signal?.reason));
    }),
  );
  if (signal?.aborted === true) {
    stopAll();
    queue.failNow(abortError(signal.reason));
  }
  return queue;
}
