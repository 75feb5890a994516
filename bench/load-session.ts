/**
 * The load client's session: one raw ZooKeeper connection speaking jute through the project's
 * codec, with many requests in flight. Requests written in the same turn of the event loop go
 * out in one socket write; replies are matched to requests in order (ZooKeeper answers each
 * session FIFO), and only the ReplyHeader is decoded unless the caller needs the body.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameDecoder } from '../src/jute/frame-decoder.js';
import { JuteReader } from '../src/jute/reader.js';
import { JuteWriter } from '../src/jute/writer.js';
import { OpCode, Xid } from '../src/proto/op-code.js';
import * as R from '../src/proto/records.js';
import {
  CLIENT_FRAME_BYTES_MAX,
  CONNECT_TIMEOUT_MS,
  PING_INTERVAL_MS,
  REPLY_TIMEOUT_MS,
  SESSION_TIMEOUT_MS,
} from './limits.js';

/** Bytes of a ReplyHeader (xid int, zxid long, err int); the record body follows. */
export const REPLY_HEADER_BYTES = 16;
/** Where the ReplyHeader's err field starts (after xid and zxid). */
const REPLY_ERR_OFFSET = 12;
const PASSWORD_BYTES = 16;
/** Events buffered per session for `nextEvent` before the session is declared broken. */
const BUFFERED_EVENTS_MAX = 100_000;
const WRITER_INITIAL_BYTES = 64 * 1024;

/** Called with the reply's error code, the frame (header included) and the round trip in ms. */
export type ReplyHandler = (err: number, frame: Buffer, latencyMs: number) => void;

/** A watch notification. */
export interface WatchEvent {
  readonly type: number;
  readonly state: number;
  readonly path: string;
}

/** A reply as `call` returns it. */
export interface Reply {
  readonly err: number;
  readonly frame: Buffer;
  readonly latencyMs: number;
}

interface InFlight {
  readonly xid: number;
  readonly startMs: number;
  readonly onReply: ReplyHandler;
}

export class LoadSession {
  sessionId = 0n;
  /** Receives every watch event when set; otherwise events are buffered for `nextEvent`. */
  onEvent: ((event: WatchEvent) => void) | undefined;
  private readonly decoder = new FrameDecoder(CLIENT_FRAME_BYTES_MAX);
  private readonly inFlightQueue: InFlight[] = [];
  private inFlightHead = 0;
  private writer = new JuteWriter(WRITER_INITIAL_BYTES);
  private flushScheduled = false;
  private nextXid = 1;
  private handshakeDone: ((frame: Buffer) => void) | undefined;
  private readonly closeListeners = new Set<(error: Error) => void>();
  private readonly bufferedEvents: WatchEvent[] = [];
  private readonly eventWaiters = new Map<string, (event: WatchEvent) => void>();
  private failure: Error | undefined;
  private readonly pinger: NodeJS.Timeout;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
    this.pinger = setInterval(() => this.ping(), PING_INTERVAL_MS);
    this.pinger.unref();
  }

  /** Connects, completes the handshake and returns the session. */
  static async open(host: string, port: number, timeoutMs = CONNECT_TIMEOUT_MS): Promise<LoadSession> {
    const socket = net.connect({ host, port });
    const session = new LoadSession(socket);
    const timer = setTimeout(() => session.fail(new Error(`no session from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    try {
      const frame = await new Promise<Buffer>((resolve, reject) => {
        session.handshakeDone = resolve;
        session.closeListeners.add(reject);
        session.sendHandshake();
      });
      const response = R.ConnectResponse.read(new JuteReader(frame, 0, frame.length, Infinity));
      if (response.timeOut <= 0) throw new Error('server refused the session');
      session.sessionId = response.sessionId;
      return session;
    } catch (error) {
      session.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
      session.closeListeners.clear();
    }
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.inFlightQueue.length - this.inFlightHead;
  }

  /** Calls `listener` once if the session breaks; returns a function that unregisters it. */
  whenBroken(listener: (error: Error) => void): () => void {
    if (this.failure !== undefined) {
      listener(this.failure);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Queues a request; it goes out with the others written in this turn. */
  send(type: number, encode: ((writer: JuteWriter) => void) | undefined, onReply: ReplyHandler): void {
    if (this.failure !== undefined) throw this.failure;
    const xid = this.nextXid++;
    this.writeFrame((w) => {
      R.RequestHeader.write(w, { xid, type });
      encode?.(w);
    });
    this.inFlightQueue.push({ xid, startMs: performance.now(), onReply });
  }

  /** Sends one request and resolves with its reply (any error code); rejects if the session breaks. */
  call(type: number, encode?: (writer: JuteWriter) => void, timeoutMs = REPLY_TIMEOUT_MS): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no reply to op ${type} within ${timeoutMs} ms`)), timeoutMs);
      const finish = (error: Error | undefined, reply?: Reply): void => {
        clearTimeout(timer);
        this.closeListeners.delete(finish);
        if (error !== undefined) reject(error);
        else resolve(reply!);
      };
      this.closeListeners.add(finish);
      try {
        this.send(type, encode, (err, frame, latencyMs) => finish(undefined, { err, frame, latencyMs }));
      } catch (error) {
        finish(error as Error);
      }
    });
  }

  /** Resolves with the next watch event for `path` (buffered if it already came). */
  nextEvent(path: string, timeoutMs = REPLY_TIMEOUT_MS): Promise<WatchEvent> {
    const index = this.bufferedEvents.findIndex((e) => e.path === path);
    if (index >= 0) return Promise.resolve(this.bufferedEvents.splice(index, 1)[0]!);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<WatchEvent>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no event for ${path} within ${timeoutMs} ms`)), timeoutMs);
      const finish = (error: Error | undefined, event?: WatchEvent): void => {
        clearTimeout(timer);
        this.closeListeners.delete(finish);
        this.eventWaiters.delete(path);
        if (error !== undefined) reject(error);
        else resolve(event!);
      };
      this.closeListeners.add(finish);
      this.eventWaiters.set(path, (event) => finish(undefined, event));
    });
  }

  /** Ends the session (closeSession), then the connection; bounded. */
  async close(): Promise<void> {
    if (this.failure === undefined) {
      await this.call(OpCode.closeSession).catch(() => undefined);
    }
    this.destroy();
  }

  /** Drops the connection without ending the session. */
  destroy(): void {
    clearInterval(this.pinger);
    this.socket.destroy();
    if (this.failure === undefined) this.failure = new Error('session destroyed');
  }

  private sendHandshake(): void {
    this.writeFrame((w) => {
      R.ConnectRequest.write(w, {
        protocolVersion: 0,
        lastZxidSeen: 0n,
        timeOut: SESSION_TIMEOUT_MS,
        sessionId: 0n,
        passwd: Buffer.alloc(PASSWORD_BYTES),
      });
      w.writeBool(false);
    });
  }

  private ping(): void {
    if (this.failure !== undefined || this.handshakeDone !== undefined) return;
    this.writeFrame((w) => R.RequestHeader.write(w, { xid: Xid.ping, type: OpCode.ping }));
  }

  private writeFrame(write: (writer: JuteWriter) => void): void {
    const start = this.writer.length;
    this.writer.writeInt(0);
    write(this.writer);
    this.writer.patchInt(start, this.writer.length - start - 4);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.writer.length === 0 || this.socket.destroyed) return;
    this.socket.write(this.writer.toBuffer());
    this.writer.reset();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    for (const frame of frames) {
      if (this.failure !== undefined) return;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const handshake = this.handshakeDone;
    if (handshake !== undefined) {
      this.handshakeDone = undefined;
      handshake(frame);
      return;
    }
    if (frame.length < REPLY_HEADER_BYTES) return this.fail(new Error(`short reply of ${frame.length} bytes`));
    const xid = frame.readInt32BE(0);
    if (xid === Xid.notification) return this.onNotification(frame);
    if (xid === Xid.ping) return;
    const head = this.inFlightQueue[this.inFlightHead];
    if (head === undefined || head.xid !== xid) {
      return this.fail(new Error(`reply xid ${xid} out of order (expected ${head?.xid ?? 'none'})`));
    }
    this.inFlightHead++;
    if (this.inFlightHead === this.inFlightQueue.length) {
      this.inFlightQueue.length = 0;
      this.inFlightHead = 0;
    }
    head.onReply(frame.readInt32BE(REPLY_ERR_OFFSET), frame, performance.now() - head.startMs);
  }

  private onNotification(frame: Buffer): void {
    const reader = new JuteReader(frame, REPLY_HEADER_BYTES, frame.length, Infinity);
    const value = R.WatcherEvent.read(reader);
    const event: WatchEvent = { type: value.type, state: value.state, path: value.path ?? '' };
    if (this.onEvent !== undefined) return this.onEvent(event);
    const waiter = this.eventWaiters.get(event.path);
    if (waiter !== undefined) return waiter(event);
    if (this.bufferedEvents.length >= BUFFERED_EVENTS_MAX) return this.fail(new Error('too many unclaimed watch events'));
    this.bufferedEvents.push(event);
  }

  private fail(error: Error): void {
    if (this.failure !== undefined && this.closeListeners.size === 0) return;
    this.failure ??= error;
    clearInterval(this.pinger);
    this.socket.destroy();
    for (const listener of [...this.closeListeners]) listener(this.failure);
    this.closeListeners.clear();
  }
}

/** The reply body's reader, positioned after the ReplyHeader. */
export function replyBody(frame: Buffer): JuteReader {
  return new JuteReader(frame, REPLY_HEADER_BYTES, frame.length, Infinity);
}
