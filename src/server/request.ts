/**
 * Client requests after decoding: one variant per op code the server accepts. Decoding checks
 * lengths and types only; meaning (paths, versions, ACLs) is checked by prep and reads.
 */
import { JuteReader, JuteError } from '../jute/reader.js';
import type { Acl } from '../proto/data.js';
import { OpCode } from '../proto/op-code.js';
import { CreateFlags } from '../proto/defs.js';
import * as R from '../proto/records.js';

// Request data stays a view into the socket chunk it arrived in: the tree keeps its own copy
// (tree/znode.ts storeData), so a request pins its chunk only while it is in flight.

export type CreateRequest = {
  op: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer | typeof OpCode.createTTL;
  path: string; data: Buffer | null; acl: Acl[] | null; flags: number; ttl: bigint;
};
export type DeleteRequest = { op: typeof OpCode.delete; path: string; version: number };
export type SetDataRequest = { op: typeof OpCode.setData; path: string; data: Buffer | null; version: number };
export type SetAclRequest = { op: typeof OpCode.setACL; path: string; acl: Acl[] | null; version: number };
export type CheckRequest = { op: typeof OpCode.check; path: string; version: number };
export type PathWatchRequest = {
  op: typeof OpCode.exists | typeof OpCode.getData | typeof OpCode.getChildren | typeof OpCode.getChildren2;
  path: string; watch: boolean;
};
/** setWatches and setWatches2 (the first with no persistent lists). */
export type SetWatchesRequest = {
  op: typeof OpCode.setWatches | typeof OpCode.setWatches2; relativeZxid: bigint;
  dataWatches: string[]; existWatches: string[]; childWatches: string[];
  persistentWatches: string[]; persistentRecursiveWatches: string[];
};
/** A write that can stand alone or inside a multi. */
export type WriteOp = CreateRequest | DeleteRequest | SetDataRequest | CheckRequest;
/** A read inside a multiRead. */
export type ReadOp = { op: typeof OpCode.getData | typeof OpCode.getChildren; path: string; watch: boolean };

export type Request =
  | WriteOp
  | SetAclRequest
  | PathWatchRequest
  | { op: typeof OpCode.multi; ops: WriteOp[] }
  | { op: typeof OpCode.multiRead; ops: ReadOp[] }
  | { op: typeof OpCode.getACL | typeof OpCode.sync | typeof OpCode.getAllChildrenNumber | typeof OpCode.getEphemerals; path: string }
  | { op: typeof OpCode.checkWatches | typeof OpCode.removeWatches; path: string; type: number }
  | { op: typeof OpCode.addWatch; path: string; mode: number }
  | SetWatchesRequest
  | { op: typeof OpCode.reconfig; joining: string | null; leaving: string | null; newMembers: string | null; curConfigId: bigint }
  | { op: typeof OpCode.ping | typeof OpCode.closeSession | typeof OpCode.whoAmI };

/** Requests that become txns (and so take a zxid), as in ZooKeeper, even when they fail. */
export function isWrite(op: number): boolean {
  switch (op) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
    case OpCode.delete:
    case OpCode.setData:
    case OpCode.setACL:
    case OpCode.check:
    case OpCode.multi:
    case OpCode.reconfig:
    case OpCode.closeSession:
      return true;
    default:
      return false;
  }
}

/** Op codes a client may send; any other gets UNIMPLEMENTED and the connection is closed. */
export function isClientOp(op: number): boolean {
  switch (op) {
    case OpCode.create: case OpCode.create2: case OpCode.createContainer: case OpCode.createTTL:
    case OpCode.delete: case OpCode.exists: case OpCode.getData: case OpCode.setData:
    case OpCode.getACL: case OpCode.setACL: case OpCode.getChildren: case OpCode.getChildren2:
    case OpCode.sync: case OpCode.ping: case OpCode.check: case OpCode.multi: case OpCode.multiRead:
    case OpCode.reconfig: case OpCode.checkWatches: case OpCode.removeWatches: case OpCode.setWatches:
    case OpCode.setWatches2: case OpCode.getEphemerals: case OpCode.getAllChildrenNumber:
    case OpCode.addWatch: case OpCode.whoAmI: case OpCode.closeSession:
      return true;
    default:
      return false;
  }
}

const str = (value: string | null): string => value ?? '';

function decodeCreate(op: CreateRequest['op'], r: JuteReader): CreateRequest {
  if (op === OpCode.createTTL) {
    const c = R.CreateTTLRequest.read(r);
    return { op, path: str(c.path), data: c.data, acl: c.acl, flags: c.flags, ttl: c.ttl };
  }
  const c = R.CreateRequest.read(r);
  return { op, path: str(c.path), data: c.data, acl: c.acl, flags: c.flags, ttl: -1n };
}

/** One op of a multi or multiRead: MultiHeader then the op's record; null at the end marker. */
function decodeMultiOp(r: JuteReader): { type: number; request: WriteOp | ReadOp } | null {
  const header = R.MultiHeader.read(r);
  if (header.done) return null;
  switch (header.type) {
    case OpCode.create:
    case OpCode.create2: {
      // As MultiOperationRecord does: a create's kind comes from its flags (create2 becomes create).
      const request = decodeCreate(OpCode.create, r);
      if (request.flags === CreateFlags.CONTAINER) request.op = OpCode.createContainer;
      return { type: request.op, request };
    }
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { type: header.type, request: decodeCreate(header.type, r) };
    case OpCode.delete: {
      const d = R.DeleteRequest.read(r);
      return { type: header.type, request: { op: header.type, path: str(d.path), version: d.version } };
    }
    case OpCode.setData: {
      const s = R.SetDataRequest.read(r);
      return { type: header.type, request: { op: header.type, path: str(s.path), data: s.data, version: s.version } };
    }
    case OpCode.check: {
      const c = R.CheckVersionRequest.read(r);
      return { type: header.type, request: { op: header.type, path: str(c.path), version: c.version } };
    }
    case OpCode.getData:
    case OpCode.getChildren: {
      const g = R.GetDataRequest.read(r);
      return { type: header.type, request: { op: header.type, path: str(g.path), watch: g.watch } };
    }
    default:
      throw new JuteError(`Invalid type of op ${header.type}`);
  }
}

function decodeMulti(r: JuteReader): Array<WriteOp | ReadOp> {
  const ops: Array<WriteOp | ReadOp> = [];
  for (;;) {
    const op = decodeMultiOp(r);
    if (op === null) return ops;
    ops.push(op.request);
  }
}

function isReadOp(op: WriteOp | ReadOp): op is ReadOp {
  return op.op === OpCode.getData || op.op === OpCode.getChildren;
}

/** Decodes the record after the RequestHeader. Throws JuteError when the bytes do not fit. */
export function decodeRequest(op: number, r: JuteReader): Request {
  switch (op) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return decodeCreate(op, r);
    case OpCode.delete: {
      const d = R.DeleteRequest.read(r);
      return { op, path: str(d.path), version: d.version };
    }
    case OpCode.setData: {
      const s = R.SetDataRequest.read(r);
      return { op, path: str(s.path), data: s.data, version: s.version };
    }
    case OpCode.setACL: {
      const s = R.SetACLRequest.read(r);
      return { op, path: str(s.path), acl: s.acl, version: s.version };
    }
    case OpCode.check: {
      const c = R.CheckVersionRequest.read(r);
      return { op, path: str(c.path), version: c.version };
    }
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getChildren:
    case OpCode.getChildren2: {
      const g = R.GetDataRequest.read(r);
      return { op, path: str(g.path), watch: g.watch };
    }
    case OpCode.multi: {
      const ops = decodeMulti(r);
      if (ops.some(isReadOp)) throw new JuteError('read op inside a write multi');
      return { op, ops: ops as WriteOp[] };
    }
    case OpCode.multiRead: {
      const ops = decodeMulti(r);
      if (!ops.every(isReadOp)) throw new JuteError('Invalid type of readOp');
      return { op, ops: ops as ReadOp[] };
    }
    case OpCode.getACL:
    case OpCode.sync:
    case OpCode.getAllChildrenNumber:
    case OpCode.getEphemerals:
      return { op, path: str(R.SyncRequest.read(r).path) };
    case OpCode.checkWatches:
    case OpCode.removeWatches: {
      const c = R.CheckWatchesRequest.read(r);
      return { op, path: str(c.path), type: c.type };
    }
    case OpCode.addWatch: {
      const a = R.AddWatchRequest.read(r);
      return { op, path: str(a.path), mode: a.mode };
    }
    case OpCode.setWatches:
    case OpCode.setWatches2: {
      const s = op === OpCode.setWatches2 ? R.SetWatches2.read(r) : { ...R.SetWatches.read(r), persistentWatches: [], persistentRecursiveWatches: [] };
      return {
        op, relativeZxid: s.relativeZxid, dataWatches: s.dataWatches ?? [], existWatches: s.existWatches ?? [],
        childWatches: s.childWatches ?? [], persistentWatches: s.persistentWatches ?? [],
        persistentRecursiveWatches: s.persistentRecursiveWatches ?? [],
      };
    }
    case OpCode.reconfig: {
      const q = R.ReconfigRequest.read(r);
      return { op, joining: q.joiningServers, leaving: q.leavingServers, newMembers: q.newMembers, curConfigId: q.curConfigId };
    }
    case OpCode.ping:
    case OpCode.closeSession:
    case OpCode.whoAmI:
      return { op };
    default:
      throw new JuteError(`unknown op ${op}`);
  }
}
