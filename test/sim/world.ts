// The simulated world of the whole-server simulator: one seeded Prng, a simulated clock and an
// event queue. Everything the servers and clients do happens inside an event; between events
// the world drains every pending microtask (one setImmediate turn), so promise chains started
// by an event finish before the next event runs. Nothing reads real time, so a run is a
// function of its seed. A trace hash over what happened lets a test prove that.
import { Prng } from '../../src/util/prng.js';
import type { TimerHandle, TimerPort } from '../../src/ports/timers.js';

/** A scheduled event; `cancelled` ones are skipped when their time comes. */
export interface SimEvent {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

/** Wall-clock epoch of sim time 0 (znode ctime/mtime look like real times). */
export const SIM_EPOCH_MS = 1_700_000_000_000;

/** Lets every microtask queued so far (and those they queue) run. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class SimWorld {
  now = 0;
  /** Events run so far. */
  events = 0;
  readonly rng: Prng;
  private readonly heap: SimEvent[] = [];
  private seq = 0;
  private hash = 0x811c9dc5;

  constructor(readonly seed: number) {
    this.rng = new Prng(seed);
  }

  /** Runs `run` after `delayMs` of sim time (0: after everything already due now). */
  schedule(delayMs: number, run: () => void): SimEvent {
    const event: SimEvent = { at: this.now + Math.max(0, delayMs), seq: this.seq++, run, cancelled: false };
    this.push(event);
    return event;
  }

  /** Folds a line into the run's trace hash (FNV-1a). */
  trace(line: string): void {
    let h = this.hash;
    for (let i = 0; i < line.length; i++) {
      h ^= line.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    this.hash = h;
  }

  get traceHash(): string {
    return `${this.hash.toString(16)}:${this.events}:${this.now}`;
  }

  /** Runs the next event, then drains microtasks; false when nothing is scheduled. */
  async step(): Promise<boolean> {
    const event = this.pop();
    if (event === undefined) return false;
    this.now = event.at;
    this.events++;
    event.run();
    await drainMicrotasks();
    return true;
  }

  /** Runs events until `until()` holds, sim time passes `deadline`, or `maxEvents` more have run. */
  async runUntil(until: () => boolean, deadline: number, maxEvents = Number.MAX_SAFE_INTEGER): Promise<boolean> {
    const last = this.events + maxEvents;
    while (!until()) {
      const next = this.peek();
      if (next === undefined || next.at > deadline || this.events >= last) return until();
      await this.step();
    }
    return true;
  }

  /** Timers owned by `owner`: all of them stop when the owner is killed (a crash). */
  timersFor(owner: TimerOwner): TimerPort {
    const world = this;
    return {
      nowMs: () => SIM_EPOCH_MS + Math.floor(world.now),
      monotonicMs: () => world.now,
      setTimeout: (delayMs, callback) => {
        const handle = { event: undefined as SimEvent | undefined };
        handle.event = owner.track(world.schedule(delayMs, () => {
          owner.untrack(handle.event!);
          if (owner.alive) callback();
        }));
        return handle;
      },
      setInterval: (periodMs, callback) => {
        const handle = { event: undefined as SimEvent | undefined };
        const arm = (): void => {
          handle.event = owner.track(world.schedule(periodMs, () => {
            owner.untrack(handle.event!);
            if (!owner.alive) return;
            arm();
            callback();
          }));
        };
        arm();
        return handle;
      },
      clear: (handle: TimerHandle) => {
        const event = (handle as { event?: SimEvent }).event;
        if (event === undefined) return;
        event.cancelled = true;
        owner.untrack(event);
      },
    };
  }

  /** The times of the next few live events (for failure reports). */
  upcoming(count: number): number[] {
    return this.heap.filter((e) => !e.cancelled).map((e) => e.at).sort((a, b) => a - b).slice(0, count);
  }

  private peek(): SimEvent | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.removeTop();
    return this.heap[0];
  }

  private pop(): SimEvent | undefined {
    const event = this.peek();
    if (event !== undefined) this.removeTop();
    return event;
  }

  private removeTop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
  }

  private push(event: SimEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Something whose timers die with it: a server incarnation or a client. */
export class TimerOwner {
  alive = true;
  private readonly pending = new Set<SimEvent>();

  track(event: SimEvent): SimEvent {
    this.pending.add(event);
    return event;
  }

  untrack(event: SimEvent): void {
    this.pending.delete(event);
  }

  /** Cancels every timer and ignores the ones still firing. */
  kill(): void {
    this.alive = false;
    for (const event of this.pending) event.cancelled = true;
    this.pending.clear();
  }
}
