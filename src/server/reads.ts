/**
 * Reads and watch registration, answered from the applied tree (ZooKeeper's FinalRequestProcessor
 * read cases, 3.8 semantics). Pure: returns the error code and the reply body.
 */
import { isAllowed, maskDigests } from '../auth/acl.js';
import { schemeOf } from '../auth/schemes.js';
import type { Id, Stat } from '../proto/data.js';
import { AddWatchMode, EventType, Perms } from '../proto/defs.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { OpCode } from '../proto/op-code.js';
import * as R from '../proto/records.js';
import { JuteWriter } from '../jute/writer.js';
import type { DataTree } from '../tree/data-tree.js';
import { storeData, type StoredData, type Znode } from '../tree/znode.js';
import type { Codec } from '../jute/schema.js';
import type { WatchManager, WatcherId } from '../watch/watch-manager.js';
import { body, type ReplyBody } from './replies.js';
import type { ReadOp, Request, SetWatchesRequest } from './request.js';

export interface ReadContext {
  readonly sessionId: bigint;
  readonly watcher: WatcherId;
  readonly authIds: readonly Id[];
  readonly skipAcl: boolean;
}

export interface ReadOutcome {
  readonly err: number;
  readonly body?: ReplyBody;
  /** Events to send to this connection before the reply (setWatches on changed nodes). */
  readonly events?: ReadonlyArray<{ type: number; path: string }>;
}

/** A GetDataResponse whose data is still in the node's stored form. */
interface StoredDataResponse {
  readonly stored: StoredData;
  readonly stat: Stat;
}

/** Writes a GetDataResponse straight from the stored data: no Buffer per read. */
const GetDataFromNode: Codec<StoredDataResponse> = {
  read: (r) => {
    const response = R.GetDataResponse.read(r);
    return { stored: storeData(response.data), stat: response.stat };
  },
  write: (w, value) => {
    w.writeLatin1Buffer(value.stored);
    R.stat.write(w, value.stat);
  },
};

const ok = (reply?: ReplyBody): ReadOutcome => (reply === undefined ? { err: 0 } : { err: 0, body: reply });

export class Reads {
  constructor(
    private readonly tree: DataTree,
    private readonly watches: WatchManager,
  ) {}

  /** Runs a read-only request; KeeperErrors become error outcomes. */
  execute(request: Request, context: ReadContext): ReadOutcome {
    try {
      return this.run(request, context);
    } catch (e) {
      if (e instanceof KeeperError) return { err: e.code };
      throw e;
    }
  }

  private node(path: string, perm: number, context: ReadContext): Znode {
    const node = this.tree.getNode(path);
    if (node === undefined) throw new KeeperError(ErrorCode.NONODE, path);
    if (!context.skipAcl && !isAllowed(node.acl.acl, perm, context.authIds)) throw new KeeperError(ErrorCode.NOAUTH, path);
    return node;
  }

  private getData(op: { path: string; watch: boolean }, context: ReadContext): StoredDataResponse {
    const node = this.node(op.path, Perms.READ, context);
    if (op.watch) this.watches.addDataWatch(op.path, context.watcher);
    return { stored: node.stored, stat: node.stat() };
  }

  private getChildren(path: string, watch: boolean, context: ReadContext): { children: string[]; node: Znode } {
    const node = this.node(path, Perms.READ, context);
    if (watch) this.watches.addChildWatch(path, context.watcher);
    return { children: node.childNames(), node };
  }

  private run(request: Request, context: ReadContext): ReadOutcome {
    switch (request.op) {
      case OpCode.exists: {
        if (request.path.includes('\0')) throw new KeeperError(ErrorCode.BADARGUMENTS, request.path);
        if (request.watch) this.watches.addDataWatch(request.path, context.watcher);
        const node = this.tree.getNode(request.path);
        if (node === undefined) throw new KeeperError(ErrorCode.NONODE, request.path);
        return ok(body(R.ExistsResponse, { stat: node.stat() }));
      }
      case OpCode.getData: {
        const value = this.getData(request, context);
        return ok(body(GetDataFromNode, value, value.stored === null ? 0 : value.stored.length));
      }
      case OpCode.getChildren:
        return ok(body(R.GetChildrenResponse, { children: this.getChildren(request.path, request.watch, context).children }));
      case OpCode.getChildren2: {
        const { children, node } = this.getChildren(request.path, request.watch, context);
        return ok(body(R.GetChildren2Response, { children, stat: node.stat() }));
      }
      case OpCode.getACL: {
        const node = this.node(request.path, Perms.READ | Perms.ADMIN, context);
        const admin = context.skipAcl || isAllowed(node.acl.acl, Perms.ADMIN, context.authIds);
        const acl = admin ? [...node.acl.acl] : maskDigests(node.acl.acl);
        return ok(body(R.GetACLResponse, { acl, stat: node.stat() }));
      }
      case OpCode.getAllChildrenNumber: {
        this.node(request.path, Perms.READ, context);
        return ok(body(R.GetAllChildrenNumberResponse, { totalNumber: this.tree.countDescendants(request.path) }));
      }
      case OpCode.getEphemerals: {
        const prefix = request.path.trim();
        const all = [...this.tree.ephemeralsOf(context.sessionId)];
        const ephemerals = prefix === '' || prefix === '/' ? all : all.filter((p) => p.startsWith(request.path));
        return ok(body(R.GetEphemeralsResponse, { ephemerals }));
      }
      case OpCode.sync:
        return ok(body(R.SyncResponse, { path: request.path }));
      case OpCode.multiRead:
        return ok(this.multiRead(request.ops, context));
      case OpCode.checkWatches:
      case OpCode.removeWatches: {
        if (request.type < 1 || request.type > 3) return { err: ErrorCode.MARSHALLINGERROR };
        const found = request.op === OpCode.checkWatches
          ? this.watches.contains(request.path, request.type, context.watcher)
          : this.watches.remove(request.path, request.type, context.watcher);
        return found ? ok() : { err: ErrorCode.NOWATCHER };
      }
      case OpCode.addWatch: {
        if (request.mode !== AddWatchMode.PERSISTENT && request.mode !== AddWatchMode.PERSISTENT_RECURSIVE) {
          return { err: ErrorCode.MARSHALLINGERROR };
        }
        this.watches.addPersistentWatch(request.path, context.watcher, request.mode === AddWatchMode.PERSISTENT_RECURSIVE);
        return ok(body(R.ErrorResponse, { err: 0 }));
      }
      case OpCode.setWatches:
      case OpCode.setWatches2:
        return { err: 0, events: this.setWatches(request, context.watcher) };
      case OpCode.whoAmI:
        return ok(body(R.WhoAmIResponse, {
          clientInfo: context.authIds.map((id) => ({ authScheme: id.scheme, user: schemeOf(id.scheme, true)?.userName(id.id) ?? null })),
        }));
      default:
        return { err: ErrorCode.UNIMPLEMENTED };
    }
  }

  /** Each op succeeds or fails on its own; the reply is a MultiResponse. */
  private multiRead(ops: ReadOp[], context: ReadContext): ReplyBody {
    const results: MultiResult[] = [];
    for (const op of ops) {
      try {
        if (op.op === OpCode.getData) {
          const value = this.getData(op, context);
          results.push({ type: op.op, write: (w) => GetDataFromNode.write(w, value) });
        } else {
          const { children } = this.getChildren(op.path, op.watch, context);
          results.push({ type: op.op, write: (w) => R.GetChildrenResponse.write(w, { children }) });
        }
      } catch (e) {
        if (!(e instanceof KeeperError)) throw e;
        const err = e.code;
        results.push({ type: OpCode.error, err, write: (w) => R.ErrorResponse.write(w, { err }) });
      }
    }
    return { codec: multiResponseCodec, value: results };
  }

  /** Re-arms watches after a reconnect; what changed since relativeZxid fires at once. */
  private setWatches(request: SetWatchesRequest, watcher: WatcherId): Array<{ type: number; path: string }> {
    const events: Array<{ type: number; path: string }> = [];
    const relative = request.relativeZxid;
    for (const path of request.dataWatches) {
      const node = this.tree.getNode(path);
      if (node === undefined) events.push({ type: EventType.NodeDeleted, path });
      else if (node.mzxid > relative) events.push({ type: EventType.NodeDataChanged, path });
      else this.watches.addDataWatch(path, watcher);
    }
    for (const path of request.existWatches) {
      if (this.tree.getNode(path) !== undefined) events.push({ type: EventType.NodeCreated, path });
      else this.watches.addDataWatch(path, watcher);
    }
    for (const path of request.childWatches) {
      const node = this.tree.getNode(path);
      if (node === undefined) events.push({ type: EventType.NodeDeleted, path });
      else if (node.pzxid > relative) events.push({ type: EventType.NodeChildrenChanged, path });
      else this.watches.addChildWatch(path, watcher);
    }
    for (const path of request.persistentWatches) this.watches.addPersistentWatch(path, watcher, false);
    for (const path of request.persistentRecursiveWatches) this.watches.addPersistentWatch(path, watcher, true);
    return events;
  }
}

/** One op's result in a MultiResponse. */
export interface MultiResult {
  readonly type: number;
  readonly err?: number;
  readonly write: (w: JuteWriter) => void;
}

/** MultiResponse: MultiHeader{type, false, err (0 unless an error)} + result, then {-1, true, -1}. */
export const multiResponseCodec = {
  read(): never {
    throw new Error('the server does not read MultiResponse');
  },
  write(w: JuteWriter, results: readonly MultiResult[]): void {
    for (const r of results) {
      R.MultiHeader.write(w, { type: r.type, done: false, err: r.type === OpCode.error ? (r.err ?? 0) : 0 });
      r.write(w);
    }
    R.MultiHeader.write(w, { type: -1, done: true, err: -1 });
  },
};
