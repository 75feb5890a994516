/**
 * A loopback TCP proxy in front of a ZooKeeper server, for tests that inject network faults
 * between one client and the server: cut the connection (the client sees CONNECTIONLOSS and
 * reconnects, same session), refuse connections (the client stays cut off), stall the server's
 * replies (then release them), and let a request through but lose its reply (the request took
 * effect and the client cannot know it: the case protected creates exist for). Both directions
 * are forwarded whole ZooKeeper frames at a time.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';

/** Splits a TCP byte stream into ZooKeeper frames (4-byte length prefix included). */
class FrameSplitter {
  private buffered = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const frames: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + length) break;
      frames.push(this.buffered.subarray(0, 4 + length));
      this.buffered = this.buffered.subarray(4 + length);
    }
    return frames;
  }
}

/** A proxy one test drives; every method acts at once on every connection through it. */
export interface FaultProxy {
  readonly port: number;
  /** Destroys every connection through the proxy (clients see a connection loss). */
  cut(): void;
  /** While true, new connections are dropped at once; turning it on also cuts the open ones. */
  refuse(refusing: boolean): void;
  /** While true, the server's replies are held back; turning it off delivers them in order. */
  stall(stalled: boolean): void;
  /** Loses the reply to the next request with one of `opCodes`, then cuts; resolves once it has. */
  loseNextReply(opCodes: readonly number[]): Promise<void>;
  /** Replies lost so far. */
  readonly lostReplies: number;
  /** Connections currently open. */
  readonly openConnections: number;
  close(): Promise<void>;
}

/** Starts a proxy to 127.0.0.1:`targetPort`. */
export function startProxy(targetPort: number): Promise<FaultProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  let stalled = false;
  const held: [Socket, Buffer][] = [];
  let armed: { opCodes: readonly number[]; done: () => void } | null = null;
  let lostReplies = 0;
  const cutAll = () => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
  };
  const server: Server = createServer((downstream) => {
    if (refusing) {
      downstream.destroy();
      return;
    }
    const upstream = netConnect({ host: '127.0.0.1', port: targetPort });
    const pair: [Socket, Socket] = [downstream, upstream];
    pairs.add(pair);
    const end = () => {
      downstream.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    downstream.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    const requests = new FrameSplitter();
    const replies = new FrameSplitter();
    let sawConnectRequest = false;
    let sawConnectResponse = false;
    let doomedXid: number | null = null;
    let doomedDone: (() => void) | null = null;
    downstream.on('data', (chunk: Buffer) => {
      for (const frame of requests.push(chunk)) {
        if (!sawConnectRequest) {
          sawConnectRequest = true;
        } else if (armed !== null && frame.length >= 12 && armed.opCodes.includes(frame.readInt32BE(8))) {
          doomedXid = frame.readInt32BE(4);
          doomedDone = armed.done;
          armed = null;
        }
        upstream.write(frame);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const frame of replies.push(chunk)) {
        if (!sawConnectResponse) {
          sawConnectResponse = true;
        } else if (doomedXid !== null && frame.length >= 8 && frame.readInt32BE(4) === doomedXid) {
          lostReplies++;
          end();
          doomedDone?.();
          return;
        }
        if (stalled) held.push([downstream, frame]);
        else downstream.write(frame);
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        port,
        cut: cutAll,
        refuse: (value) => {
          refusing = value;
          if (value) cutAll();
        },
        stall: (value) => {
          stalled = value;
          if (!value) for (const [socket, frame] of held.splice(0)) if (!socket.destroyed) socket.write(frame);
        },
        loseNextReply: (opCodes) =>
          new Promise<void>((done) => {
            armed = { opCodes, done };
          }),
        get lostReplies() {
          return lostReplies;
        },
        get openConnections() {
          return pairs.size;
        },
        close: () =>
          new Promise<void>((done) => {
            cutAll();
            server.close(() => done());
          }),
      });
    });
  });
}
