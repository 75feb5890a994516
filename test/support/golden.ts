/**
 * The golden frames captured from real ZooKeeper 3.8.0 (test/fixtures/golden) and the helpers to
 * decode them: which record answers which op, frame splitting, byte-exact round trips.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JuteReader } from '../../src/jute/reader.js';
import type { Codec } from '../../src/jute/schema.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';

/** One exchange: the request frame (with its length prefix) and every frame that came back. */
export interface GoldenStep {
  name: string;
  /** Which connection: frames of one session concatenated form its real byte stream. */
  session: string;
  /** 'connect', an OpCode name, or 'notification' for an unsolicited watch event. */
  op: string;
  request: string | null;
  /** Reply frames as received, each with its 4-byte length prefix, concatenated. */
  response: string;
  /** The server closed the connection after this reply. */
  closed: boolean;
  notes: string;
}

/** ZooKeeper's own txn log of the session: what tszk's storage must read and write alike. */
export interface GoldenTxnLog {
  file: string;
  /** FileHeader{magic 'ZKLG', version 2, dbid}. */
  fileHeader: string;
  /** Each entry: Adler32 of `txn` (as a long), then TxnHeader + record (+ TxnDigest); the EOR byte is dropped. */
  entries: Array<{ crc: string; txn: string }>;
}

export interface GoldenFile {
  source: string;
  capturedAt: string;
  steps: GoldenStep[];
  txnLog: GoldenTxnLog;
}

export const GOLDEN_SESSION_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'golden', 'zk-3.8.0-session.json');

export function loadGolden(path = GOLDEN_SESSION_FILE): GoldenFile {
  return JSON.parse(readFileSync(path, 'utf8')) as GoldenFile;
}


/** Splits length-prefixed frames by hand (independently of FrameDecoder); the bytes must end on a frame boundary. */
export function splitFrames(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    assert.ok(bytes.length - offset >= 4, 'dangling length prefix');
    const length = bytes.readInt32BE(offset);
    assert.ok(length >= 0 && offset + 4 + length <= bytes.length, `bad frame length ${length} at ${offset}`);
    frames.push(bytes.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return frames;
}

/** Decodes a whole record from `bytes`, checks nothing is left over, and returns it. */
export function decodeAll<T>(codec: Codec<T>, bytes: Buffer, what: string): T {
  const r = new JuteReader(bytes);
  const value = codec.read(r);
  r.expectEnd(what);
  return value;
}

export function encode(write: (w: JuteWriter) => void): Buffer {
  const w = new JuteWriter(16);
  write(w);
  return w.toBuffer();
}

/** Reads a sequence of codecs from one frame, re-encodes them and requires identical bytes. */
export function roundTrip(bytes: Buffer, what: string, parts: (r: JuteReader) => Array<[Codec<any>, unknown]>): void {
  const r = new JuteReader(bytes);
  const read = parts(r);
  r.expectEnd(what);
  const again = encode((w) => {
    for (const [codec, value] of read) codec.write(w, value);
  });
  assert.equal(again.toString('hex'), bytes.toString('hex'), `${what}: re-encoding differs`);
}

export const requestCodecs: Record<string, Codec<any> | undefined> = {
  create: R.CreateRequest, create2: R.CreateRequest, createContainer: R.CreateRequest, createTTL: R.CreateTTLRequest,
  delete: R.DeleteRequest, exists: R.ExistsRequest, getData: R.GetDataRequest, setData: R.SetDataRequest,
  getACL: R.GetACLRequest, setACL: R.SetACLRequest, getChildren: R.GetChildrenRequest, getChildren2: R.GetChildren2Request,
  sync: R.SyncRequest, check: R.CheckVersionRequest, auth: R.AuthPacket, setWatches: R.SetWatches,
  getEphemerals: R.GetEphemeralsRequest, getAllChildrenNumber: R.GetAllChildrenNumberRequest,
  checkWatches: R.CheckWatchesRequest, removeWatches: R.RemoveWatchesRequest, addWatch: R.AddWatchRequest,
};
/** Reply bodies when err == 0; null means header only. */
export const responseCodecs: Record<string, Codec<any> | null> = {
  create: R.CreateResponse, create2: R.Create2Response, createContainer: R.Create2Response, createTTL: R.Create2Response,
  delete: null, exists: R.ExistsResponse, getData: R.GetDataResponse, setData: R.SetDataResponse, getACL: R.GetACLResponse,
  setACL: R.SetACLResponse, getChildren: R.GetChildrenResponse, getChildren2: R.GetChildren2Response, sync: R.SyncResponse,
  ping: null, check: R.SetDataResponse, auth: null, setWatches: null, whoAmI: R.WhoAmIResponse,
  getEphemerals: R.GetEphemeralsResponse, getAllChildrenNumber: R.GetAllChildrenNumberResponse,
  checkWatches: null, removeWatches: null, addWatch: R.ErrorResponse, closeSession: null,
};
/** Sub-op request and result records inside multi/multiRead (delete and check results have no body). */
export const multiRequestCodecs: Record<number, Codec<any>> = {
  [OpCode.create]: R.CreateRequest, [OpCode.create2]: R.CreateRequest, [OpCode.createContainer]: R.CreateRequest,
  [OpCode.createTTL]: R.CreateTTLRequest, [OpCode.delete]: R.DeleteRequest, [OpCode.setData]: R.SetDataRequest,
  [OpCode.check]: R.CheckVersionRequest, [OpCode.getData]: R.GetDataRequest, [OpCode.getChildren]: R.GetChildrenRequest,
};
export const multiResultCodecs: Record<number, Codec<any> | null> = {
  [OpCode.create]: R.CreateResponse, [OpCode.create2]: R.Create2Response, [OpCode.createContainer]: R.Create2Response,
  [OpCode.createTTL]: R.Create2Response, [OpCode.delete]: null, [OpCode.check]: null, [OpCode.setData]: R.SetDataResponse,
  [OpCode.getData]: R.GetDataResponse, [OpCode.getChildren]: R.GetChildrenResponse, [OpCode.error]: R.ErrorResponse,
};

export type MultiItem = { header: { type: number; done: boolean; err: number }; body: unknown };
/** Reads MultiHeader-separated items up to the done marker, as [codec, value] pairs for re-encoding. */
export function readMulti(r: JuteReader, codecs: Record<number, Codec<any> | null>, items: MultiItem[]): Array<[Codec<any>, unknown]> {
  const parts: Array<[Codec<any>, unknown]> = [];
  for (let i = 0; i < 1000; i++) {
    const header = R.MultiHeader.read(r);
    parts.push([R.MultiHeader, header]);
    if (header.done) {
      assert.deepEqual(header, { type: -1, done: true, err: -1 }, 'multi end marker');
      return parts;
    }
    const codec = codecs[header.type];
    assert.ok(codec !== undefined, `unexpected multi sub-op ${header.type}`);
    const body = codec === null ? undefined : codec.read(r);
    if (codec !== null) parts.push([codec, body]);
    items.push({ header, body });
  }
  assert.fail('multi without end marker');
}
