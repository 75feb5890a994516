/**
 * A scripted fake network and clock for the client's unit tests: sockets that record what the
 * client writes and let a test play the server's frames, and timers that run only when the
 * test advances the clock.
 */
import assert from 'node:assert/strict';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { createClient } from '../../src/client/zookeeper-client.js';
import type { ClientEnvironment, ClientSocket, SocketHandlers } from '../../src/client/environment.js';
import type { HostAddress } from '../../src/client/connect-string.js';
import type { ClientOptions, WatchedEvent } from '../../src/client/types.js';
import * as R from '../../src/proto/records.js';

interface Timer {
  at: number;
  callback: () => void;
  cancelled: boolean;
}

/** A socket that records the client's frames; the test plays the server with `receive`/`reply`/`notify`. */
export class FakeSocket implements ClientSocket {
  readonly written: Buffer[] = [];
  destroyed = false;
  constructor(
    readonly address: HostAddress,
    readonly handlers: SocketHandlers,
  ) {}
  write(data: Buffer): void {
    this.written.push(data);
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** Frames the client wrote, without their length prefix. */
  frames(): Buffer[] {
    return this.written.map((b) => {
      assert.equal(b.readInt32BE(0), b.length - 4, 'every write is exactly one frame');
      return b.subarray(4);
    });
  }
  /** Requests written after the handshake: header plus a reader on the body. */
  requests(): { xid: number; type: number; body: JuteReader }[] {
    return this.frames()
      .slice(1)
      .map((frame) => {
        const body = new JuteReader(frame);
        const header = R.RequestHeader.read(body);
        return { xid: header.xid, type: header.type, body };
      });
  }
  /** Sends one frame from the server. */
  receive(write: (w: JuteWriter) => void): void {
    const w = new JuteWriter();
    w.writeInt(0);
    write(w);
    w.patchInt(0, w.length - 4);
    this.handlers.onData(w.toBuffer());
  }
  acceptSession(sessionId: bigint, timeOut = 30_000, password = Buffer.alloc(16, 7)): void {
    this.receive((w) => R.ConnectResponse.write(w, { protocolVersion: 0, timeOut, sessionId, passwd: password }));
  }
  reply(xid: number, zxid: bigint, err: number, body?: (w: JuteWriter) => void): void {
    this.receive((w) => {
      R.ReplyHeader.write(w, { xid, zxid, err });
      body?.(w);
    });
  }
  /** Sends a watch notification (xid -1) for a server path. */
  notify(type: number, path: string, state = 3): void {
    this.receive((w) => {
      R.ReplyHeader.write(w, { xid: -1, zxid: -1n, err: 0 });
      R.WatcherEvent.write(w, { type, state, path });
    });
  }
}

/** Sockets, timers and a clock under the test's control: timers run only in `advance`. */
export class FakeEnvironment implements ClientEnvironment {
  time = 0;
  readonly timers: Timer[] = [];
  readonly sockets: FakeSocket[] = [];
  connect(address: HostAddress, handlers: SocketHandlers): ClientSocket {
    const socket = new FakeSocket(address, handlers);
    this.sockets.push(socket);
    return socket;
  }
  setTimer(delayMs: number, callback: () => void): object {
    const timer = { at: this.time + delayMs, callback, cancelled: false };
    this.timers.push(timer);
    return timer;
  }
  clearTimer(handle: object): void {
    (handle as Timer).cancelled = true;
  }
  now(): number {
    return this.time;
  }
  random(): number {
    return 0;
  }
  /** Moves the clock forward, running due timers in time order (bounded). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let step = 0; step < 10_000; step++) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      due.cancelled = true;
      this.time = Math.max(this.time, due.at);
      due.callback();
    }
    this.time = end;
  }
  get last(): FakeSocket {
    const socket = this.sockets.at(-1);
    assert.ok(socket, 'a socket was opened');
    return socket;
  }
}

/** Lets pending promise callbacks and immediates run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A client connected through a FakeEnvironment (session 0x1234), and its default watcher's events. */
export async function connected(options: ClientOptions = {}, connectString = '127.0.0.1:2181') {
  const env = new FakeEnvironment();
  const events: WatchedEvent[] = [];
  const client = createClient(connectString, { keepHostOrder: true, watcher: (e) => events.push(e), ...options }, env);
  const connecting = client.connect();
  env.last.handlers.onConnect();
  env.last.acceptSession(0x1234n);
  await connecting;
  return { env, client, events };
}

/** A Stat of zeros. */
export function zeroStat() {
  return {
    czxid: 0n,
    mzxid: 0n,
    ctime: 0n,
    mtime: 0n,
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: 0n,
    dataLength: 0,
    numChildren: 0,
    pzxid: 0n,
  };
}
