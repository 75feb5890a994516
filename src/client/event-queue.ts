/**
 * A bounded queue between a producer that pushes (watch notifications, state changes arrive
 * from the socket whether or not anyone is reading) and one consumer that pulls with
 * `for await`. The bound is on the producer: when the consumer falls `capacity` items behind,
 * the queue does NOT drop anything silently; the owner is told (`push` returns 'overflow') and
 * ends the queue with an error, which the consumer sees after the items already buffered.
 */

/** Events kept for a slow consumer at most, by default. */
export const EVENT_BUFFER_DEFAULT = 1024;
/** Largest buffer a caller may ask for. */
export const EVENT_BUFFER_MAX = 1_000_000;

/** A watch or state stream whose consumer fell more than its buffer behind; events after it were not kept. */
export class WatchOverflowError extends Error {
  override name = 'WatchOverflowError';
  /** A stable code, as for Node's errors. */
  readonly code = 'WATCH_OVERFLOW';

  constructor(
    readonly capacity: number,
    readonly path: string | null,
  ) {
    super(`more than ${capacity} events waited to be read${path === null ? '' : ` on ${path}`}; the stream was ended`);
  }
}

/** What `push` did. */
export type PushOutcome = 'queued' | 'overflow' | 'closed';

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(error: unknown): void;
}

type Ending = { readonly kind: 'done' } | { readonly kind: 'error'; readonly error: unknown };

/** Checks a caller's buffer size: an integer in 1..EVENT_BUFFER_MAX. */
export function bufferCapacity(requested: number | undefined): number {
  const capacity = requested ?? EVENT_BUFFER_DEFAULT;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > EVENT_BUFFER_MAX) {
    throw new RangeError(`maxBufferedEvents must be an integer in 1..${EVENT_BUFFER_MAX}, got ${capacity}`);
  }
  return capacity;
}

/** A bounded async FIFO; also the AsyncIterator its consumer reads. */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private readonly waiters: Waiter<T>[] = [];
  /** Set once the producer has finished; applies after the buffered items. */
  private ending: Ending | null = null;
  /** The consumer has seen the end (or returned early): nothing more is queued or delivered. */
  private finished = false;

  /** `onReturn` runs once if the consumer stops early (break, return(), throw()). */
  constructor(
    readonly capacity: number,
    private readonly onReturn: () => Promise<void> | void = () => {},
  ) {}

  /** Items waiting to be read. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** True once no more items will be delivered. */
  get closed(): boolean {
    return this.finished || this.ending !== null;
  }

  /** Hands `item` to a waiting reader or buffers it; 'overflow' when the buffer is full (the item is not kept). */
  push(item: T): PushOutcome {
    if (this.closed) return 'closed';
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: item, done: false });
      return 'queued';
    }
    if (this.size >= this.capacity) return 'overflow';
    this.items.push(item);
    return 'queued';
  }

  /** Ends the stream after the buffered items. */
  end(): void {
    this.finish({ kind: 'done' });
  }

  /** Ends the stream with `error`, thrown to the reader after the buffered items. */
  fail(error: unknown): void {
    this.finish({ kind: 'error', error });
  }

  /** Ends the stream with `error` at once, dropping buffered items (an abort). */
  failNow(error: unknown): void {
    if (this.closed) return;
    this.items = [];
    this.head = 0;
    this.finish({ kind: 'error', error });
  }

  private finish(ending: Ending): void {
    if (this.closed) return;
    this.ending = ending;
    if (this.size === 0) this.settleWaiters();
  }

  /** With nothing buffered and an ending set: the first waiter gets the ending, the rest done. */
  private settleWaiters(): void {
    const ending = this.ending;
    if (ending === null) return;
    for (const waiter of this.waiters.splice(0)) {
      if (!this.finished && ending.kind === 'error') waiter.reject(ending.error);
      else waiter.resolve({ value: undefined, done: true });
      this.finished = true;
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const item = this.items[this.head] as T;
      this.items[this.head] = undefined as T;
      this.head++;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      }
      return Promise.resolve({ value: item, done: false });
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    const ending = this.ending;
    if (ending !== null) {
      this.finished = true;
      return ending.kind === 'error' ? Promise.reject(ending.error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The consumer stops: buffered items are dropped and the owner's `onReturn` runs (awaited). */
  async return(): Promise<IteratorResult<T>> {
    const early = !this.closed;
    this.items = [];
    this.head = 0;
    this.ending ??= { kind: 'done' };
    this.finished = true;
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
    if (early) await this.onReturn();
    return { value: undefined, done: true };
  }

  /** As `return()`; the iterator protocol's throw is a consumer giving up. */
  async throw(error?: unknown): Promise<IteratorResult<T>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
