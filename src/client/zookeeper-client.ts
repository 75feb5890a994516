/**
 * The public, promise-based ZooKeeper client. Every operation checks its arguments the way
 * the Java client does, applies the chroot, goes through the session layer (client-core.ts)
 * and resolves with the decoded reply or rejects with a KeeperError carrying the server's code.
 */
import type { JuteReader } from '../jute/reader.js';
import type { JuteWriter } from '../jute/writer.js';
import { Ids, type Acl, type Stat } from '../proto/data.js';
import { AddWatchMode, CONFIG_NODE, WatcherType } from '../proto/defs.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { OpCode } from '../proto/op-code.js';
import * as R from '../proto/records.js';
import { ClientBase, NO_OP_WATCHER, type AddWatchModeName, type WatcherTypeName } from './client-base.js';
import { resolveCreate, validateAcl } from './create-mode.js';
import type { ClientEnvironment } from './environment.js';
import { readMultiResponse, writeMulti, type OpResult } from './multi.js';
import { encodeOps, toData, unchrootResults, type Op } from './multi-ops.js';
import { stripChroot, validatePath } from './paths.js';
import { removeWatchesLocally } from './remove-watches.js';
import type { AclResult, ChildrenResult, ClientInfo, ClientOptions, CreateOptions, DataInput, DataResult, WatchOption, Watcher } from './types.js';
import type { WatchKind } from './watch-registry.js';

export type { RawReply, AddWatchModeName, WatcherTypeName } from './client-base.js';

/** A ZooKeeper session, as seen by an application. */
export class ZooKeeperClient extends ClientBase {
  /** Creates a node and resolves with its actual path (with any sequence suffix). */
  async create(path: string, data: DataInput = null, options: CreateOptions = {}): Promise<string> {
    return (await this.createNode(path, data, options, false)).path;
  }

  /** Creates a node with create2 (or createContainer/createTTL) and resolves with its path and stat. */
  async create2(path: string, data: DataInput = null, options: CreateOptions = {}): Promise<{ path: string; stat: Stat }> {
    const result = await this.createNode(path, data, options, true);
    return { path: result.path, stat: result.stat! };
  }

  private async createNode(path: string, data: DataInput, options: CreateOptions, withStat: boolean) {
    const resolved = resolveCreate(options, withStat);
    validatePath(path, resolved.mode.sequential);
    const acl = [...(options.acl ?? Ids.OPEN_ACL_UNSAFE)];
    validateAcl(acl);
    const request = { path: this.serverPath(path), data: toData(data), acl, flags: resolved.flags };
    const write =
      resolved.opCode === OpCode.createTTL
        ? (w: JuteWriter) => R.CreateTTLRequest.write(w, { ...request, ttl: resolved.ttl })
        : (w: JuteWriter) => R.CreateRequest.write(w, request);
    const read = (r: JuteReader): { path: string; stat?: Stat } =>
      resolved.opCode === OpCode.create ? { path: R.CreateResponse.read(r).path ?? '' } : normalizeCreate2(R.Create2Response.read(r));
    const result = await this.call(resolved.opCode, path, write, read);
    return { path: stripChroot(this.chroot, result.path), stat: result.stat };
  }

  /** Deletes a node if its version matches (-1: any version). */
  async delete(path: string, version = -1): Promise<void> {
    validatePath(path);
    // As in the Java client, "/" is never chrooted: deleting the root must always fail.
    const serverPath = path === '/' ? path : this.serverPath(path);
    await this.call(OpCode.delete, path, (w) => R.DeleteRequest.write(w, { path: serverPath, version }), () => undefined);
  }

  /** The node's stat, or null if it does not exist. A watch is set either way. */
  async exists(path: string, watch?: WatchOption): Promise<Stat | null> {
    validatePath(path);
    const plan = this.watchPlan(watch, path, 'data', 'exist');
    const write = (w: JuteWriter) => R.ExistsRequest.write(w, { path: this.serverPath(path), watch: plan !== undefined });
    try {
      return await this.call(OpCode.exists, path, write, (r) => R.ExistsResponse.read(r).stat, plan);
    } catch (err) {
      if (err instanceof KeeperError && err.code === ErrorCode.NONODE) return null;
      throw err;
    }
  }

  /** The node's data (null for a null buffer) and stat. */
  async getData(path: string, watch?: WatchOption): Promise<DataResult> {
    validatePath(path);
    const plan = this.watchPlan(watch, path, 'data');
    const write = (w: JuteWriter) => R.GetDataRequest.write(w, { path: this.serverPath(path), watch: plan !== undefined });
    return this.call(OpCode.getData, path, write, readDataResult, plan);
  }

  /** Replaces the node's data if its version matches (-1: any) and resolves with the new stat. */
  async setData(path: string, data: DataInput, version = -1): Promise<Stat> {
    validatePath(path);
    const write = (w: JuteWriter) => R.SetDataRequest.write(w, { path: this.serverPath(path), data: toData(data), version });
    return this.call(OpCode.setData, path, write, (r) => R.SetDataResponse.read(r).stat);
  }

  /** The node's ACL and stat. */
  async getACL(path: string): Promise<AclResult> {
    validatePath(path);
    const write = (w: JuteWriter) => R.GetACLRequest.write(w, { path: this.serverPath(path) });
    return this.call(OpCode.getACL, path, write, (r) => {
      const response = R.GetACLResponse.read(r);
      return { acl: response.acl ?? [], stat: response.stat };
    });
  }

  /** Replaces the node's ACL if its aversion matches (-1: any) and resolves with the new stat. */
  async setACL(path: string, acl: readonly Acl[], version = -1): Promise<Stat> {
    validatePath(path);
    validateAcl(acl);
    const write = (w: JuteWriter) => R.SetACLRequest.write(w, { path: this.serverPath(path), acl: [...acl], version });
    return this.call(OpCode.setACL, path, write, (r) => R.SetACLResponse.read(r).stat);
  }

  /** The node's children's names, unsorted (as the server sends them). */
  async getChildren(path: string, watch?: WatchOption): Promise<string[]> {
    validatePath(path);
    const plan = this.watchPlan(watch, path, 'child');
    const write = (w: JuteWriter) => R.GetChildrenRequest.write(w, { path: this.serverPath(path), watch: plan !== undefined });
    return this.call(OpCode.getChildren, path, write, (r) => R.GetChildrenResponse.read(r).children ?? [], plan);
  }

  /** The node's children's names and its stat. */
  async getChildren2(path: string, watch?: WatchOption): Promise<ChildrenResult> {
    validatePath(path);
    const plan = this.watchPlan(watch, path, 'child');
    const write = (w: JuteWriter) => R.GetChildren2Request.write(w, { path: this.serverPath(path), watch: plan !== undefined });
    return this.call(OpCode.getChildren2, path, write, (r) => {
      const response = R.GetChildren2Response.read(r);
      return { children: response.children ?? [], stat: response.stat };
    }, plan);
  }

  /** Waits until the connected server has caught up with the leader. */
  async sync(path: string): Promise<void> {
    validatePath(path);
    await this.call(OpCode.sync, path, (w) => R.SyncRequest.write(w, { path: this.serverPath(path) }), (r) => R.SyncResponse.read(r));
  }

  /**
   * Runs `ops` atomically (multi, op 14) or, when all are reads, as multiRead (op 22), and
   * resolves with one result per op exactly as the server sent them: a failed write multi
   * resolves too, with `{ type: 'error', err }` results. Rejects only for a header error.
   */
  async multi(ops: readonly Op[]): Promise<OpResult[]> {
    const { opCode, encoded } = encodeOps(ops, this.chroot);
    return this.sendMulti(opCode, encoded);
  }

  /** Runs read ops (getData, getChildren) with multiRead (op 22); each succeeds or fails alone. */
  async multiRead(ops: readonly Op[]): Promise<OpResult[]> {
    const { encoded } = encodeOps(ops, this.chroot);
    return this.sendMulti(OpCode.multiRead, encoded);
  }

  private async sendMulti(opCode: number, encoded: Parameters<typeof writeMulti>[1]): Promise<OpResult[]> {
    const results = await this.call(opCode, undefined, (w) => writeMulti(w, encoded), (r) => readMultiResponse(r, encoded.length));
    return unchrootResults(results, this.chroot);
  }

  /**
   * Adds a persistent (recursive) watch; `listener` (default: the client's default watcher)
   * gets every event until the watch is removed.
   */
  async addWatch(path: string, mode: AddWatchModeName | number, listener?: Watcher): Promise<void> {
    validatePath(path);
    listener ??= this.defaultWatcher ?? NO_OP_WATCHER;
    const modeValue = typeof mode === 'number' ? mode : AddWatchMode[mode];
    const kind: WatchKind = modeValue === AddWatchMode.PERSISTENT_RECURSIVE ? 'persistentRecursive' : 'persistent';
    const write = (w: JuteWriter) => R.AddWatchRequest.write(w, { path: this.serverPath(path), mode: modeValue });
    // The reply carries an ErrorResponse body (4 bytes) even on success.
    const read = (r: JuteReader) => (r.remaining >= 4 ? R.ErrorResponse.read(r) : undefined);
    await this.call(OpCode.addWatch, path, write, read, { listener, path, onOk: kind });
  }

  /**
   * Removes every watch of `type` on `path`, on the server (removeWatches, op 18) and here;
   * each removed listener gets a DataWatchRemoved/ChildWatchRemoved/PersistentWatchRemoved
   * event. With `local`, the client's watches go even when the server cannot be reached.
   */
  async removeWatches(path: string, type: WatcherTypeName | number, options: { local?: boolean } = {}): Promise<void> {
    return this.removeWatchesVia(OpCode.removeWatches, path, type, undefined, options.local ?? false);
  }

  /**
   * Removes one listener's watch of `type` on `path`: asks the server with checkWatches
   * (op 17), which leaves the server's watch for other listeners, then removes it here.
   */
  async removeWatcher(
    path: string,
    listener: Watcher,
    type: WatcherTypeName | number,
    options: { local?: boolean } = {},
  ): Promise<void> {
    return this.removeWatchesVia(OpCode.checkWatches, path, type, listener, options.local ?? false);
  }

  private async removeWatchesVia(opCode: number, path: string, type: WatcherTypeName | number, listener: Watcher | undefined, local: boolean) {
    validatePath(path);
    const typeValue = typeof type === 'number' ? type : WatcherType[type];
    const serverPath = this.serverPath(path);
    const record = opCode === OpCode.checkWatches ? R.CheckWatchesRequest : R.RemoveWatchesRequest;
    let code: number;
    try {
      const reply = await this.request(opCode, (w) => record.write(w, { path: serverPath, type: typeValue }));
      code = reply.header.err;
    } catch (err) {
      if (!(err instanceof KeeperError)) throw err;
      code = err.code;
    }
    removeWatchesLocally(this.core.watches, { path, type: typeValue, listener, local, code });
  }

  /** Asks the server whether this session has a watch of `type` on `path` (checkWatches, op 17). */
  async checkWatches(path: string, type: WatcherTypeName | number): Promise<void> {
    validatePath(path);
    const typeValue = typeof type === 'number' ? type : WatcherType[type];
    const write = (w: JuteWriter) => R.CheckWatchesRequest.write(w, { path: this.serverPath(path), type: typeValue });
    await this.call(OpCode.checkWatches, path, write, () => undefined);
  }

  /** This session's ephemeral nodes under `prefix` (default `/`), as client paths. */
  async getEphemerals(prefix = '/'): Promise<string[]> {
    validatePath(prefix);
    const write = (w: JuteWriter) => R.GetEphemeralsRequest.write(w, { prefixPath: this.serverPath(prefix) });
    const paths = await this.call(OpCode.getEphemerals, undefined, write, (r) => R.GetEphemeralsResponse.read(r).ephemerals ?? []);
    return paths.map((p) => stripChroot(this.chroot, p));
  }

  /** The number of descendants of `path` (not counting `path`). */
  async getAllChildrenNumber(path: string): Promise<number> {
    validatePath(path);
    const write = (w: JuteWriter) => R.GetAllChildrenNumberRequest.write(w, { path: this.serverPath(path) });
    return this.call(OpCode.getAllChildrenNumber, path, write, (r) => R.GetAllChildrenNumberResponse.read(r).totalNumber);
  }

  /** The identities the server has attached to this connection. */
  async whoAmI(): Promise<ClientInfo[]> {
    return this.call(OpCode.whoAmI, undefined, null, (r) =>
      (R.WhoAmIResponse.read(r).clientInfo ?? []).map((info) => ({ authScheme: info.authScheme ?? '', user: info.user ?? '' })),
    );
  }

  /**
   * Adds credentials (e.g. `digest`, `user:password`); resolves when the server accepts them.
   * A null `auth` is sent as a null buffer, as the Java client does.
   */
  addAuth(scheme: string, auth: Buffer | string | null): Promise<void> {
    return this.core.addAuth(scheme, typeof auth === 'string' ? Buffer.from(auth, 'utf8') : auth);
  }

  /** The ensemble configuration (/zookeeper/config, never chrooted) and its stat. */
  async getConfig(watch?: WatchOption): Promise<DataResult> {
    const plan = this.watchPlan(watch, CONFIG_NODE, 'data');
    const write = (w: JuteWriter) => R.GetDataRequest.write(w, { path: CONFIG_NODE, watch: plan !== undefined });
    return this.call(OpCode.getData, CONFIG_NODE, write, readDataResult, plan);
  }
}

function readDataResult(r: JuteReader): DataResult {
  const response = R.GetDataResponse.read(r);
  return { data: response.data === null ? null : Buffer.from(response.data), stat: response.stat };
}

function normalizeCreate2(response: { path: string | null; stat: Stat }): { path: string; stat: Stat } {
  return { path: response.path ?? '', stat: response.stat };
}

/**
 * Creates a client over `env` (sockets, timers, randomness); call `connect()` to start it.
 * Node programs use `createClient` from `tszk/client` (src/main/client.ts), which passes Node's.
 */
export function createClient(connectString: string, options: ClientOptions | undefined, env: ClientEnvironment): ZooKeeperClient {
  return new ZooKeeperClient(connectString, options, env);
}
