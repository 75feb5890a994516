// Watches the bytes of every client connection (sim-client-net.ts's observer) and checks, on the
// wire and independently of the client library: FIFO client order (on one connection, every
// reply to a request answers the oldest request still unanswered; the zxids in a session's reply
// headers never go backwards, across every connection the session used), and watch-before-read
// (once a session's read set a watch on a node, no reply showing that node in another state —
// existence or mzxid — arrives before a watch event for it, across reconnections too).
import { FrameDecoder } from '../../src/jute/frame-decoder.js';
import type { WireObserver } from './sim-client-net.js';

const FRAME_BYTES_MAX = 16 * 1024 * 1024;

/** Request types whose body starts with a path (ZooDefs.OpCode). */
const OP = { create: 1, delete: 2, exists: 3, getData: 4, setData: 5, sync: 9, create2: 15 } as const;
const PATH_OPS = new Set<number>(Object.values(OP));
const NOTIFICATION_XID = -1;
const EVENT_NONE = -1;
const ERR_NONODE = -101;
const STAT_MZXID_OFFSET = 8;

interface Request {
  readonly xid: number;
  readonly type: number;
  readonly path: string | undefined;
  readonly watch: boolean;
}

interface ConnectionState {
  readonly client: string;
  readonly out: FrameDecoder;
  readonly in: FrameDecoder;
  sentConnect: boolean;
  gotConnect: boolean;
  readonly outstanding: Request[];
}

/** A node as a reply shows it. */
interface Shown {
  readonly exists: boolean;
  readonly mzxid: bigint | undefined;
}

function readPath(frame: Buffer, at: number): string | undefined {
  if (frame.length < at + 4) return undefined;
  const length = frame.readInt32BE(at);
  return length < 0 || frame.length < at + 4 + length ? undefined : frame.toString('utf8', at + 4, at + 4 + length);
}

export class WireRecorder implements WireObserver {
  private readonly connections = new Map<number, ConnectionState>();
  private readonly lastZxid = new Map<string, { zxid: bigint; connection: number; xid: number }>();
  /** Per session, per path: the watches set and not yet fired, with the state they were set on. */
  private readonly watches = new Map<string, Map<string, Array<Shown & { xid: number }>>>();
  watchesSet = 0;
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
      const type = frame.readInt32BE(4);
      const path = PATH_OPS.has(type) ? readPath(frame, 8) : undefined;
      const watch = (type === OP.getData || type === OP.exists) && path !== undefined && frame[12 + Buffer.byteLength(path)] === 1;
      if (xid > 0) c.outstanding.push({ xid, type, path, watch });
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
      if (xid === NOTIFICATION_XID) this.onEvent(client, frame);
      if (xid <= 0) continue;
      this.replies++;
      const head = c.outstanding.shift();
      if (head?.xid !== xid) this.violations.push(`${client} connection ${connection}: reply to xid ${xid} arrived while xid ${head?.xid ?? 'none'} was the oldest unanswered request`);
      else this.onReply(client, head, frame, zxid);
      if (zxid <= 0n) continue;
      const last = this.lastZxid.get(client);
      if (last !== undefined && zxid < last.zxid) {
        this.violations.push(`${client}: reply xid ${xid} on connection ${connection} carries zxid 0x${zxid.toString(16)}, after xid ${last.xid} on connection ${last.connection} carried 0x${last.zxid.toString(16)}`);
      }
      if (last === undefined || zxid >= last.zxid) this.lastZxid.set(client, { zxid, connection, xid });
    }
  }

  /** A watch event: the session's watches on that path fired. */
  private onEvent(client: string, frame: Buffer): void {
    const type = frame.readInt32BE(16);
    const path = readPath(frame, 24);
    if (type !== EVENT_NONE && path !== undefined) this.watches.get(client)?.delete(path);
  }

  /** A reply: it must not show a watched node changed before the watch fired; it may set a watch. */
  private onReply(client: string, request: Request, frame: Buffer, zxid: bigint): void {
    if (request.path === undefined) return;
    const shown = this.shown(request, frame, zxid);
    if (shown === undefined) return;
    let byPath = this.watches.get(client);
    if (byPath === undefined) this.watches.set(client, (byPath = new Map()));
    const active = byPath.get(request.path) ?? [];
    for (const w of active) {
      if (w.exists !== shown.exists || w.mzxid !== shown.mzxid) {
        this.violations.push(`${client}: the reply to xid ${request.xid} (op ${request.type}) shows ${request.path} ${shown.exists ? `at mzxid 0x${shown.mzxid?.toString(16)}` : 'gone'} before the event of the watch set by xid ${w.xid} (${w.exists ? `mzxid 0x${w.mzxid?.toString(16)}` : 'absent'})`);
        byPath.delete(request.path);
        break;
      }
    }
    // getData sets a watch on an existing node; exists() on a missing one too.
    if (request.watch && (shown.exists || request.type === OP.exists)) {
      this.watchesSet++;
      byPath.set(request.path, [...(byPath.get(request.path) ?? []), { ...shown, xid: request.xid }]);
    }
  }

  /** What a reply shows of its node, or undefined when nothing definite. */
  private shown(request: Request, frame: Buffer, zxid: bigint): Shown | undefined {
    const err = frame.readInt32BE(12);
    const body = 16;
    switch (request.type) {
      case OP.getData: {
        if (err === ERR_NONODE) return { exists: false, mzxid: undefined };
        if (err !== 0) return undefined;
        const dataLength = frame.readInt32BE(body);
        return { exists: true, mzxid: frame.readBigInt64BE(body + 4 + Math.max(0, dataLength) + STAT_MZXID_OFFSET) };
      }
      case OP.exists:
        if (err === ERR_NONODE) return { exists: false, mzxid: undefined };
        return err === 0 ? { exists: true, mzxid: frame.readBigInt64BE(body + STAT_MZXID_OFFSET) } : undefined;
      case OP.setData:
        return err === 0 ? { exists: true, mzxid: frame.readBigInt64BE(body + STAT_MZXID_OFFSET) } : undefined;
      case OP.create2: {
        if (err !== 0) return undefined;
        const pathLength = frame.readInt32BE(body);
        return { exists: true, mzxid: frame.readBigInt64BE(body + 4 + Math.max(0, pathLength) + STAT_MZXID_OFFSET) };
      }
      case OP.create:
        // Create's reply has no Stat; its header carries the txn's zxid, the node's mzxid.
        return err === 0 ? { exists: true, mzxid: zxid } : undefined;
      case OP.delete:
        return err === 0 ? { exists: false, mzxid: undefined } : undefined;
      default:
        return undefined;
    }
  }
}
