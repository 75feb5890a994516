/**
 * Prep: turns a write request into a txn, checking it against the tree as it will be once every
 * txn already prepped is applied (ZooKeeper's outstanding ChangeRecords). A request that fails
 * still becomes a txn (an error txn), as in ZooKeeper: it takes a zxid and is logged. Pure.
 */
import { checkAcl, fixupAcl } from '../auth/acl.js';
import { limits } from '../config/limits.js';
import type { Acl, Id } from '../proto/data.js';
import { createModeOf, ephemeralKindOf, EphemeralOwner, Perms, ttlEphemeralOwner, type CreateMode } from '../proto/defs.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { OpCode } from '../proto/op-code.js';
import type { TxnHeaderValue } from '../proto/records.js';
import type { SubTxnBody, TxnBody, TxnEntry } from '../proto/txn.js';
import { DataTree } from '../tree/data-tree.js';
import { parentOf, pathProblem } from '../tree/path.js';
import type { CreateRequest, Request, WriteOp } from './request.js';

/** What prep knows of a node: the tree's node with pending txns applied. */
interface ChangeRecord {
  zxid: bigint;
  path: string;
  /** False once a pending txn deletes it. */
  exists: boolean;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  childCount: number;
  acl: readonly Acl[];
}

/** Who sent a request and when, as the txn header will carry it. */
export interface RequestContext {
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly authIds: readonly Id[];
  /** False when the session is closing or gone: writes then fail with SESSIONEXPIRED. */
  readonly sessionValid: boolean;
}

export interface PrepOptions {
  readonly extendedTypesEnabled: boolean;
  /** Hard quota limits (countHardLimit, byteHardLimit) refuse writes with QUOTAEXCEEDED. */
  readonly enforceQuota?: boolean;
  /** SASL users exist: `sasl` ACL ids are valid. */
  readonly saslUsers?: ReadonlyMap<string, string>;
  readonly skipAcl: boolean;
  readonly reconfigEnabled: boolean;
}

/** `String.format("%010d", n)` for the sequential suffix, sign included in the width. */
export function sequenceSuffix(cversion: number): string {
  const digits = Math.abs(cversion).toString();
  const width = limits.sequentialDigits - (cversion < 0 ? 1 : 0);
  return (cversion < 0 ? '-' : '') + digits.padStart(width, '0');
}

export class Prep {
  /** Pending changes in zxid order, and the newest one per path. */
  private readonly outstanding: ChangeRecord[] = [];
  private outstandingHead = 0;
  private readonly byPath = new Map<string, ChangeRecord>();

  constructor(
    private readonly tree: DataTree,
    private readonly options: PrepOptions,
  ) {}

  /** Forgets every pending change (their txns will not be applied by this server's own pipeline). */
  reset(): void {
    this.outstanding.length = 0;
    this.outstandingHead = 0;
    this.byPath.clear();
  }

  /** Number of pending change records (outstanding_changes). */
  get pendingChanges(): number {
    return this.outstanding.length - this.outstandingHead;
  }

  /**
   * Makes the txn for a write request. `zxid` is the txn's zxid (the caller owns the counter),
   * `time` its wall-clock time in ms.
   */
  prepare(request: Request, context: RequestContext, zxid: bigint, time: bigint): TxnEntry {
    const header: TxnHeaderValue = { clientId: context.sessionId, cxid: context.cxid, zxid, time, type: request.op };
    try {
      if (request.op === OpCode.multi) return { header, body: this.prepareMulti(request.ops, context, zxid) };
      if (!context.sessionValid && request.op !== OpCode.closeSession) throw new KeeperError(ErrorCode.SESSIONEXPIRED);
      return { header, body: this.prepareOne(request, context, zxid) };
    } catch (e) {
      if (!(e instanceof KeeperError)) throw e;
      return { header: { ...header, type: OpCode.error }, body: { type: OpCode.error, err: e.code } };
    }
  }

  /** A session close: its ephemerals, including those pending creation, are listed in the txn. */
  prepareCloseSession(sessionId: bigint, cxid: number, zxid: bigint, time: bigint): TxnEntry {
    const paths = new Set(this.tree.ephemeralsOf(sessionId));
    for (let i = this.outstandingHead; i < this.outstanding.length; i++) {
      const c = this.outstanding[i]!;
      if (!c.exists) paths.delete(c.path);
      else if (c.ephemeralOwner === sessionId) paths.add(c.path);
    }
    // One change record per parent, however many of its children go (a session may own thousands).
    const goneFrom = new Map<string, number>();
    for (const path of paths) {
      const parentPath = parentOf(path);
      goneFrom.set(parentPath, (goneFrom.get(parentPath) ?? 0) + 1);
      this.add(this.deleted(path, zxid));
    }
    for (const [parentPath, gone] of goneFrom) {
      const parent = this.record(parentPath);
      if (parent !== undefined) this.add({ ...parent, zxid, childCount: parent.childCount - gone });
    }
    return {
      header: { clientId: sessionId, cxid, zxid, time, type: OpCode.closeSession },
      body: { type: OpCode.closeSession, paths2Delete: [...paths] },
    };
  }

  /** The server's own request to remove an empty container or an expired TTL node. */
  prepareDeleteContainer(path: string, zxid: bigint, time: bigint): TxnEntry {
    const header: TxnHeaderValue = { clientId: 0n, cxid: 0, zxid, time, type: OpCode.deleteContainer };
    try {
      this.parentAndValidate(path);
      const node = this.require(path);
      if (node.childCount > 0) throw new KeeperError(ErrorCode.NOTEMPTY, path);
      if (ephemeralKindOf(node.ephemeralOwner) === 'normal') throw new KeeperError(ErrorCode.BADVERSION, path);
      const parent = this.require(parentOf(path));
      this.add({ ...parent, zxid, childCount: parent.childCount - 1 });
      this.add(this.deleted(path, zxid));
      return { header, body: { type: OpCode.deleteContainer, path } };
    } catch (e) {
      if (!(e instanceof KeeperError)) throw e;
      return { header: { ...header, type: OpCode.error }, body: { type: OpCode.error, err: e.code } };
    }
  }

  /** Forgets change records made by txns up to `zxid`, now applied to the tree. */
  applied(zxid: bigint): void {
    while (this.outstandingHead < this.outstanding.length && this.outstanding[this.outstandingHead]!.zxid <= zxid) {
      const c = this.outstanding[this.outstandingHead++]!;
      if (this.byPath.get(c.path) === c) this.byPath.delete(c.path);
    }
    if (this.outstandingHead > 1024 && this.outstandingHead * 2 > this.outstanding.length) {
      this.outstanding.splice(0, this.outstandingHead);
      this.outstandingHead = 0;
    }
  }

  private prepareOne(request: Request, context: RequestContext, zxid: bigint): TxnBody {
    switch (request.op) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
      case OpCode.delete:
      case OpCode.setData:
      case OpCode.check:
        return this.prepareWrite(request, context, zxid);
      case OpCode.setACL: {
        this.validatePath(request.path);
        const acl = fixupAcl(request.path, context.authIds, request.acl, this.options.saslUsers !== undefined);
        const node = this.require(request.path);
        this.checkAcl(node.acl, Perms.ADMIN, context, request.path);
        const version = checkVersion(node.aversion, request.version, request.path);
        this.add({ ...node, zxid, aversion: version });
        return { type: OpCode.setACL, path: request.path, acl, version };
      }
      case OpCode.reconfig:
        throw new KeeperError(this.options.reconfigEnabled ? ErrorCode.UNIMPLEMENTED : ErrorCode.RECONFIGDISABLED);
      case OpCode.closeSession:
        throw new Error('closeSession goes through prepareCloseSession');
      default:
        throw new KeeperError(ErrorCode.UNIMPLEMENTED);
    }
  }

  private prepareWrite(request: WriteOp, context: RequestContext, zxid: bigint): SubTxnBody {
    switch (request.op) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        return this.prepareCreate(request, context, zxid);
      case OpCode.delete: {
        const parentPath = this.parentAndValidate(request.path);
        const parent = this.require(parentPath);
        this.checkAcl(parent.acl, Perms.DELETE, context, request.path);
        const node = this.require(request.path);
        checkVersion(node.version, request.version, request.path);
        if (node.childCount > 0) throw new KeeperError(ErrorCode.NOTEMPTY, request.path);
        this.add({ ...parent, zxid, childCount: parent.childCount - 1 });
        this.add(this.deleted(request.path, zxid));
        return { type: OpCode.delete, path: request.path };
      }
      case OpCode.setData: {
        this.validatePath(request.path);
        const node = this.require(request.path);
        this.checkAcl(node.acl, Perms.WRITE, context, request.path);
        this.checkQuota(request.path, BigInt((request.data?.length ?? 0) - (this.tree.getNode(request.path)?.dataLength ?? 0)), 0n);
        const version = checkVersion(node.version, request.version, request.path);
        this.add({ ...node, zxid, version });
        return { type: OpCode.setData, path: request.path, data: request.data, version };
      }
      case OpCode.check: {
        this.validatePath(request.path);
        const node = this.require(request.path);
        this.checkAcl(node.acl, Perms.READ, context, request.path);
        return { type: OpCode.check, path: request.path, version: checkVersion(node.version, request.version, request.path) };
      }
    }
  }

  private createModeFor(request: CreateRequest): CreateMode {
    const mode = createModeOf(request.flags);
    if (mode === undefined) throw new KeeperError(ErrorCode.BADARGUMENTS, request.path);
    if (mode.ttl && !this.options.extendedTypesEnabled) throw new KeeperError(ErrorCode.UNIMPLEMENTED, request.path);
    if (request.op === OpCode.createTTL) {
      if (!mode.ttl) throw new KeeperError(ErrorCode.BADARGUMENTS, request.path);
      if (request.ttl <= 0n || request.ttl > limits.ttlMsMax) throw new KeeperError(ErrorCode.BADARGUMENTS, request.path);
    } else if (mode.ttl) {
      throw new KeeperError(ErrorCode.BADARGUMENTS, request.path);
    }
    if (request.op === OpCode.createContainer && !mode.container) throw new KeeperError(ErrorCode.BADARGUMENTS, request.path);
    return mode;
  }

  private prepareCreate(request: CreateRequest, context: RequestContext, zxid: bigint): SubTxnBody {
    const mode = this.createModeFor(request);
    if (request.path.lastIndexOf('/') < 0 || request.path.includes('\0')) throw new KeeperError(ErrorCode.BADARGUMENTS, request.path);
    const parentPath = parentOf(request.path);
    const acl = fixupAcl(request.path, context.authIds, request.acl, this.options.saslUsers !== undefined);
    const parent = this.require(parentPath);
    this.checkAcl(parent.acl, Perms.CREATE, context, request.path);
    const path = mode.sequential ? request.path + sequenceSuffix(parent.cversion) : request.path;
    this.validatePath(path);
    if (this.record(path)?.exists) throw new KeeperError(ErrorCode.NODEEXISTS, path);
    if (ephemeralKindOf(parent.ephemeralOwner) === 'normal') throw new KeeperError(ErrorCode.NOCHILDRENFOREPHEMERALS, path);
    this.checkQuota(path, BigInt(request.data?.length ?? 0), 1n);
    const parentCVersion = parent.cversion + 1;
    let ephemeralOwner = 0n;
    let body: SubTxnBody;
    if (request.op === OpCode.createContainer) {
      ephemeralOwner = EphemeralOwner.container;
      body = { type: OpCode.createContainer, path, data: request.data, acl, parentCVersion };
    } else if (request.op === OpCode.createTTL) {
      ephemeralOwner = ttlEphemeralOwner(request.ttl);
      body = { type: OpCode.createTTL, path, data: request.data, acl, parentCVersion, ttl: request.ttl };
    } else {
      if (mode.ephemeral) ephemeralOwner = context.sessionId;
      body = { type: request.op, path, data: request.data, acl, ephemeral: mode.ephemeral, parentCVersion };
    }
    this.add({ ...parent, zxid, childCount: parent.childCount + 1, cversion: parentCVersion });
    this.add({ zxid, path, exists: true, version: 0, cversion: 0, aversion: 0, ephemeralOwner, childCount: 0, acl });
    return body;
  }

  /**
   * A multi: every op shares the zxid. The first failing op stops the rest (each then an
   * error txn with RUNTIMEINCONSISTENCY) and its change records are rolled back.
   */
  private prepareMulti(ops: WriteOp[], context: RequestContext, zxid: bigint): TxnBody {
    const saved = new Map<string, ChangeRecord | undefined>();
    for (const op of ops) {
      for (const path of [op.path, op.path.lastIndexOf('/') >= 0 ? parentOf(op.path) : op.path]) {
        if (!saved.has(path)) saved.set(path, this.byPath.get(path));
      }
    }
    const outstandingBefore = this.outstanding.length;
    const txns: SubTxnBody[] = [];
    let failed = false;
    for (const op of ops) {
      if (failed) {
        txns.push({ type: OpCode.error, err: ErrorCode.RUNTIMEINCONSISTENCY });
        continue;
      }
      try {
        if (!context.sessionValid) throw new KeeperError(ErrorCode.SESSIONEXPIRED);
        txns.push(this.prepareWrite(op, context, zxid));
      } catch (e) {
        if (!(e instanceof KeeperError)) throw e;
        failed = true;
        txns.push({ type: OpCode.error, err: e.code });
        this.rollback(outstandingBefore, saved);
      }
    }
    return { type: OpCode.multi, txns };
  }

  private rollback(length: number, saved: Map<string, ChangeRecord | undefined>): void {
    for (let i = length; i < this.outstanding.length; i++) this.byPath.delete(this.outstanding[i]!.path);
    this.outstanding.length = length;
    // Prep runs a multi in one turn, so every saved record is still outstanding.
    for (const [path, record] of saved) if (record !== undefined) this.byPath.set(path, record);
  }

  // ---- helpers ----

  private add(record: ChangeRecord): void {
    this.outstanding.push(record);
    this.byPath.set(record.path, record);
  }

  private deleted(path: string, zxid: bigint): ChangeRecord {
    return { zxid, path, exists: false, version: -1, cversion: -1, aversion: -1, ephemeralOwner: 0n, childCount: 0, acl: [] };
  }

  /** The node as pending txns will leave it, or undefined when it does not exist now. */
  private record(path: string): ChangeRecord | undefined {
    const pending = this.byPath.get(path);
    if (pending !== undefined) return pending;
    const node = this.tree.getNode(path);
    if (node === undefined) return undefined;
    return {
      zxid: -1n, path, exists: true, version: node.version, cversion: node.cversion, aversion: node.aversion,
      ephemeralOwner: node.ephemeralOwner, childCount: node.numChildren, acl: node.acl.acl,
    };
  }

  private require(path: string): ChangeRecord {
    const record = this.record(path);
    if (record === undefined || !record.exists) throw new KeeperError(ErrorCode.NONODE, path);
    return record;
  }

  private checkAcl(acl: readonly Acl[], perm: number, context: RequestContext, path: string): void {
    if (!this.options.skipAcl) checkAcl(acl, perm, context.authIds, path);
  }

  /**
   * ZooKeeper's checkQuota, against the applied tree: only hard limits refuse (soft ones are
   * logged by ZooKeeper and ignored here); a limit of -1 means none.
   */
  private checkQuota(path: string, bytesDiff: bigint, countDiff: bigint): void {
    if (!this.options.enforceQuota) return;
    const quota = this.tree.quotaOf(path);
    if (quota === undefined) return;
    const over = (diff: bigint, hard: string, key: string): boolean => {
      const hardLimit = quota.limits.get(hard);
      return diff !== 0n && hardLimit > -1n && quota.current.get(key) + diff > hardLimit;
    };
    if (over(countDiff, 'countHardLimit', 'count') || over(bytesDiff, 'byteHardLimit', 'bytes')) {
      throw new KeeperError(ErrorCode.QUOTAEXCEEDED, quota.prefix);
    }
  }

  private validatePath(path: string): void {
    if (pathProblem(path) !== undefined) throw new KeeperError(ErrorCode.BADARGUMENTS, path);
  }

  /** Delete's path check: a slash, no NUL, and not one of the system nodes. */
  private parentAndValidate(path: string): string {
    if (path.lastIndexOf('/') < 0 || path.includes('\0') || DataTree.isSpecialPath(path)) {
      throw new KeeperError(ErrorCode.BADARGUMENTS, path);
    }
    return parentOf(path);
  }
}

/** A version check: -1 matches anything; returns the next version. */
function checkVersion(current: number, expected: number, path: string): number {
  if (expected !== -1 && expected !== current) throw new KeeperError(ErrorCode.BADVERSION, path);
  return (current + 1) | 0;
}

