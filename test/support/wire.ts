/** Test helpers that build request frames and read reply frames with the project's codecs. */
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import type { Codec } from '../../src/jute/schema.js';
import * as R from '../../src/proto/records.js';

/** RequestHeader + record, without the length prefix (what the server's onRequest takes). */
export function requestBody<T>(xid: number, type: number, codec?: Codec<T>, value?: T): Buffer {
  const w = new JuteWriter();
  R.RequestHeader.write(w, { xid, type });
  if (codec !== undefined) codec.write(w, value as T);
  return w.toBuffer();
}

/** The same with the 4-byte length prefix, for sockets. */
export function requestFrame<T>(xid: number, type: number, codec?: Codec<T>, value?: T): Buffer {
  const payload = requestBody(xid, type, codec, value);
  const out = Buffer.alloc(payload.length + 4);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/** A ConnectRequest payload (no length prefix), with the trailing readOnly byte by default. */
export function connectBody(sessionId = 0n, passwd: Buffer = Buffer.alloc(16), timeOut = 30000, lastZxidSeen = 0n, readOnlyByte = true): Buffer {
  const w = new JuteWriter();
  R.ConnectRequest.write(w, { protocolVersion: 0, lastZxidSeen, timeOut, sessionId, passwd });
  if (readOnlyByte) w.writeBool(false);
  return w.toBuffer();
}

export interface Reply {
  xid: number;
  zxid: bigint;
  err: number;
  reader: JuteReader;
}

/** Parses a frame (with its length prefix) as ReplyHeader + the rest. */
export function parseReply(frame: Buffer): Reply {
  const payload = frame.subarray(4);
  const reader = new JuteReader(payload, 0, payload.length, Infinity);
  const header = R.ReplyHeader.read(reader);
  return { ...header, reader };
}
