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
import { abortError, onAbort, raceAbort, type RequestOptions } from './abort.js';
import { ClientBase, NO_OP_WATCHER, type AddWatchModeName, type WatcherTypeName } from './client-base.js';
import { resolveCreate, validateAcl } from './create-mode.js';
import type { ClientEnvironment } from './environment.js';
import { readMultiResponse, writeMulti, type OpResult } from './multi.js';
import { encodeOps, toData, unchrootResults, type Op } from './multi-ops.js';
import { stripChroot, validatePath } from './paths.js';
import { removeWatchesLocally } from './remove-watches.js';
import {
  isAlive,
  type AclResult,
  type ChildrenResult,
  type ClientInfo,
  type ClientOptions,
  type CreateOptions,
  type DataInput,
  type DataResult,
  type StateEventName,
  type WatchedEvent,
  type WatchOption,
  type Watcher,
} from './types.js';
import { stateStream, WatchStream, type StateStreamOptions, type WatchStreamHost, type WatchStreamOptions } from './watch-stream.js';
import type { WatchKind } from './watch-registry.js';

export type { RawReply, AddWatchModeName, WatcherTypeName } from './client-base.js';

/** The read whose one-shot watch `nextEvent` waits on. */
/** A server list for `reconfig`: comma-separated, or one entry per array element. */
export type ServerList = string | readonly string[];

/**
 * The change `reconfig` asks for (ZooKeeperAdmin.reconfigure). Either incremental (`joining`
 * and/or `leaving`) or non-incremental (`newMembers`, the whole new membership).
 */
export interface ReconfigSpec {
  /** Servers to add or update: `server.N=host:quorumPort:electionPort[:role];[clientHost:]clientPort`. */
  readonly joining?: ServerList | null;
  /** Server ids to remove. */
  readonly leaving?: ServerList | number | readonly number[] | null;
  /** The complete new membership, same syntax as `joining`. */
  readonly newMembers?: ServerList | null;
  /** The config version (zxid of /zookeeper/config's `version=`) the change must apply to; -1 (default): any. */
  readonly fromConfig?: bigint | number;
}

/** What `reconfig` resolves with: the new config (/zookeeper/config's text) and that node's stat. */
export interface ReconfigResult {
  readonly data: Buffer;
  readonly stat: Stat;
}

/** A ServerList as the wire carries it (StringUtils.joinStrings(list, ",")): null when absent. */
function joinServers(list: ServerList | number | readonly number[] | null | undefined): string | null {
  if (list === null || list === undefined) return null;
  if (typeof list === 'string') return list;
  if (typeof list === 'number') return String(list);
  return list.map(String).join(',');
}

/** The read whose one-shot watch `nextEvent` waits on. */
export type OneShotWatchKind = 'data' | 'child' | 'exists';

const isConnectedState = (state: string) => state === 'CONNECTED' || state === 'CONNECTEDREADONLY';

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
    const result = await this.call(resolved.opCode, path, write, read, undefined, { signal: options.signal });
    return { path: stripChroot(this.chroot, result.path), stat: result.stat };
  }

  /** Deletes a node if its version matches (-1: any version). */
  async delete(path: string, version = -1, options: RequestOptions = {}): Promise<void> {
    validatePath(path);
    // As in the Java client, "/" is never chrooted: deleting the root must always fail.
    const serverPath = path === '/' ? path : this.serverPath(path);
    const write = (w: JuteWriter) => R.DeleteRequest.write(w, { path: serverPath, version });
    await this.call(OpCode.delete, path, write, () => undefined, undefined, options);
  }

  /** The node's stat, or null if it does not exist. A watch is set either way. */
  async exists(path: string, watch?: WatchOption, options: RequestOptions = {}): Promise<Stat | null> {
    validatePath(path);
    const plan = this.watchPlan(watch, path, 'data', 'exist');
    const write = (w: JuteWriter) => R.ExistsRequest.write(w, { path: this.serverPath(path), watch: plan !== undefined });
    const signal = this.signalOf(watch, options);
    try {
      return await this.call(OpCode.exists, path, write, (r) => R.ExistsResponse.read(r).stat, plan, { signal });
    } catch (err) {
      if (err instanceof KeeperError && err.code === ErrorCode.NONODE) return null;
      throw err;
    }
  }

  /** The node's data (null for a null buffer) and stat. */
  async getData(path: string, watch?: WatchOption, options: RequestOptions = {}): Promise<DataResult> {
    validatePath(path);
    const plan = this.watchPlan(watch, path, 'data');
    const write = (w: JuteWriter) => R.GetDataRequest.write(w, { path: this.serverPath(path), watch: plan !== undefined });
    return this.call(OpCode.getData, path, write, readDataResult, plan, { signal: this.signalOf(watch, options) });
  }

  /** Replaces the node's data if its version matches (-1: any) and resolves with the new stat. */
  async setData(path: string, data: DataInput, version = -1, options: RequestOptions = {}): Promise<Stat> {
    validatePath(path);
    const write = (w: JuteWriter) => R.SetDataRequest.write(w, { path: this.serverPath(path), data: toData(data), version });
    return this.call(OpCode.setData, path, write, (r) => R.SetDataResponse.read(r).stat, undefined, options);
  }

  /** The node's ACL and stat. */
  async getACL(path: string, options: RequestOptions = {}): Promise<AclResult> {
    validatePath(path);
    const write = (w: JuteWriter) => R.GetACLRequest.write(w, { path: this.serverPath(path) });
    const read = (r: JuteReader) => {
      const response = R.GetACLResponse.read(r);
      return { acl: response.acl ?? [], stat: response.stat };
    };
    return this.call(OpCode.getACL, path, write, read, undefined, options);
  }

  /** Replaces the node's ACL if its aversion matches (-1: any) and resolves with the new stat. */
  async setACL(path: string, acl: readonly Acl[], version = -1, options: RequestOptions = {}): Promise<Stat> {
    validatePath(path);
    validateAcl(acl);
    const write = (w: JuteWriter) => R.SetACLRequest.write(w, { path: this.serverPath(path), acl: [...acl], version });
    return this.call(OpCode.setACL, path, write, (r) => R.SetACLResponse.read(r).stat, undefined, options);
  }

  /** The node's children's names, unsorted (as the server sends them). */
  async getChildren(path: string, watch?: WatchOption, options: RequestOptions = {}): Promise<string[]> {
    validatePath(path);
    const plan = this.watchPlan(watch, path, 'child');
    const write = (w: JuteWriter) => R.GetChildrenRequest.write(w, { path: this.serverPath(path), watch: plan !== undefined });
    const read = (r: JuteReader) => R.GetChildrenResponse.read(r).children ?? [];
    return this.call(OpCode.getChildren, path, write, read, plan, { signal: this.signalOf(watch, options) });
  }

  /** The node's children's names and its stat. */
  async getChildren2(path: string, watch?: WatchOption, options: RequestOptions = {}): Promise<ChildrenResult> {
    validatePath(path);
    const plan = this.watchPlan(watch, path, 'child');
    const write = (w: JuteWriter) => R.GetChildren2Request.write(w, { path: this.serverPath(path), watch: plan !== undefined });
    const read = (r: JuteReader) => {
      const response = R.GetChildren2Response.read(r);
      return { children: response.children ?? [], stat: response.stat };
    };
    return this.call(OpCode.getChildren2, path, write, read, plan, { signal: this.signalOf(watch, options) });
  }

  /** Waits until the connected server has caught up with the leader. */
  async sync(path: string, options: RequestOptions = {}): Promise<void> {
    validatePath(path);
    const write = (w: JuteWriter) => R.SyncRequest.write(w, { path: this.serverPath(path) });
    await this.call(OpCode.sync, path, write, (r) => R.SyncResponse.read(r), undefined, options);
  }

  /**
   * Runs `ops` atomically (multi, op 14) or, when all are reads, as multiRead (op 22), and
   * resolves with one result per op exactly as the server sent them: a failed write multi
   * resolves too, with `{ type: 'error', err }` results. Rejects only for a header error.
   */
  async multi(ops: readonly Op[], options: RequestOptions = {}): Promise<OpResult[]> {
    const { opCode, encoded } = encodeOps(ops, this.chroot);
    return this.sendMulti(opCode, encoded, options);
  }

  /** Runs read ops (getData, getChildren) with multiRead (op 22); each succeeds or fails alone. */
  async multiRead(ops: readonly Op[], options: RequestOptions = {}): Promise<OpResult[]> {
    const { encoded } = encodeOps(ops, this.chroot);
    return this.sendMulti(OpCode.multiRead, encoded, options);
  }

  private async sendMulti(opCode: number, encoded: Parameters<typeof writeMulti>[1], options: RequestOptions): Promise<OpResult[]> {
    const write = (w: JuteWriter) => writeMulti(w, encoded);
    const results = await this.call(opCode, undefined, write, (r) => readMultiResponse(r, encoded.length), undefined, options);
    return unchrootResults(results, this.chroot);
  }

  /**
   * Adds a persistent (recursive) watch; `listener` (default: the client's default watcher)
   * gets every event until the watch is removed. `watch()` is the async-iterator form.
   */
  async addWatch(path: string, mode: AddWatchModeName | number, listener?: Watcher, options: RequestOptions = {}): Promise<void> {
    validatePath(path);
    listener ??= this.defaultWatcher ?? NO_OP_WATCHER;
    const modeValue = typeof mode === 'number' ? mode : AddWatchMode[mode];
    const kind: WatchKind = modeValue === AddWatchMode.PERSISTENT_RECURSIVE ? 'persistentRecursive' : 'persistent';
    const write = (w: JuteWriter) => R.AddWatchRequest.write(w, { path: this.serverPath(path), mode: modeValue });
    // The reply carries an ErrorResponse body (4 bytes) even on success.
    const read = (r: JuteReader) => (r.remaining >= 4 ? R.ErrorResponse.read(r) : undefined);
    await this.call(OpCode.addWatch, path, write, read, { listener, path, onOk: kind }, options);
  }

  /**
   * Removes every watch of `type` on `path`, on the server (removeWatches, op 18) and here;
   * each removed listener gets a DataWatchRemoved/ChildWatchRemoved/PersistentWatchRemoved
   * event. With `local`, the client's watches go even when the server cannot be reached.
   */
  async removeWatches(path: string, type: WatcherTypeName | number, options: { local?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    return this.removeWatchesVia(OpCode.removeWatches, path, type, undefined, options.local ?? false, options.signal);
  }

  /**
   * Removes one listener's watch of `type` on `path`: asks the server with checkWatches
   * (op 17), which leaves the server's watch for other listeners, then removes it here.
   */
  async removeWatcher(
    path: string,
    listener: Watcher,
    type: WatcherTypeName | number,
    options: { local?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    return this.removeWatchesVia(OpCode.checkWatches, path, type, listener, options.local ?? false, options.signal);
  }

  /** An aborted removal rejects with an AbortError and leaves the client's watches as they were. */
  private async removeWatchesVia(
    opCode: number,
    path: string,
    type: WatcherTypeName | number,
    listener: Watcher | undefined,
    local: boolean,
    signal: AbortSignal | undefined,
  ) {
    validatePath(path);
    const typeValue = typeof type === 'number' ? type : WatcherType[type];
    const serverPath = this.serverPath(path);
    const record = opCode === OpCode.checkWatches ? R.CheckWatchesRequest : R.RemoveWatchesRequest;
    let code: number;
    try {
      const reply = await this.request(opCode, (w) => record.write(w, { path: serverPath, type: typeValue }), null, { signal });
      code = reply.header.err;
    } catch (err) {
      if (!(err instanceof KeeperError)) throw err;
      code = err.code;
    }
    removeWatchesLocally(this.core.watches, { path, type: typeValue, listener, local, code });
  }

  /** Asks the server whether this session has a watch of `type` on `path` (checkWatches, op 17). */
  async checkWatches(path: string, type: WatcherTypeName | number, options: RequestOptions = {}): Promise<void> {
    validatePath(path);
    const typeValue = typeof type === 'number' ? type : WatcherType[type];
    const write = (w: JuteWriter) => R.CheckWatchesRequest.write(w, { path: this.serverPath(path), type: typeValue });
    await this.call(OpCode.checkWatches, path, write, () => undefined, undefined, options);
  }

  /** This session's ephemeral nodes under `prefix` (default `/`), as client paths. */
  async getEphemerals(prefix = '/', options: RequestOptions = {}): Promise<string[]> {
    validatePath(prefix);
    const write = (w: JuteWriter) => R.GetEphemeralsRequest.write(w, { prefixPath: this.serverPath(prefix) });
    const read = (r: JuteReader) => R.GetEphemeralsResponse.read(r).ephemerals ?? [];
    const paths = await this.call(OpCode.getEphemerals, undefined, write, read, undefined, options);
    return paths.map((p) => stripChroot(this.chroot, p));
  }

  /** The number of descendants of `path` (not counting `path`). */
  async getAllChildrenNumber(path: string, options: RequestOptions = {}): Promise<number> {
    validatePath(path);
    const write = (w: JuteWriter) => R.GetAllChildrenNumberRequest.write(w, { path: this.serverPath(path) });
    const read = (r: JuteReader) => R.GetAllChildrenNumberResponse.read(r).totalNumber;
    return this.call(OpCode.getAllChildrenNumber, path, write, read, undefined, options);
  }

  /** The identities the server has attached to this connection. */
  async whoAmI(options: RequestOptions = {}): Promise<ClientInfo[]> {
    const read = (r: JuteReader) =>
      (R.WhoAmIResponse.read(r).clientInfo ?? []).map((info) => ({ authScheme: info.authScheme ?? '', user: info.user }));
    return this.call(OpCode.whoAmI, undefined, null, read, undefined, options);
  }

  /**
   * Adds credentials (e.g. `digest`, `user:password`); resolves when the server accepts them.
   * A null `auth` is sent as a null buffer, as the Java client does. Aborting only stops the
   * wait: the credentials stay registered and are sent (again after every reconnect).
   */
  addAuth(scheme: string, auth: Buffer | string | null, options: RequestOptions = {}): Promise<void> {
    if (options.signal?.aborted === true) return Promise.reject(abortError(options.signal.reason));
    return raceAbort(this.core.addAuth(scheme, typeof auth === 'string' ? Buffer.from(auth, 'utf8') : auth), options.signal);
  }

  /**
   * A persistent watch on `path` read with `for await` (see WatchStream for how it ends):
   *
   *     for await (const event of zk.watch('/app', { mode: 'PERSISTENT_RECURSIVE' })) { ... }
   *
   * The addWatch request goes out at once; `await stream.ready` to know the watch is armed
   * before making changes. Leaving the loop removes the watch, on the server too.
   */
  watch(path: string, options: WatchStreamOptions = {}): WatchStream {
    validatePath(path);
    return new WatchStream(this.streamHost(), path, options);
  }

  /** The session's state changes, read with `for await`; ends after 'expired', 'closed' or 'authFailed'. */
  stateChanges(options: StateStreamOptions = {}): AsyncIterableIterator<StateEventName> {
    return stateStream(this, isAlive(this.state), options);
  }

  /**
   * Sets a one-shot watch with the read `kind` names (`data`: getData, which fails with NONODE
   * on a missing node; `child`: getChildren; `exists`: exists, which also watches a missing
   * node for its creation) and resolves with the event that fires it. Rejects with the read's
   * error, SESSIONEXPIRED/AUTHFAILED if the session ends first (SESSIONEXPIRED after close()),
   * or an AbortError. Disconnections do not end the wait: the watch is re-armed.
   */
  async nextEvent(path: string, kind: OneShotWatchKind, options: RequestOptions = {}): Promise<WatchedEvent> {
    validatePath(path);
    const watcherType = kind === 'child' ? WatcherType.Children : WatcherType.Data;
    return new Promise<WatchedEvent>((resolve, reject) => {
      const stops: (() => void)[] = [];
      const finish = (outcome: () => void) => {
        for (const stop of stops.splice(0)) stop();
        outcome();
      };
      const listener: Watcher = (event) => finish(() => resolve(event));
      stops.push(
        this.on('expired', () => finish(() => reject(new KeeperError(ErrorCode.SESSIONEXPIRED, path)))),
        this.on('closed', () => finish(() => reject(new KeeperError(ErrorCode.SESSIONEXPIRED, path)))),
        this.on('authFailed', () => finish(() => reject(new KeeperError(ErrorCode.AUTHFAILED, path)))),
        onAbort(options.signal, () => {
          this.core.watches.remove(path, watcherType, listener);
          finish(() => reject(abortError(options.signal?.reason)));
        }),
      );
      const read =
        kind === 'data'
          ? this.getData(path, listener, options)
          : kind === 'child'
            ? this.getChildren(path, listener, options)
            : this.exists(path, listener, options);
      read.catch((err: unknown) => finish(() => reject(err)));
    });
  }

  private streamHost(): WatchStreamHost {
    const client = this;
    return {
      addWatch: (path, mode, listener, options) => this.addWatch(path, mode, listener, options),
      dropWatch: (path, watcherType, listener) => this.dropWatch(path, watcherType, listener),
      on: (name, listener) => this.on(name, listener),
      get readOnly() {
        return client.state === 'CONNECTEDREADONLY';
      },
    };
  }

  /**
   * Removes one listener's watch here, silently, and the session's watch on the server when no
   * other watch of this client is on `path` or on its way there (a watch-setting read still in
   * flight would otherwise lose its server watch to removeWatches(Any) and never fire).
   * Otherwise the server's watch stays until the next reconnect, its events going nowhere.
   */
  private async dropWatch(path: string, watcherType: number, listener: Watcher): Promise<void> {
    this.core.watches.remove(path, watcherType, listener);
    if (this.core.watches.has(path, WatcherType.Any) || this.watchRequestsInFlight(path) > 0) return;
    if (!isConnectedState(this.state)) return;
    const write = (w: JuteWriter) => R.RemoveWatchesRequest.write(w, { path: this.serverPath(path), type: WatcherType.Any });
    await this.request(OpCode.removeWatches, write).catch(() => {});
  }

  /**
   * Changes the ensemble's membership (reconfig, op 16; ZooKeeperAdmin.reconfigure) and
   * resolves with the new configuration and the stat of /zookeeper/config. Needs a server with
   * reconfigEnabled=true and WRITE on /zookeeper/config (in practice: the super user).
   * Rejects with KeeperError: RECONFIGDISABLED, NEWCONFIGNOQUORUM (the new config has no
   * connected, synced quorum), RECONFIGINPROGRESS, BADVERSION (`fromConfig` is not the current
   * version), NOAUTH, BADARGUMENTS (malformed server strings, too few voters), UNIMPLEMENTED
   * (standalone server). As in Java, the error carries an empty path.
   */
  async reconfig(spec: ReconfigSpec, options: RequestOptions = {}): Promise<ReconfigResult> {
    const request = {
      joiningServers: joinServers(spec.joining),
      leavingServers: joinServers(spec.leaving),
      newMembers: joinServers(spec.newMembers),
      curConfigId: BigInt(spec.fromConfig ?? -1),
    };
    const write = (w: JuteWriter) => R.ReconfigRequest.write(w, request);
    const read = (r: JuteReader): ReconfigResult => {
      const result = readDataResult(r);
      return { data: result.data ?? Buffer.alloc(0), stat: result.stat };
    };
    return this.call(OpCode.reconfig, '', write, read, undefined, options);
  }

  /** The ensemble configuration (/zookeeper/config, never chrooted) and its stat. */
  async getConfig(watch?: WatchOption, options: RequestOptions = {}): Promise<DataResult> {
    const plan = this.watchPlan(watch, CONFIG_NODE, 'data');
    const write = (w: JuteWriter) => R.GetDataRequest.write(w, { path: CONFIG_NODE, watch: plan !== undefined });
    return this.call(OpCode.getData, CONFIG_NODE, write, readDataResult, plan, { signal: this.signalOf(watch, options) });
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
