/** The timer port on Node: setTimeout/setInterval, Date.now and performance.now. */
import type { TimerHandle, TimerPort } from '../ports/timers.js';

type NodeTimer = ReturnType<typeof setTimeout> | ReturnType<typeof setInterval>;

export const nodeTimers: TimerPort = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  setTimeout: (delayMs, callback) => setTimeout(callback, Math.max(0, delayMs)) as unknown as TimerHandle,
  setInterval: (periodMs, callback) => setInterval(callback, periodMs) as unknown as TimerHandle,
  // clearTimeout clears intervals too (they share Node's Timeout class).
  clear: (handle) => clearTimeout(handle as unknown as NodeTimer),
};
