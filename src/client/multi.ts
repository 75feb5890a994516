/**
 * Multi (op 14) and multiRead (op 22): the request is a list of MultiHeader + sub-request
 * items ending with `{-1, true, -1}`; the response is the same shape with one result per op.
 * Results are returned exactly as the server sent them, failed ones included.
 */
import type { JuteReader } from '../jute/reader.js';
import type { JuteWriter } from '../jute/writer.js';
import type { Acl, Stat } from '../proto/data.js';
import { OpCode } from '../proto/op-code.js';
import {
  CheckVersionRequest,
  Create2Response,
  CreateRequest,
  CreateResponse,
  CreateTTLRequest,
  DeleteRequest,
  ErrorResponse,
  GetChildrenRequest,
  GetChildrenResponse,
  GetDataRequest,
  GetDataResponse,
  MultiHeader,
  SetDataRequest,
  SetDataResponse,
} from '../proto/records.js';
import { JuteError } from '../jute/reader.js';

/** One operation of a multi, with server paths and encoded data already resolved. */
export type EncodedOp =
  | { readonly opCode: 1 | 15 | 19; readonly path: string; readonly data: Buffer | null; readonly acl: readonly Acl[]; readonly flags: number }
  | { readonly opCode: 21; readonly path: string; readonly data: Buffer | null; readonly acl: readonly Acl[]; readonly flags: number; readonly ttl: bigint }
  | { readonly opCode: 2 | 13; readonly path: string; readonly version: number }
  | { readonly opCode: 5; readonly path: string; readonly data: Buffer | null; readonly version: number }
  | { readonly opCode: 4 | 8; readonly path: string };

/** One result of a multi, as the server sent it (paths still server paths). */
export type OpResult =
  | { readonly type: 'create'; readonly opCode: number; readonly path: string; readonly stat?: Stat }
  | { readonly type: 'delete'; readonly opCode: number }
  | { readonly type: 'setData'; readonly opCode: number; readonly stat: Stat }
  | { readonly type: 'check'; readonly opCode: number }
  | { readonly type: 'getData'; readonly opCode: number; readonly data: Buffer | null; readonly stat: Stat }
  | { readonly type: 'getChildren'; readonly opCode: number; readonly children: string[] }
  | { readonly type: 'error'; readonly opCode: number; readonly err: number };

/** The op codes allowed inside multiRead. */
export function isReadOp(opCode: number): boolean {
  return opCode === OpCode.getData || opCode === OpCode.getChildren;
}

function writeOp(w: JuteWriter, op: EncodedOp): void {
  MultiHeader.write(w, { type: op.opCode, done: false, err: -1 });
  switch (op.opCode) {
    case 1:
    case 15:
    case 19:
      CreateRequest.write(w, { path: op.path, data: op.data, acl: [...op.acl], flags: op.flags });
      return;
    case 21:
      CreateTTLRequest.write(w, { path: op.path, data: op.data, acl: [...op.acl], flags: op.flags, ttl: op.ttl });
      return;
    case 2:
      DeleteRequest.write(w, { path: op.path, version: op.version });
      return;
    case 13:
      CheckVersionRequest.write(w, { path: op.path, version: op.version });
      return;
    case 5:
      SetDataRequest.write(w, { path: op.path, data: op.data, version: op.version });
      return;
    case 4:
      GetDataRequest.write(w, { path: op.path, watch: false });
      return;
    case 8:
      GetChildrenRequest.write(w, { path: op.path, watch: false });
      return;
  }
}

/** Writes a MultiOperationRecord. */
export function writeMulti(w: JuteWriter, ops: readonly EncodedOp[]): void {
  for (const op of ops) writeOp(w, op);
  MultiHeader.write(w, { type: -1, done: true, err: -1 });
}

function readResult(r: JuteReader, type: number, err: number): OpResult {
  switch (type) {
    case OpCode.create:
      return { type: 'create', opCode: type, path: CreateResponse.read(r).path ?? '' };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer: {
      const response = Create2Response.read(r);
      return { type: 'create', opCode: type, path: response.path ?? '', stat: response.stat };
    }
    case OpCode.delete:
      return { type: 'delete', opCode: type };
    case OpCode.check:
      return { type: 'check', opCode: type };
    case OpCode.setData:
      return { type: 'setData', opCode: type, stat: SetDataResponse.read(r).stat };
    case OpCode.getData: {
      const response = GetDataResponse.read(r);
      const data = response.data === null ? null : Buffer.from(response.data);
      return { type: 'getData', opCode: type, data, stat: response.stat };
    }
    case OpCode.getChildren:
      return { type: 'getChildren', opCode: type, children: GetChildrenResponse.read(r).children ?? [] };
    case OpCode.error:
      return { type: 'error', opCode: type, err: ErrorResponse.read(r).err };
    default:
      throw new JuteError(`unknown multi result type ${type} (err ${err})`);
  }
}

/** Reads a MultiResponse; at most `maxResults` results before the end marker. */
export function readMultiResponse(r: JuteReader, maxResults: number): OpResult[] {
  const results: OpResult[] = [];
  for (;;) {
    const header = MultiHeader.read(r);
    if (header.done) return results;
    if (results.length >= maxResults) throw new JuteError(`multi response has more than ${maxResults} results`);
    results.push(readResult(r, header.type, header.err));
  }
}
