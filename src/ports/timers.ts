/**
 * The timer-and-clock port: every timer and clock read of a server's composition goes through it,
 * so the same wiring runs on Node's timers (runtime/node-timers.ts) and on a simulated clock.
 */

/** An opaque timer handle. */
export type TimerHandle = object;

export interface TimerPort {
  /** Wall-clock milliseconds since the epoch (znode ctime/mtime, uptimes). */
  nowMs(): number;
  /** Monotonic milliseconds, for measuring durations. */
  monotonicMs(): number;
  /** Runs `callback` once after `delayMs`. */
  setTimeout(delayMs: number, callback: () => void): TimerHandle;
  /** Runs `callback` every `periodMs` until cleared. */
  setInterval(periodMs: number, callback: () => void): TimerHandle;
  clear(handle: TimerHandle): void;
}
