/** Encodes what the server sends: reply frames, watch notifications and connect responses. */
import { JuteWriter } from '../jute/writer.js';
import type { Codec } from '../jute/schema.js';
import { KeeperState } from '../proto/defs.js';
import { Xid } from '../proto/op-code.js';
import { ConnectResponse, ReplyHeader } from '../proto/records.js';

/** A reply body: the record codec and its value. */
export interface ReplyBody<T = unknown> {
  readonly codec: Codec<T>;
  readonly value: T;
  /** Bytes the encoded body will about take (a large getData), so the frame is sized once. */
  readonly sizeHint?: number;
}

export function body<T>(codec: Codec<T>, value: T, sizeHint?: number): ReplyBody {
  return sizeHint === undefined ? { codec: codec as Codec<unknown>, value } : { codec: codec as Codec<unknown>, value, sizeHint };
}

/** ReplyHeader plus the body; ZooKeeper sends no body when err != 0. */
export function replyFrame(xid: number, zxid: bigint, err: number, reply?: ReplyBody): Buffer {
  const w = new JuteWriter(reply === undefined ? 20 : 128 + (reply.sizeHint ?? 0));
  w.writeInt(0);
  ReplyHeader.write(w, { xid, zxid, err });
  if (reply !== undefined && err === 0) reply.codec.write(w, reply.value);
  w.patchInt(0, w.length - 4);
  return w.take();
}

/** Frame length, ReplyHeader (xid, zxid, err), then WatcherEvent's type, state and path length. */
const NOTIFICATION_FIXED_BYTES = 4 + 16 + 12;

/**
 * A watch notification: ReplyHeader{xid -1, zxid -1 (as ZooKeeper 3.8), err 0} and
 * WatcherEvent{type, SyncConnected, path}. Laid out directly rather than through the record
 * codecs: a change can notify thousands of watchers (a session closing with its ephemerals).
 */
export function notificationFrame(type: number, path: string): Buffer {
  const pathBytes = Buffer.byteLength(path, 'utf8');
  const frame = Buffer.allocUnsafe(NOTIFICATION_FIXED_BYTES + pathBytes);
  frame.writeInt32BE(frame.length - 4, 0);
  frame.writeInt32BE(Xid.notification, 4);
  frame.writeInt32BE(-1, 8);
  frame.writeInt32BE(-1, 12);
  frame.writeInt32BE(0, 16);
  frame.writeInt32BE(type, 20);
  frame.writeInt32BE(KeeperState.SyncConnected, 24);
  frame.writeInt32BE(pathBytes, 28);
  frame.write(path, NOTIFICATION_FIXED_BYTES, 'utf8');
  return frame;
}

/** ConnectResponse; the readOnly byte only when the client sent one. */
export function connectResponseFrame(timeOut: number, sessionId: bigint, passwd: Buffer, withReadOnly: boolean, readOnly = false): Buffer {
  const w = new JuteWriter(48);
  w.writeInt(0);
  ConnectResponse.write(w, { protocolVersion: 0, timeOut, sessionId, passwd });
  if (withReadOnly) w.writeBool(readOnly);
  w.patchInt(0, w.length - 4);
  return w.take();
}
