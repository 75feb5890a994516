/**
 * One TCP connection to one server: framing, the connect handshake, pings when the link is
 * idle and the read timeout that declares it dead. It knows nothing of requests or sessions;
 * the session layer (client-core.ts) decides what to send and what a frame means.
 */
import { FrameDecoder } from '../jute/frame-decoder.js';
import { OpCode, Xid } from '../proto/op-code.js';
import type { HostAddress } from './connect-string.js';
import type { ClientEnvironment, ClientSocket, TimerHandle } from './environment.js';
import { decodeConnectResponse, encodeRequest, type ConnectResponseValue } from './wire.js';

/** Java's bound on how long the client may send nothing before it pings anyway. */
export const PING_INTERVAL_MAX_MS = 10_000;

/** What a connection reports to its owner. After `onLost`, nothing more is reported. */
export interface ConnectionHandlers {
  onHandshake(response: ConnectResponseValue): void;
  onFrame(frame: Buffer): void;
  onLost(reason: string): void;
}

/** Timing of one connection. */
export interface ConnectionTimeouts {
  /** The handshake must complete within this. */
  readonly connectTimeoutMs: number;
  readonly maxFrameBytes: number;
}

type Phase = 'connecting' | 'handshaking' | 'open' | 'closed';

/** A connection to one server, from TCP connect to close. */
export class Connection {
  private phase: Phase = 'connecting';
  private readonly socket: ClientSocket;
  private readonly decoder: FrameDecoder;
  private timer: TimerHandle | null = null;
  private readonly startedAt: number;
  private lastReceiveAt: number;
  private lastSendAt: number;
  private readTimeoutMs = 0;

  constructor(
    private readonly env: ClientEnvironment,
    readonly address: HostAddress,
    private readonly connectRequest: Buffer,
    timeouts: ConnectionTimeouts,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.decoder = new FrameDecoder(timeouts.maxFrameBytes);
    this.startedAt = env.now();
    this.lastReceiveAt = this.startedAt;
    this.lastSendAt = this.startedAt;
    this.socket = env.connect(address, {
      onConnect: () => this.onSocketConnect(),
      onData: (chunk) => this.onSocketData(chunk),
      onClose: (reason) => this.lose(reason),
    });
    this.schedule(timeouts.connectTimeoutMs);
  }

  /** True once the handshake completed and until the connection is lost or closed. */
  get isOpen(): boolean {
    return this.phase === 'open';
  }

  /** Sends one frame; only valid once open. */
  send(frame: Buffer): void {
    if (this.phase !== 'open') return;
    this.lastSendAt = this.env.now();
    this.socket.write(frame);
  }

  /**
   * Starts liveness checks: the connection is lost when nothing arrives for `readTimeoutMs`,
   * and a ping goes out when nothing was sent for half of it (or for 10 s).
   */
  startLiveness(readTimeoutMs: number): void {
    this.readTimeoutMs = Math.max(1, readTimeoutMs);
    this.reschedule();
  }

  /** Closes the socket without reporting `onLost`. */
  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.cancelTimer();
    this.socket.destroy();
  }

  private onSocketConnect(): void {
    if (this.phase !== 'connecting') return;
    this.phase = 'handshaking';
    this.lastSendAt = this.env.now();
    this.socket.write(this.connectRequest);
  }

  private onSocketData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    this.lastReceiveAt = this.env.now();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.lose(`Packet len out of range: ${(err as Error).message}`);
      return;
    }
    for (const frame of frames) {
      // A handler may have closed the connection while this loop ran.
      if ((this.phase as Phase) === 'closed') return;
      if (this.phase === 'handshaking') this.onHandshakeFrame(frame);
      else this.handlers.onFrame(frame);
    }
  }

  private onHandshakeFrame(frame: Buffer): void {
    let response: ConnectResponseValue;
    try {
      response = decodeConnectResponse(frame);
    } catch (err) {
      this.lose(`bad connect response: ${(err as Error).message}`);
      return;
    }
    this.phase = 'open';
    this.cancelTimer();
    this.handlers.onHandshake(response);
  }

  /** Ends the connection and reports why (once). */
  lose(reason: string): void {
    if (this.phase === 'closed') return;
    this.close();
    this.handlers.onLost(reason);
  }

  private schedule(delayMs: number): void {
    this.cancelTimer();
    this.timer = this.env.setTimer(Math.max(0, delayMs), () => this.onTimer());
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.env.clearTimer(this.timer);
    this.timer = null;
  }

  private onTimer(): void {
    this.timer = null;
    if (this.phase === 'connecting' || this.phase === 'handshaking') {
      const waited = Math.round(this.env.now() - this.startedAt);
      this.lose(`Client session timed out, have not heard from server in ${waited}ms`);
      return;
    }
    if (this.phase === 'open') this.reschedule();
  }

  /** Checks the read deadline, pings if due, and sets the timer for the next deadline. */
  private reschedule(): void {
    if (this.phase !== 'open' || this.readTimeoutMs === 0) return;
    const now = this.env.now();
    const idleReceive = now - this.lastReceiveAt;
    if (idleReceive >= this.readTimeoutMs) {
      this.lose(`Client session timed out, have not heard from server in ${Math.round(idleReceive)}ms`);
      return;
    }
    const pingEvery = Math.min(this.readTimeoutMs / 2, PING_INTERVAL_MAX_MS);
    if (now - this.lastSendAt >= pingEvery) this.send(encodeRequest(Xid.ping, OpCode.ping, null));
    const nextPing = this.lastSendAt + pingEvery - now;
    const readDeadline = this.lastReceiveAt + this.readTimeoutMs - now;
    this.schedule(Math.max(1, Math.min(nextPing, readDeadline)));
  }
}
