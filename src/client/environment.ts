/**
 * The effects the client needs, behind one narrow interface: sockets, timers, a clock and a
 * random source. The Node implementation is in runtime/client-environment.ts; tests may pass fakes.
 */
import type { HostAddress } from './connect-string.js';

/** Callbacks of one socket. `onClose` is called exactly once, after which no other is. */
export interface SocketHandlers {
  onConnect(): void;
  onData(chunk: Buffer): void;
  onClose(reason: string): void;
}

/** One outgoing byte stream to a server. */
export interface ClientSocket {
  write(data: Buffer): void;
  /** Closes the socket; `onClose` is not called for a destroy the client asked for. */
  destroy(): void;
}

/** An opaque timer handle. */
export type TimerHandle = object;

/** What the client needs from the outside world. */
export interface ClientEnvironment {
  connect(address: HostAddress, handlers: SocketHandlers): ClientSocket;
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** Monotonic milliseconds. */
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
}
