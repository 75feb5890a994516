/**
 * Txns: what prep makes of a write request, what the log stores and what the tree applies.
 * The byte layout is ZooKeeper's (TxnHeader, then the record of the header's type), so a
 * ZooKeeper txn log reads as ours.
 */
import { JuteReader, JuteError } from '../jute/reader.js';
import { JuteWriter } from '../jute/writer.js';
import type { Acl } from './data.js';
import { OpCode } from './op-code.js';
import {
  CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTTLTxn, CreateTxn,
  DeleteTxn, ErrorTxn, MultiTxn, SetACLTxn, SetDataTxn, TxnHeader, type TxnHeaderValue,
} from './records.js';

export type CreateTxnBody = {
  type: typeof OpCode.create | typeof OpCode.create2;
  path: string; data: Buffer | null; acl: Acl[]; ephemeral: boolean; parentCVersion: number;
};
export type CreateTtlTxnBody = {
  type: typeof OpCode.createTTL; path: string; data: Buffer | null; acl: Acl[]; parentCVersion: number; ttl: bigint;
};
export type CreateContainerTxnBody = {
  type: typeof OpCode.createContainer; path: string; data: Buffer | null; acl: Acl[]; parentCVersion: number;
};
export type DeleteTxnBody = { type: typeof OpCode.delete | typeof OpCode.deleteContainer; path: string };
/** setData, or a reconfig (logged by ZooKeeper as a SetDataTxn on /zookeeper/config). */
export type SetDataTxnBody = { type: typeof OpCode.setData | typeof OpCode.reconfig; path: string; data: Buffer | null; version: number };
export type SetAclTxnBody = { type: typeof OpCode.setACL; path: string; acl: Acl[]; version: number };
export type CheckTxnBody = { type: typeof OpCode.check; path: string; version: number };
export type CreateSessionTxnBody = { type: typeof OpCode.createSession; timeOut: number };
export type CloseSessionTxnBody = { type: typeof OpCode.closeSession; paths2Delete: string[] };
export type ErrorTxnBody = { type: typeof OpCode.error; err: number };
export type MultiTxnBody = { type: typeof OpCode.multi; txns: SubTxnBody[] };

/** A txn inside a multi. */
export type SubTxnBody =
  | CreateTxnBody | CreateTtlTxnBody | CreateContainerTxnBody | DeleteTxnBody
  | SetDataTxnBody | CheckTxnBody | ErrorTxnBody;

export type TxnBody = SubTxnBody | SetAclTxnBody | CreateSessionTxnBody | CloseSessionTxnBody | MultiTxnBody;

/** A txn with its header: who asked (clientId, cxid), when (time), and its zxid. */
export interface TxnEntry {
  readonly header: TxnHeaderValue;
  readonly body: TxnBody;
}

const empty = Buffer.alloc(0);

// Decoded data are views into the bytes they were read from; the tree keeps its own copy
// (tree/znode.ts storeData).

function writeBody(w: JuteWriter, body: TxnBody): void {
  switch (body.type) {
    case OpCode.create:
    case OpCode.create2:
      CreateTxn.write(w, body);
      return;
    case OpCode.createTTL:
      CreateTTLTxn.write(w, body);
      return;
    case OpCode.createContainer:
      CreateContainerTxn.write(w, body);
      return;
    case OpCode.delete:
    case OpCode.deleteContainer:
      DeleteTxn.write(w, body);
      return;
    case OpCode.setData:
    case OpCode.reconfig:
      SetDataTxn.write(w, body);
      return;
    case OpCode.setACL:
      SetACLTxn.write(w, body);
      return;
    case OpCode.check:
      CheckVersionTxn.write(w, body);
      return;
    case OpCode.createSession:
      CreateSessionTxn.write(w, body);
      return;
    case OpCode.closeSession:
      CloseSessionTxn.write(w, body);
      return;
    case OpCode.error:
      ErrorTxn.write(w, body);
      return;
    case OpCode.multi:
      MultiTxn.write(w, {
        txns: body.txns.map((sub) => {
          const sw = new JuteWriter(64);
          writeBody(sw, sub);
          return { type: sub.type, data: sw.take() };
        }),
      });
      return;
  }
}

function readBody(type: number, r: JuteReader): TxnBody {
  switch (type) {
    case OpCode.create:
    case OpCode.create2: {
      const t = CreateTxn.read(r);
      return { type, path: t.path ?? '', data: t.data, acl: t.acl ?? [], ephemeral: t.ephemeral, parentCVersion: t.parentCVersion };
    }
    case OpCode.createTTL: {
      const t = CreateTTLTxn.read(r);
      return { type, path: t.path ?? '', data: t.data, acl: t.acl ?? [], parentCVersion: t.parentCVersion, ttl: t.ttl };
    }
    case OpCode.createContainer: {
      const t = CreateContainerTxn.read(r);
      return { type, path: t.path ?? '', data: t.data, acl: t.acl ?? [], parentCVersion: t.parentCVersion };
    }
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type, path: DeleteTxn.read(r).path ?? '' };
    case OpCode.setData:
    case OpCode.reconfig: {
      const t = SetDataTxn.read(r);
      return { type, path: t.path ?? '', data: t.data, version: t.version };
    }
    case OpCode.setACL: {
      const t = SetACLTxn.read(r);
      return { type, path: t.path ?? '', acl: t.acl ?? [], version: t.version };
    }
    case OpCode.check: {
      const t = CheckVersionTxn.read(r);
      return { type, path: t.path ?? '', version: t.version };
    }
    case OpCode.createSession:
      return { type, timeOut: CreateSessionTxn.read(r).timeOut };
    case OpCode.closeSession:
      // ZooKeeper may log closeSession with no body (closeSessionTxn.enabled=false).
      if (r.remaining === 0) return { type, paths2Delete: [] };
      return { type, paths2Delete: CloseSessionTxn.read(r).paths2Delete ?? [] };
    case OpCode.error:
      return { type, err: ErrorTxn.read(r).err };
    case OpCode.multi: {
      const txns = MultiTxn.read(r).txns ?? [];
      return {
        type,
        txns: txns.map((sub) => {
          const body = readBody(sub.type, new JuteReader(sub.data ?? empty, 0, (sub.data ?? empty).length, Infinity));
          if (body.type === OpCode.multi || body.type === OpCode.setACL || body.type === OpCode.createSession || body.type === OpCode.closeSession || body.type === OpCode.reconfig) {
            throw new JuteError(`txn type ${sub.type} cannot be inside a multi`);
          }
          return body;
        }),
      };
    }
    default:
      throw new JuteError(`unknown txn type ${type}`);
  }
}

/** Serialises header and body the way ZooKeeper's txn log stores them. */
export function encodeTxn(entry: TxnEntry, w = new JuteWriter(encodedTxnSizeHint(entry))): Buffer {
  writeTxn(w, entry);
  return w.take();
}

/** Appends header and body to `w` (encodeTxn without its own buffer). */
export function writeTxn(w: JuteWriter, entry: TxnEntry): void {
  TxnHeader.write(w, entry.header);
  writeBody(w, entry.body);
}

/** A buffer size that usually holds the whole txn, so encoding does not grow it step by step. */
export function encodedTxnSizeHint(entry: TxnEntry): number {
  const body = entry.body as { path?: string; data?: Uint8Array | null };
  return 128 + (body.path === undefined ? 0 : body.path.length * 3) + (body.data === undefined || body.data === null ? 0 : body.data.length);
}

/** Decodes a txn written by encodeTxn or by ZooKeeper; trailing bytes (a TxnDigest) are ignored. */
export function decodeTxn(bytes: Buffer): TxnEntry {
  const r = new JuteReader(bytes, 0, bytes.length, Infinity);
  const header = TxnHeader.read(r);
  return { header, body: readBody(header.type, r) };
}
