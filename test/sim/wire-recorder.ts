// Watches the bytes of every client connection (sim-client-net.ts's observer) and checks FIFO
// client order on the wire, independently of the client library: on one connection, every reply
// to a request (xid > 0) answers the oldest request still unanswered; and the zxids in a
// session's reply headers never go backwards, across every connection the session used.
import { FrameDecoder } from '../../src/jute/frame-decoder.js';
import type { WireObserver } from './sim-client-net.js';

const FRAME_BYTES_MAX = 16 * 1024 * 1024;

interface ConnectionState {
  readonly client: string;
  readonly out: FrameDecoder;
  readonly in: FrameDecoder;
  sentConnect: boolean;
  gotConnect: boolean;
  readonly outstanding: number[];
}

export class WireRecorder implements WireObserver {
  private readonly connections = new Map<number, ConnectionState>();
  private readonly lastZxid = new Map<string, { zxid: bigint; connection: number; xid: number }>();
  readonly violations: string[] = [];
  /** Request frames each session put on the wire (for `wasSent`). */
  private readonly requests = new Map<string, Buffer[]>();
  replies = 0;

  /**
   * Did a request carrying `marker` (a write's unique value) leave this session? One that never
   * did cannot have taken effect, whatever error the client reported for it.
   */
  wasSent(client: string, marker: string): boolean {
    const needle = Buffer.from(marker);
    return (this.requests.get(client) ?? []).some((frame) => frame.includes(needle));
  }

  opened(client: string, connection: number): void {
    this.connections.set(connection, { client, out: new FrameDecoder(FRAME_BYTES_MAX), in: new FrameDecoder(FRAME_BYTES_MAX), sentConnect: false, gotConnect: false, outstanding: [] });
  }

  sent(_client: string, connection: number, chunk: Buffer): void {
    const c = this.connections.get(connection)!;
    for (const frame of c.out.push(chunk)) {
      if (!c.sentConnect) {
        c.sentConnect = true;
        continue;
      }
      const xid = frame.readInt32BE(0);
      if (xid > 0) c.outstanding.push(xid);
      let sent = this.requests.get(c.client);
      if (sent === undefined) this.requests.set(c.client, (sent = []));
      sent.push(frame);
    }
  }

  received(client: string, connection: number, chunk: Buffer): void {
    const c = this.connections.get(connection)!;
    for (const frame of c.in.push(chunk)) {
      if (!c.gotConnect) {
        c.gotConnect = true;
        continue;
      }
      const xid = frame.readInt32BE(0);
      const zxid = frame.readBigInt64BE(4);
      if (xid <= 0) continue;
      this.replies++;
      const head = c.outstanding.shift();
      if (head !== xid) this.violations.push(`${client} connection ${connection}: reply to xid ${xid} arrived while xid ${head ?? 'none'} was the oldest unanswered request`);
      if (zxid <= 0n) continue;
      const last = this.lastZxid.get(client);
      if (last !== undefined && zxid < last.zxid) {
        this.violations.push(`${client}: reply xid ${xid} on connection ${connection} carries zxid 0x${zxid.toString(16)}, after xid ${last.xid} on connection ${last.connection} carried 0x${last.zxid.toString(16)}`);
      }
      if (last === undefined || zxid >= last.zxid) this.lastZxid.set(client, { zxid, connection, xid });
    }
  }
}
