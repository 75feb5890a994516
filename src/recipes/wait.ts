/**
 * How a recipe waits: until a deadline (`timeoutMs`), until an AbortSignal fires, and until a
 * watch fires. A wait that passes its deadline answers "timed out" (acquire resolves false, as
 * Curator's `acquire(time, unit)` does); an aborted wait rejects with a DOMException named
 * `AbortError` whose `cause` is the signal's reason (the convention of Node's own APIs).
 */
import type { WatchedEvent, Watcher } from '../client/index.js';

/** Options of every blocking recipe call. */
export interface WaitOptions {
  /** Give up after this many ms (the call then reports a timeout). Default: no limit. */
  readonly timeoutMs?: number;
  /** Give up when this signal aborts (the call then rejects with an AbortError). */
  readonly signal?: AbortSignal;
}

/**
 * Thrown inside a recipe when its deadline passed while it waited for the session to come
 * back; the public call turns it into its timeout answer (false or null).
 */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

/** The error an aborted recipe call rejects with: DOMException `AbortError`, `cause` = the signal's reason. */
export function abortError(reason: unknown): DOMException {
  const error = new DOMException('The operation was aborted', 'AbortError');
  Object.defineProperty(error, 'cause', { value: reason, writable: true, configurable: true });
  return error;
}

/** A deadline plus an optional AbortSignal. */
export class Wait {
  /** Absolute deadline (Date.now() scale), Infinity for none. */
  readonly deadlineMs: number;

  constructor(
    timeoutMs: number | undefined,
    readonly signal: AbortSignal | undefined,
  ) {
    if (timeoutMs !== undefined && !(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0, got ${timeoutMs}`);
    this.deadlineMs = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  }

  /** A wait for a call's options. */
  static from(options: WaitOptions = {}): Wait {
    return new Wait(options.timeoutMs, options.signal);
  }

  /** A wait with no deadline and no signal, for cleanup that must run to its end. */
  static unbounded(): Wait {
    return new Wait(undefined, undefined);
  }

  /** What is left of this wait, as options for a nested call. */
  options(): WaitOptions {
    return { timeoutMs: Number.isFinite(this.deadlineMs) ? this.remainingMs() : undefined, signal: this.signal };
  }

  /** Milliseconds left before the deadline (Infinity without one). */
  remainingMs(): number {
    return Math.max(0, this.deadlineMs - Date.now());
  }

  /** True once the deadline has passed. */
  get expired(): boolean {
    return Date.now() >= this.deadlineMs;
  }

  /** Throws the AbortError if the signal has aborted. */
  throwIfAborted(): void {
    if (this.signal?.aborted) throw abortError(this.signal.reason);
  }

  /**
   * Waits for `until` to settle, the deadline, or the signal. Resolves with `until`'s value or
   * 'timeout'; rejects with an AbortError when aborted (or with `until`'s rejection).
   */
  race<T>(until: Promise<T>): Promise<T | 'timeout'> {
    this.throwIfAborted();
    return new Promise<T | 'timeout'>((resolve, reject) => {
      const stops: (() => void)[] = [];
      const finish = (settle: () => void) => {
        for (const stop of stops) stop();
        settle();
      };
      if (Number.isFinite(this.deadlineMs)) {
        const timer = setTimeout(() => finish(() => resolve('timeout')), this.remainingMs());
        stops.push(() => clearTimeout(timer));
      }
      const signal = this.signal;
      if (signal !== undefined) {
        const onAbort = () => finish(() => reject(abortError(signal.reason)));
        signal.addEventListener('abort', onAbort, { once: true });
        stops.push(() => signal.removeEventListener('abort', onAbort));
      }
      until.then(
        (value) => finish(() => resolve(value)),
        (err: unknown) => finish(() => reject(err)),
      );
    });
  }
}

/**
 * A one-shot watch turned into a promise: pass `watcher` to a read, then await `fired`.
 * Any event fires it (the recipes re-read and decide again, as Curator's do).
 */
export class Trigger {
  readonly fired: Promise<WatchedEvent>;
  readonly watcher: Watcher;
  private firedValue = false;

  constructor() {
    let fire!: (event: WatchedEvent) => void;
    this.fired = new Promise((resolve) => (fire = resolve));
    this.watcher = (event) => {
      this.firedValue = true;
      fire(event);
    };
  }

  /** True once the watch fired. */
  get hasFired(): boolean {
    return this.firedValue;
  }
}
