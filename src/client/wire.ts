/**
 * The client's side of the wire: the connect handshake and request/reply framing. IO-free:
 * these functions turn values into frames and frames into values.
 */
import { JuteReader } from '../jute/reader.js';
import { JuteWriter } from '../jute/writer.js';
import { ConnectRequest, ConnectResponse, ReplyHeader, RequestHeader, type ReplyHeaderValue } from '../proto/records.js';

/** Session password length the server hands out. */
export const PASSWORD_BYTES = 16;

/** What the client asks for when it (re)connects. */
export interface ConnectRequestValue {
  readonly lastZxidSeen: bigint;
  readonly timeOutMs: number;
  readonly sessionId: bigint;
  readonly password: Buffer;
  readonly readOnly: boolean;
}

/** The server's answer to the handshake. timeOutMs <= 0 means the session has expired. */
export interface ConnectResponseValue {
  readonly protocolVersion: number;
  readonly timeOutMs: number;
  readonly sessionId: bigint;
  readonly password: Buffer;
  /** Only present (and meaningful) when the server appended the byte. */
  readonly readOnly: boolean;
}

function framed(write: (w: JuteWriter) => void): Buffer {
  const writer = new JuteWriter();
  writer.writeInt(0);
  write(writer);
  writer.patchInt(0, writer.length - 4);
  return writer.toBuffer();
}

/** ConnectRequest plus the readOnly byte the 3.8 client appends by hand (45 bytes + length). */
export function encodeConnectRequest(request: ConnectRequestValue): Buffer {
  return framed((w) => {
    ConnectRequest.write(w, {
      protocolVersion: 0,
      lastZxidSeen: request.lastZxidSeen,
      timeOut: request.timeOutMs,
      sessionId: request.sessionId,
      passwd: request.password,
    });
    w.writeBool(request.readOnly);
  });
}

/** Decodes the first frame the server sends (36 bytes, or 37 with the readOnly byte). */
export function decodeConnectResponse(frame: Buffer): ConnectResponseValue {
  const reader = new JuteReader(frame);
  const value = ConnectResponse.read(reader);
  const readOnly = reader.remaining >= 1 ? reader.readBool() : false;
  return {
    protocolVersion: value.protocolVersion,
    timeOutMs: value.timeOut,
    sessionId: value.sessionId,
    password: Buffer.from(value.passwd ?? Buffer.alloc(0)),
    readOnly,
  };
}

/** `RequestHeader{xid, type}` followed by the request record, as one frame. */
export function encodeRequest(xid: number, opCode: number, writeBody: ((w: JuteWriter) => void) | null): Buffer {
  return framed((w) => {
    RequestHeader.write(w, { xid, type: opCode });
    if (writeBody !== null) writeBody(w);
  });
}

/** A decoded reply: its header and a reader positioned at the body. */
export interface ReplyFrame {
  readonly header: ReplyHeaderValue;
  readonly body: JuteReader;
}

/** Splits a reply frame into its header and body. */
export function decodeReply(frame: Buffer): ReplyFrame {
  const body = new JuteReader(frame);
  const header = ReplyHeader.read(body);
  return { header, body };
}
