/**
 * The DataTree: every znode, applied txn by txn. Pure: `apply` returns the result and the watch
 * triggers it caused, and never does IO. Same txns in the same order give the same tree.
 */
import { assert } from '../util/assert.js';
import type { Acl, Stat } from '../proto/data.js';
import { EventType, EphemeralOwner, ephemeralKindOf, ttlEphemeralOwner, CONFIG_NODE, QUOTA_NODE, ZOOKEEPER_NODE } from '../proto/defs.js';
import { ErrorCode } from '../proto/error-code.js';
import { OpCode } from '../proto/op-code.js';
import type { TxnHeaderValue } from '../proto/records.js';
import type { SubTxnBody, TxnBody } from '../proto/txn.js';
import { AclCache, type AclEntry } from './acl-cache.js';
import { nameOf, parentOf } from './path.js';
import { Znode, storeData, type StoredData } from './znode.js';
import { DIGEST_VERSION, DigestLog, TreeDigest, contentCrc, isDigestExcluded, nodeDigest, type ZxidDigest } from './digest.js';
import { LIMIT_NODE, QuotaPaths, STAT_NODE, StatsTrack, limitPath, quotaTarget, statPath } from './quota.js';

/**
 * A watch event the tree caused: which path, which event type, and the ACL a watcher needs READ
 * on to be told (the node's, or the parent's for NodeChildrenChanged), as ZooKeeper 3.8.4+ checks
 * since CVE-2024-23944.
 */
export interface WatchTrigger {
  readonly path: string;
  readonly type: (typeof EventType)['NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged'];
  readonly acl: readonly Acl[];
}

/** What applying one txn (or one op of a multi) produced. */
export interface ApplyResult {
  /** The header type, or -1 for an error (sub)txn. */
  type: number;
  err: number;
  path?: string;
  stat?: Stat;
  /** One result per op for a multi. */
  multi?: ApplyResult[];
}

const OPEN_ACL: readonly Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const READ_ACL: readonly Acl[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
const EMPTY = Buffer.alloc(0);

class TxnFailure {
  constructor(readonly code: number) {}
}

export class DataTree {
  // Not readonly: `replaceWith` moves a whole other tree in (the admin `restore` command).
  private aclCacheValue = new AclCache();
  private nodes = new Map<string, Znode>();
  private ephemerals = new Map<bigint, Set<string>>();
  private containers = new Set<string>();
  private ttls = new Set<string>();
  /** Approximate bytes of paths and data, as ZooKeeper's approximate_data_size. */
  private dataSize = 0;
  lastProcessedZxid = 0n;
  /** The snapshot being written, if any: pre-images of the nodes changed since it began. */
  private walk: SnapshotWalk | null = null;
  /** The `seq` of the node inserted last. */
  private lastSeq = 0;
  /** The last txn time seen (shareTime). */
  private lastTime = 0n;
  private triggers: WatchTrigger[] = [];
  /** Paths under a quota; their zookeeper_stats nodes are kept current. */
  private quotas = new QuotaPaths();
  /** The sum of every node's digest (tree/digest.ts), updated as nodes change. */
  private digest = new TreeDigest();
  /** Digests after txns whose zxid is a multiple of 128, for `hash`. */
  private digestLog = new DigestLog();
  /** The zxid of the last txn applied since this tree was created or loaded (0: none). */
  private lastDigestZxid = 0n;

  constructor(configData: Buffer = EMPTY) {
    const open = this.aclCache.acquire(OPEN_ACL);
    const root = new Znode('', open, 0n, 0n, 0n, 0n, 0, 0, 0, 0n, 0n);
    this.insert('/', root);
    this.digestIn('/', root, true);
    this.addSystemNode(ZOOKEEPER_NODE, EMPTY, OPEN_ACL);
    this.addSystemNode(QUOTA_NODE, EMPTY, OPEN_ACL);
    this.addSystemNode(CONFIG_NODE, configData, READ_ACL);
  }

  private addSystemNode(path: string, data: Buffer, acl: readonly Acl[]): void {
    // ZooKeeper sets /zookeeper/config's ACL with version -1, leaving its aversion at -1.
    const aversion = path === CONFIG_NODE ? -1 : 0;
    const node = new Znode(storeData(data), this.aclCache.acquire(acl), 0n, 0n, 0n, 0n, 0, 0, aversion, 0n, 0n);
    this.insert(path, node);
    this.nodes.get(parentOf(path))!.addChild(path);
    this.digestIn(path, node, true);
  }

  /** The ACL cache the nodes' entries come from. */
  get aclCache(): AclCache {
    return this.aclCacheValue;
  }

  /** Paths a client may never delete or create over. */
  static isSpecialPath(path: string): boolean {
    return path === '/' || path === ZOOKEEPER_NODE || path === QUOTA_NODE || path === CONFIG_NODE;
  }

  // ---- reads ----

  getNode(path: string): Znode | undefined {
    return this.nodes.get(path);
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  get approximateDataSize(): number {
    return this.dataSize;
  }

  /** The session's ephemeral paths (empty if none). */
  ephemeralsOf(sessionId: bigint): ReadonlySet<string> {
    return this.ephemerals.get(sessionId) ?? new Set();
  }

  /** Sessions owning ephemerals, with their counts (for `dump` and `mntr`). */
  ephemeralOwners(): ReadonlyMap<bigint, ReadonlySet<string>> {
    return this.ephemerals;
  }

  get ephemeralCount(): number {
    let count = 0;
    for (const paths of this.ephemerals.values()) count += paths.size;
    return count;
  }

  containerPaths(): ReadonlySet<string> {
    return this.containers;
  }

  ttlPaths(): ReadonlySet<string> {
    return this.ttls;
  }

  /** Every descendant of `path` (getAllChildrenNumber). */
  countDescendants(path: string): number {
    const start = this.nodes.get(path);
    if (start === undefined) return 0;
    let count = 0;
    const stack: string[] = [path];
    while (stack.length > 0) {
      const current = stack.pop()!;
      const node = this.nodes.get(current);
      if (node === undefined) continue;
      for (const child of node.childPaths()) {
        count++;
        stack.push(child);
      }
    }
    return count;
  }

  // ---- writes ----

  /**
   * Applies one committed txn. Errors inside are results (as in ZooKeeper, which also logs
   * them), never exceptions. Returns the result and the watch triggers, in firing order.
   */
  apply(header: TxnHeaderValue, body: TxnBody): { result: ApplyResult; triggers: WatchTrigger[] } {
    this.triggers = [];
    const result = this.applyBody(header, body);
    if (header.zxid > this.lastProcessedZxid) this.lastProcessedZxid = header.zxid;
    this.lastDigestZxid = header.zxid;
    this.digestLog.onTxnApplied(header.zxid, this.digest);
    const triggers = this.triggers;
    this.triggers = [];
    return { result, triggers };
  }

  private applyBody(header: TxnHeaderValue, body: TxnBody): ApplyResult {
    if (body.type === OpCode.multi) return this.applyMulti(header, body.txns);
    if (header.type === OpCode.create && body.type === OpCode.create) {
      const result = this.applySub(header, body);
      if (result.err === ErrorCode.NODEEXISTS) this.fixFuzzyCreate(body.path, body.parentCVersion, header.zxid);
      return result;
    }
    if (body.type === OpCode.setACL) return this.guard(body.type, body.path, () => this.setAcl(body.path, body.acl, body.version));
    if (body.type === OpCode.createSession) return { type: body.type, err: 0 };
    if (body.type === OpCode.closeSession) {
      this.killSession(header.clientId, header.zxid, body.paths2Delete);
      return { type: body.type, err: 0 };
    }
    return this.applySub(header, body);
  }

  private applySub(header: TxnHeaderValue, body: SubTxnBody): ApplyResult {
    switch (body.type) {
      case OpCode.create:
      case OpCode.create2:
        return this.guard(body.type, body.path, () =>
          this.createNode(body.path, body.data, body.acl, body.ephemeral ? header.clientId : 0n, body.parentCVersion, header.zxid, header.time));
      case OpCode.createTTL:
        return this.guard(body.type, body.path, () =>
          this.createNode(body.path, body.data, body.acl, ttlEphemeralOwner(body.ttl), body.parentCVersion, header.zxid, header.time));
      case OpCode.createContainer:
        return this.guard(body.type, body.path, () =>
          this.createNode(body.path, body.data, body.acl, EphemeralOwner.container, body.parentCVersion, header.zxid, header.time));
      case OpCode.delete:
      case OpCode.deleteContainer:
        return this.guard(body.type, body.path, () => {
          this.deleteNode(body.path, header.zxid);
          return undefined;
        });
      case OpCode.setData:
      case OpCode.reconfig:
        return this.guard(body.type, body.path, () => this.setData(body.path, body.data, body.version, header.zxid, header.time));
      case OpCode.check: {
        const node = this.nodes.get(body.path);
        return node === undefined ? { type: body.type, err: 0, path: body.path } : { type: body.type, err: 0, path: body.path, stat: node.stat() };
      }
      case OpCode.error:
        return { type: body.type, err: body.err };
    }
  }

  private guard(type: number, path: string, action: () => Stat | undefined): ApplyResult {
    try {
      const stat = action();
      return stat === undefined ? { type, err: 0, path } : { type, err: 0, path, stat };
    } catch (e) {
      if (e instanceof TxnFailure) return { type, err: e.code, path };
      throw e;
    }
  }

  /** A multi: if any op failed in prep, every op is an error (0 before it, -2 after it). */
  private applyMulti(header: TxnHeaderValue, txns: SubTxnBody[]): ApplyResult {
    const failed = txns.some((t) => t.type === OpCode.error);
    const results: ApplyResult[] = [];
    let err = 0;
    let seenError = false;
    for (const txn of txns) {
      let sub: SubTxnBody = txn;
      if (txn.type === OpCode.error) seenError = true;
      else if (failed) sub = { type: OpCode.error, err: seenError ? ErrorCode.RUNTIMEINCONSISTENCY : ErrorCode.OK };
      const result = this.applySub(header, sub);
      results.push(result);
      if (result.err !== 0 && err === 0) err = result.err;
    }
    return { type: OpCode.multi, err, multi: results };
  }

  private createNode(
    path: string, data: Buffer | null, acl: readonly Acl[], ephemeralOwner: bigint,
    parentCVersion: number, zxid: bigint, time: bigint,
  ): Stat {
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) throw new TxnFailure(ErrorCode.NONODE);
    const name = nameOf(path);
    if (parent.hasChild(path)) throw new TxnFailure(ErrorCode.NODEEXISTS);
    this.preserve(parentPath, parent);
    this.preserve(path, undefined);
    if (parentCVersion === -1) parentCVersion = parent.cversion + 1;
    if (parentCVersion > parent.cversion) {
      this.digestOut(parentPath, parent);
      parent.cversion = parentCVersion;
      parent.pzxid = zxid;
      this.digestIn(parentPath, parent, false);
    }
    time = this.shareTime(time);
    const node = new Znode(storeData(data), this.aclCache.acquire(acl), zxid, zxid, time, time, 0, 0, 0, ephemeralOwner, zxid);
    parent.addChild(path);
    this.insert(path, node);
    this.digestIn(path, node, true, data);
    this.dataSize += path.length + (data?.length ?? 0);
    this.trackOwner(path, ephemeralOwner);
    this.onQuotaNodeCreated(parentPath, nameOf(path));
    this.updateQuotaStat(path, BigInt(data?.length ?? 0), 1n);
    this.triggers.push(
      { path, type: EventType.NodeCreated, acl: node.acl.acl },
      { path: parentPath, type: EventType.NodeChildrenChanged, acl: parent.acl.acl },
    );
    return node.stat();
  }

  private trackOwner(path: string, owner: bigint): void {
    switch (ephemeralKindOf(owner)) {
      case 'void':
        return;
      case 'container':
        this.containers.add(path);
        return;
      case 'ttl':
        this.ttls.add(path);
        return;
      case 'normal': {
        let paths = this.ephemerals.get(owner);
        if (paths === undefined) this.ephemerals.set(owner, (paths = new Set()));
        paths.add(path);
      }
    }
  }

  private untrackOwner(path: string, owner: bigint): void {
    switch (ephemeralKindOf(owner)) {
      case 'void':
        return;
      case 'container':
        this.containers.delete(path);
        return;
      case 'ttl':
        this.ttls.delete(path);
        return;
      case 'normal': {
        const paths = this.ephemerals.get(owner);
        if (paths === undefined) return;
        paths.delete(path);
        if (paths.size === 0) this.ephemerals.delete(owner);
      }
    }
  }

  private deleteNode(path: string, zxid: bigint): void {
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined || path === '/') throw new TxnFailure(ErrorCode.NONODE);
    // As DataTree.deleteNode: the parent's pzxid moves forward (never back, a later create may
    // have set it) even when the child is already gone, which happens when txns are replayed
    // over a fuzzy ZooKeeper snapshot.
    if (zxid > parent.pzxid) {
      this.preserve(parentPath, parent);
      this.digestOut(parentPath, parent);
      parent.pzxid = zxid;
      this.digestIn(parentPath, parent, false);
    }
    const node = this.nodes.get(path);
    if (node === undefined) throw new TxnFailure(ErrorCode.NONODE);
    this.preserve(parentPath, parent);
    this.preserve(path, node);
    parent.removeChild(path);
    this.nodes.delete(path);
    this.digestOut(path, node);
    this.aclCache.release(node.acl);
    this.dataSize -= path.length + node.dataLength;
    this.untrackOwner(path, node.ephemeralOwner);
    if (parentPath.startsWith(ZOOKEEPER_NODE) && nameOf(path) === LIMIT_NODE) {
      const target = quotaTarget(parentPath);
      if (target !== undefined) this.quotas.delete(target);
    }
    this.updateQuotaStat(path, -BigInt(node.dataLength), -1n);
    this.triggers.push(
      { path, type: EventType.NodeDeleted, acl: node.acl.acl },
      { path: parentPath, type: EventType.NodeChildrenChanged, acl: parent.acl.acl },
    );
  }

  private setData(path: string, data: Buffer | null, version: number, zxid: bigint, time: bigint): Stat {
    const node = this.nodes.get(path);
    if (node === undefined) throw new TxnFailure(ErrorCode.NONODE);
    this.preserve(path, node);
    const bytesDiff = (data?.length ?? 0) - node.dataLength;
    this.dataSize += bytesDiff;
    this.digestOut(path, node);
    node.data = data;
    node.mtime = this.shareTime(time);
    node.mzxid = zxid;
    node.version = version;
    this.digestIn(path, node, true, data);
    this.updateQuotaStat(path, BigInt(bytesDiff), 0n);
    this.triggers.push({ path, type: EventType.NodeDataChanged, acl: node.acl.acl });
    return node.stat();
  }

  private setAcl(path: string, acl: readonly Acl[], version: number): Stat {
    const node = this.nodes.get(path);
    if (node === undefined) throw new TxnFailure(ErrorCode.NONODE);
    this.preserve(path, node);
    const entry = this.aclCache.acquire(acl);
    this.aclCache.release(node.acl);
    node.acl = entry;
    this.digestOut(path, node);
    node.aversion = version;
    this.digestIn(path, node, false);
    return node.stat();
  }

  /**
   * A create that finds its node present (only when replaying txns over a fuzzy ZooKeeper
   * snapshot) still moves the parent's cversion and pzxid forward, as DataTree.processTxn does.
   */
  private fixFuzzyCreate(path: string, parentCVersion: number, zxid: bigint): void {
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) return;
    const cversion = parentCVersion === -1 ? parent.cversion + 1 : parentCVersion;
    if (cversion <= parent.cversion) return;
    this.preserve(parentPath, parent);
    this.digestOut(parentPath, parent);
    parent.cversion = cversion;
    parent.pzxid = zxid;
    this.digestIn(parentPath, parent, false);
  }

  // ---- quotas ----

  /** The quota path covering `path` (the deepest one), if any. */
  quotaPrefixOf(path: string): string | undefined {
    return this.quotas.maxPrefix(path);
  }

  /** A zookeeper_limits node makes a quota; a zookeeper_stats node is filled with the counts. */
  private onQuotaNodeCreated(parentPath: string, name: string): void {
    const target = quotaTarget(parentPath);
    if (target === undefined) return;
    if (name === LIMIT_NODE) this.quotas.add(target);
    if (name === STAT_NODE) this.recountQuota(target);
  }

  /** updateQuotaStat: the stats node's data changes in place (no version, no watch), as in ZooKeeper. */
  private updateQuotaStat(path: string, bytesDiff: bigint, countDiff: bigint): void {
    const prefix = this.quotas.maxPrefix(path);
    if (prefix === undefined) return;
    const statsPath = statPath(prefix);
    const stats = this.nodes.get(statsPath);
    if (stats === undefined) return;
    const track = StatsTrack.parse(stats.data);
    track.set('count', track.get('count') + countDiff);
    track.set('bytes', track.get('bytes') + bytesDiff);
    this.preserve(statsPath, stats);
    this.setQuotaData(stats, track);
  }

  /** updateQuotaForPath: count the nodes and bytes under `path` afresh. */
  private recountQuota(path: string): void {
    const stats = this.nodes.get(statPath(path));
    if (stats === undefined || this.nodes.get(path) === undefined) return;
    let count = 0n;
    let bytes = 0n;
    const stack = [path];
    while (stack.length > 0) {
      const current = stack.pop()!;
      const node = this.nodes.get(current);
      if (node === undefined) continue;
      count++;
      bytes += BigInt(node.dataLength);
      for (const child of node.childPaths()) stack.push(child);
    }
    const track = new StatsTrack();
    track.set('count', count);
    track.set('bytes', bytes);
    this.preserve(statPath(path), stats);
    this.setQuotaData(stats, track);
  }

  /**
   * /zookeeper/config's data set outside any txn (QuorumPeer puts the membership there at
   * start); the digest leaves /zookeeper/* out, so it needs no digest update.
   */
  setConfigData(data: Buffer, mzxid: bigint, mtime: bigint): void {
    const node = this.nodes.get(CONFIG_NODE)!;
    this.preserve(CONFIG_NODE, node);
    this.dataSize += data.length - node.dataLength;
    node.data = data;
    // The config's version is the zxid that made it, which is also the node's mzxid;
    // ZKDatabase.initConfigInZKDatabase stamps the wall-clock time.
    node.mzxid = mzxid;
    node.mtime = mtime;
    // QuorumPeer writes it with version -1, which ZooKeeper stores as the node's version.
    node.version = -1;
  }

  /** Stats nodes live under /zookeeper/quota, which the digest leaves out: no digest update. */
  private setQuotaData(node: Znode, track: StatsTrack): void {
    const data = Buffer.from(track.toString(), 'utf8');
    this.dataSize += data.length - node.dataLength;
    node.data = data;
  }

  /** The limits and current counts of the quota covering `path` (for enforceQuota), if any. */
  quotaOf(path: string): { prefix: string; limits: StatsTrack; current: StatsTrack } | undefined {
    const prefix = this.quotas.maxPrefix(path);
    if (prefix === undefined) return undefined;
    const limits = this.nodes.get(limitPath(prefix));
    const current = this.nodes.get(statPath(prefix));
    if (limits === undefined || current === undefined) return undefined;
    return { prefix, limits: StatsTrack.parse(limits.data), current: StatsTrack.parse(current.data) };
  }

  /** After loading a snapshot: find the quotas and recount them (ZooKeeper's setupQuota). */
  setupQuotas(): void {
    const stack = [QUOTA_NODE];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.nodes.get(path);
      if (node === undefined) continue;
      if (node.numChildren === 0 && nameOf(path) === LIMIT_NODE) {
        const target = quotaTarget(parentOf(path));
        if (target !== undefined) {
          this.recountQuota(target);
          this.quotas.add(target);
        }
      }
      for (const child of node.childPaths()) stack.push(child);
    }
  }

  /** Deletes a closing session's ephemerals: the txn's list, plus any the tree still holds. */
  private killSession(sessionId: bigint, zxid: bigint, paths: readonly string[]): void {
    for (const path of paths) this.deleteEphemeral(path, sessionId, zxid);
    // Any the txn did not list: deleting one takes it out of this set, which iteration allows.
    const rest = this.ephemerals.get(sessionId);
    if (rest !== undefined) for (const path of rest) this.deleteEphemeral(path, sessionId, zxid);
    this.ephemerals.delete(sessionId);
  }

  private deleteEphemeral(path: string, sessionId: bigint, zxid: bigint): void {
    const node = this.nodes.get(path);
    if (node === undefined || node.ephemeralOwner !== sessionId) return;
    try {
      this.deleteNode(path, zxid);
    } catch (e) {
      if (!(e instanceof TxnFailure)) throw e;
    }
  }

  // ---- digest ----

  /** The tree digest now (NodeHashMap.getDigest): Java's signed long. */
  get treeDigest(): bigint {
    return this.digest.value;
  }

  /** The digest history the `hash` commands list, oldest first. */
  digestHistory(): readonly ZxidDigest[] {
    return this.digestLog.list();
  }

  /** The digest as of the last txn applied (lastProcessedZxidDigest); zxid 0 when none since creation or load. */
  lastZxidDigest(): ZxidDigest {
    return { zxid: this.lastDigestZxid, digestVersion: DIGEST_VERSION, digest: this.lastDigestZxid === 0n ? 0n : this.digest.value };
  }

  /** Takes `node`'s share out of the tree digest before it changes (NodeHashMap.preChange). */
  private digestOut(path: string, node: Znode): void {
    if (isDigestExcluded(path)) return;
    this.digest.remove(nodeDigest(node.contentCrc, node));
  }

  /**
   * Puts `node`'s share back after a change (postChange). `contentChanged`: the data (or the
   * node) is new, so the path and data are hashed again; otherwise only the 60 stat bytes are.
   */
  private digestIn(path: string, node: Znode, contentChanged: boolean, data: StoredData | Uint8Array = node.stored): void {
    if (isDigestExcluded(path)) return;
    // `data`: the node's data as it arrived when at hand (a Buffer hashes faster than the stored string).
    if (contentChanged) node.contentCrc = contentCrc(path, data) | 0;
    this.digest.add(nodeDigest(node.contentCrc, node));
  }

  // ---- snapshots ----

  /** Records `path`'s state before its first change while a snapshot is being written. */
  private preserve(path: string, node: Znode | undefined): void {
    const walk = this.walk;
    if (walk === null || walk.preimages.has(path)) return;
    walk.preimages.set(path, node === undefined
      ? { node: null, written: false }
      // A node the walk already passed was written as it was; its pre-image is not needed again.
      : { node: node.snapshotCopy(), written: node.seq <= walk.walkedSeq });
  }

  /**
   * Txns of the same millisecond (and snapshot nodes made in it) share one bigint for their
   * times: 24 bytes less per node under bulk writes.
   */
  private shareTime(time: bigint): bigint {
    if (time === this.lastTime) return this.lastTime;
    this.lastTime = time;
    return time;
  }

  /** Puts `node` at the end of the insertion order (see beginSnapshot). */
  private insert(path: string, node: Znode): void {
    node.seq = ++this.lastSeq;
    this.nodes.set(path, node);
  }

  /**
   * Starts a consistent snapshot as of now: the returned view walks the tree as it is at this
   * moment even while later txns change it (copy-on-write pre-images). Call `end()` when done.
   *
   * The walk follows the node map's insertion order, which puts every parent before its
   * children (a node must exist to take a child and cannot be deleted while it has one), as
   * snapshot readers need (ZooKeeper's too: DataTree.deserialize looks each parent up). `seq`
   * numbers the nodes in that order, so a change can tell whether the walk has passed its node.
   * Pre-images replace changed nodes where the walk meets them; nodes deleted before the walk
   * reached them come at the end, shallowest first.
   */
  beginSnapshot(): TreeSnapshotView {
    assert(this.walk === null, 'one snapshot at a time');
    const walk: SnapshotWalk = { preimages: new Map(), walkedSeq: 0 };
    this.walk = walk;
    const { preimages } = walk;
    const acls = this.aclCache.entries().map((e) => ({ ref: e.ref, acl: e.acl }));
    const zxid = this.lastProcessedZxid;
    const live = this.nodes.entries();
    let deleted: Array<[string, Znode]> | undefined;
    let deletedIndex = 0;
    return {
      zxid,
      acls,
      walkSome(max: number, visit: (path: string, node: Znode) => void): boolean {
        let visited = 0;
        if (deleted === undefined) {
          // One for-of over the map's iterator, resumed call after call (a map iterator has no
          // `return`, so leaving the loop does not close it): no result object per node.
          for (const [path, node] of live) {
            walk.walkedSeq = node.seq;
            const pre = preimages.size === 0 ? undefined : preimages.get(path);
            if (pre === undefined) {
              visit(path, node);
            } else {
              if (pre.node === null || pre.written) continue;
              pre.written = true;
              visit(path, pre.node);
            }
            if (++visited === max) return true;
          }
          deleted = [];
          for (const [path, pre] of preimages) if (pre.node !== null && !pre.written) deleted.push([path, pre.node]);
          deleted.sort((a, b) => depthOf(a[0]) - depthOf(b[0]));
        }
        while (deletedIndex < deleted.length) {
          const [path, node] = deleted[deletedIndex++]!;
          visit(path, node);
          if (++visited === max) return deletedIndex < deleted.length;
        }
        return false;
      },
      end: () => {
        // After `replaceWith` the view walks the old nodes alone; a newer view may be running.
        if (this.walk === walk) this.walk = null;
      },
    };
  }

  /**
   * Adds (or replaces) a node read from a snapshot; parents come before their children. Returns
   * false, changing nothing, when the parent is missing. `parent` may be passed when the caller
   * already holds it (a loader keeps the last one: siblings come together).
   */
  loadNode(path: string, data: StoredData | Buffer, acl: AclEntry, stat: Omit<Stat, 'dataLength' | 'numChildren'>, parent?: Znode): boolean {
    const existing = this.nodes.get(path);
    if (existing === undefined && path !== '/') {
      parent ??= this.nodes.get(parentOf(path));
      if (parent === undefined) return false;
    }
    // A snapshot gives every field its own bigint; equal values share one (a create's czxid,
    // mzxid and pzxid, ctime and mtime, the common ephemeralOwner 0), as nodes made by txns do.
    const czxid = stat.czxid;
    const mzxid = stat.mzxid === czxid ? czxid : stat.mzxid;
    const pzxid = stat.pzxid === czxid ? czxid : stat.pzxid === mzxid ? mzxid : stat.pzxid;
    const ctime = this.shareTime(stat.ctime);
    const mtime = stat.mtime === ctime ? ctime : stat.mtime;
    const owner = stat.ephemeralOwner === 0n ? 0n : stat.ephemeralOwner;
    const stored = Buffer.isBuffer(data) ? storeData(data) : data;
    const node = new Znode(stored, acl, czxid, mzxid, ctime, mtime, stat.version, stat.cversion, stat.aversion, owner, pzxid);
    if (existing !== undefined) {
      this.aclCache.release(existing.acl);
      node.adoptChildren(existing);
      node.seq = existing.seq;
      this.digestOut(path, existing);
      this.nodes.set(path, node);
    } else {
      this.insert(path, node);
    }
    this.digestIn(path, node, true, data);
    parent?.addChild(path);
    this.dataSize += (existing === undefined ? path.length : -existing.dataLength) + node.dataLength;
    this.trackOwner(path, owner);
    return true;
  }

  /**
   * Replaces everything this tree holds with what `source` holds (a tree just loaded from a
   * snapshot, which must not be used afterwards), keeping this object, which the server's
   * stages share. The digest history starts over, as ZooKeeper's restore starts a new DataTree.
   * A snapshot being written keeps walking the old nodes, which nothing changes any more.
   */
  replaceWith(source: DataTree): void {
    assert(source !== this, 'a tree cannot replace itself');
    assert(source.walk === null, 'the source tree is being snapshotted');
    this.aclCacheValue = source.aclCacheValue;
    this.nodes = source.nodes;
    this.ephemerals = source.ephemerals;
    this.containers = source.containers;
    this.ttls = source.ttls;
    this.quotas = source.quotas;
    this.dataSize = source.dataSize;
    this.digest = source.digest;
    this.digestLog = source.digestLog;
    this.lastDigestZxid = source.lastDigestZxid;
    this.lastProcessedZxid = source.lastProcessedZxid;
    this.lastSeq = source.lastSeq;
    this.walk = null;
    this.triggers = [];
    source.nodes = new Map();
  }
}

/** A node as it was when a snapshot began (null: it did not exist), and whether the walk wrote it. */
interface Preimage {
  readonly node: Znode | null;
  written: boolean;
}

interface SnapshotWalk {
  readonly preimages: Map<string, Preimage>;
  /** The `seq` of the last node the walk went past. */
  walkedSeq: number;
}

function depthOf(path: string): number {
  let depth = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) depth++;
  return depth;
}

/** A consistent walk over the tree as of `zxid`, parents before children. */
export interface TreeSnapshotView {
  readonly zxid: bigint;
  readonly acls: ReadonlyArray<{ ref: bigint; acl: readonly Acl[] }>;
  /**
   * Passes up to `max` more nodes to `visit`, parents before children; returns false once every
   * node has been passed. The tree may change between calls (never during one).
   */
  walkSome(max: number, visit: (path: string, node: Znode) => void): boolean;
  end(): void;
}
