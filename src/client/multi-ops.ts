/**
 * The operations a caller may put in a multi, and their translation into wire form (paths
 * checked and chrooted, data encoded) and back (created paths un-chrooted).
 */
import type { Acl } from '../proto/data.js';
import { Ids } from '../proto/data.js';
import { OpCode } from '../proto/op-code.js';
import { resolveCreate, validateAcl } from './create-mode.js';
import { isReadOp, type EncodedOp, type OpResult } from './multi.js';
import { InvalidArgumentError, prependChroot, stripChroot, validatePath } from './paths.js';
import type { CreateModeName, DataInput } from './types.js';

/** One operation of a multi. `check` asserts a node's version without changing it. */
export type Op =
  | {
      readonly op: 'create' | 'create2';
      readonly path: string;
      readonly data?: DataInput;
      readonly acl?: readonly Acl[];
      readonly mode?: CreateModeName | number;
      readonly ttl?: number | bigint;
    }
  | { readonly op: 'delete'; readonly path: string; readonly version?: number }
  | { readonly op: 'setData'; readonly path: string; readonly data: DataInput; readonly version?: number }
  | { readonly op: 'check'; readonly path: string; readonly version: number }
  | { readonly op: 'getData'; readonly path: string }
  | { readonly op: 'getChildren'; readonly path: string };

/** Data as a buffer for the wire; null stays null. */
export function toData(data: DataInput | undefined): Buffer | null {
  if (data === undefined || data === null) return null;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function encodeCreate(op: Extract<Op, { op: 'create' | 'create2' }>, serverPath: string): EncodedOp {
  const resolved = resolveCreate(op, op.op === 'create2');
  validatePath(op.path, resolved.mode.sequential);
  const acl = op.acl ?? Ids.OPEN_ACL_UNSAFE;
  validateAcl(acl);
  const data = toData(op.data);
  if (resolved.opCode === OpCode.createTTL) {
    return { opCode: 21, path: serverPath, data, acl, flags: resolved.flags, ttl: resolved.ttl };
  }
  const opCode = resolved.opCode as 1 | 15 | 19;
  return { opCode, path: serverPath, data, acl, flags: resolved.flags };
}

/** One op in wire form, with `chroot` applied. */
export function encodeOp(op: Op, chroot: string | null): EncodedOp {
  const serverPath = prependChroot(chroot, op.path);
  switch (op.op) {
    case 'create':
    case 'create2':
      return encodeCreate(op, serverPath);
    case 'delete':
      validatePath(op.path);
      return { opCode: 2, path: serverPath, version: op.version ?? -1 };
    case 'check':
      validatePath(op.path);
      return { opCode: 13, path: serverPath, version: op.version };
    case 'setData':
      validatePath(op.path);
      return { opCode: 5, path: serverPath, data: toData(op.data), version: op.version ?? -1 };
    case 'getData':
      validatePath(op.path);
      return { opCode: 4, path: serverPath };
    case 'getChildren':
      validatePath(op.path);
      return { opCode: 8, path: serverPath };
    default:
      throw new InvalidArgumentError(`unknown multi op ${(op as { op: unknown }).op}`);
  }
}

/** Encodes `ops` and picks multi or multiRead as the Java client does; mixing kinds is refused. */
export function encodeOps(ops: readonly Op[], chroot: string | null): { opCode: number; encoded: EncodedOp[] } {
  const encoded = ops.map((op) => encodeOp(op, chroot));
  const reads = encoded.filter((op) => isReadOp(op.opCode)).length;
  if (reads > 0 && reads < encoded.length) throw new InvalidArgumentError('Mixing read and write operations in a multi');
  return { opCode: reads > 0 ? OpCode.multiRead : OpCode.multi, encoded };
}

/** Results with created paths given back in client form. */
export function unchrootResults(results: OpResult[], chroot: string | null): OpResult[] {
  if (chroot === null) return results;
  return results.map((result) => (result.type === 'create' ? { ...result, path: stripChroot(chroot, result.path) } : result));
}
