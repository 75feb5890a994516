/**
 * A ZooKeeper session over a raw socket, driven frame by frame: for tests that must see exactly
 * what a server sends (replies and watch events, in arrival order), against tszk or ZooKeeper.
 */
import net from 'node:net';
import { FrameDecoder } from '../../src/jute/frame-decoder.js';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import * as R from '../../src/proto/records.js';
import { connectBody } from './wire.js';

export interface Received {
  readonly xid: number;
  readonly zxid: bigint;
  readonly err: number;
  /** The bytes after the ReplyHeader. */
  readonly body: Buffer;
}

const REPLY_TIMEOUT_MS = 10_000;

export class RawSession {
  sessionId = 0n;
  passwd: Buffer = Buffer.alloc(16);
  timeOut = 0;
  /** Everything received after the handshake, in order. */
  readonly stream: Received[] = [];
  private readonly decoder = new FrameDecoder(1 << 24);
  private waiters: Array<() => void> = [];
  private handshake: Buffer | undefined;
  closed = false;
  private nextXid = 1;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        if (this.handshake === undefined) {
          this.handshake = frame;
        } else {
          const r = new JuteReader(frame, 0, frame.length, Infinity);
          const h = R.ReplyHeader.read(r);
          this.stream.push({ ...h, body: frame.subarray(r.position) });
        }
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    while (!done()) {
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Connects and completes the handshake (new session, or resume with id and password). */
  static async open(host: string, port: number, resume?: { sessionId: bigint; passwd: Buffer }, timeOutMs = 30_000): Promise<RawSession> {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const session = new RawSession(socket);
    const body = connectBody(resume?.sessionId ?? 0n, resume?.passwd ?? Buffer.alloc(16), timeOutMs);
    session.sendRaw(withLength(body));
    await session.until(() => session.handshake !== undefined, 'ConnectResponse');
    const response = R.ConnectResponse.read(new JuteReader(session.handshake!));
    session.sessionId = response.sessionId;
    session.passwd = response.passwd ?? Buffer.alloc(16);
    session.timeOut = response.timeOut;
    return session;
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends RequestHeader + record and waits for the reply with that xid; returns it. */
  async call(type: number, write?: (w: JuteWriter) => void, xid = this.nextXid++): Promise<Received> {
    const w = new JuteWriter();
    R.RequestHeader.write(w, { xid, type });
    write?.(w);
    const seen = this.stream.length;
    this.sendRaw(withLength(w.toBuffer()));
    let found: Received | undefined;
    await this.until(() => {
      for (let i = seen; i < this.stream.length && found === undefined; i++) if (this.stream[i]!.xid === xid) found = this.stream[i];
      return found !== undefined;
    }, `reply to xid ${xid}`);
    return found!;
  }

  /** Waits until the server closes the connection. */
  async waitClosed(): Promise<void> {
    await this.until(() => false, 'close').catch((e: Error) => {
      if (!this.closed) throw e;
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export function withLength(payload: Buffer): Buffer {
  const out = Buffer.alloc(payload.length + 4);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}
