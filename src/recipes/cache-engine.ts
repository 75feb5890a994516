/**
 * The engine under the node, children and tree caches (Curator 5's CuratorCache): a local copy
 * of a subtree kept current by one persistent (recursive) watch.
 *
 * How it stays correct:
 * - Only replies change the copy. A watch event never changes it directly: it makes the engine
 *   read the node again (getData), and the reply decides. A read sent after an event sees at
 *   least the state the event announced, so the last reply for a path is never older than its
 *   last event.
 * - Every read gets a ticket when it is sent. One connection answers in order, so a higher
 *   ticket saw a newer state; a reply older than what was already applied to its path (or to
 *   the removal of the path) is dropped. Removed paths keep their ticket (a tombstone) until no
 *   older read can still answer.
 * - On every (re)connection the whole subtree is read again (a "walk": getData, then
 *   getChildren where there are children): a persistent watch re-armed after a disconnect hears
 *   nothing about what changed meanwhile. Nodes the walk no longer finds are removed, nodes it
 *   finds new or changed are reported. After a session expiry the watch is added on the new
 *   session's handle first, then the walk runs.
 * The listener therefore sees, for every path, a sequence of created/changed/deleted events
 * that ends in the node's real state; events between two walks that cancel out (created then
 * deleted while disconnected) are not invented.
 */
import type { ZooKeeperClient } from '../client/zookeeper-client.js';
import type { DataResult, WatchedEvent } from '../client/types.js';
import type { Stat } from '../proto/data.js';
import { EventType } from '../proto/defs.js';
import { ErrorCode } from '../proto/error-code.js';
import {
  depthBelow,
  hasCode,
  isConnectionError,
  joinPath,
  nodeNameOf,
  parentOf,
  toRecipeSession,
  type RecipeSession,
  type RecipeStateChange,
  type SessionSource,
} from './persistent-node-session.js';
import { Listeners } from './listeners.js';

/** One cached node: Curator's ChildData. */
export interface ChildData {
  readonly path: string;
  readonly stat: Stat;
  /** The node's data; null when the node holds none or the cache keeps no data. */
  readonly data: Buffer | null;
}

/** What a cache listener hears (Curator's CuratorCacheListener types). */
export type CacheEvent =
  | { readonly type: 'created'; readonly path: string; readonly data: ChildData }
  | { readonly type: 'changed'; readonly path: string; readonly data: ChildData; readonly oldData: ChildData }
  | { readonly type: 'deleted'; readonly path: string; readonly oldData: ChildData }
  /** The first complete load is in; sent once. */
  | { readonly type: 'initialized' };

/** Called with cache events, in the order the copy changed. */
export type CacheListener = (event: CacheEvent) => void;

/** Settings of a CacheEngine. */
export interface CacheEngineOptions {
  /** Levels below the root to keep: 0 the root only, 1 its children too, Infinity all. */
  readonly maxDepth: number;
  /** Keep node data (else only stats). */
  readonly cacheData: boolean;
  /** Which paths listeners hear about (all kept paths by default). */
  readonly reportPath?: (path: string) => boolean;
}

/** Reads the engine keeps on the wire at once; the rest wait in a queue. */
const READS_IN_FLIGHT_MAX = 256;
/** Pause before walking again when a walk failed while the connection stayed up. */
const REWALK_DELAY_MS = 1_000;

interface Walk {
  readonly id: number;
  pending: number;
  failed: boolean;
}

/** A subtree copy kept current by a persistent watch; see the file comment for the rules. */
export class CacheEngine {
  private readonly session: RecipeSession;
  private readonly nodes = new Map<string, ChildData>();
  private readonly childNames = new Map<string, Set<string>>();
  private readonly tickets = new Map<string, number>();
  private readonly tombstones = new Map<string, number>();
  private nextTicket = 1;
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];
  private currentWalk: Walk | null = null;
  private walkCount = 0;
  private watchedClient: ZooKeeperClient | null = null;
  private readonly listeners = new Listeners<{ event: CacheListener }>();
  private stopListening: (() => void) | null = null;
  private state: 'LATENT' | 'STARTED' | 'CLOSED' = 'LATENT';
  private initializedValue = false;
  private readonly initWaiters: (() => void)[] = [];
  private rewalkTimer: NodeJS.Timeout | null = null;
  private completedWalks = 0;
  private readonly watchMode: 'PERSISTENT' | 'PERSISTENT_RECURSIVE';
  private readonly watcher = (event: WatchedEvent) => this.onWatchEvent(event);

  constructor(
    source: SessionSource,
    readonly root: string,
    private readonly options: CacheEngineOptions,
  ) {
    this.session = toRecipeSession(source);
    this.watchMode = options.maxDepth === 0 ? 'PERSISTENT' : 'PERSISTENT_RECURSIVE';
  }

  /** True once the first complete load is in. */
  get initialized(): boolean {
    return this.initializedValue;
  }
  /** Complete walks so far (the initial load and every resync after a reconnect). */
  get walksCompleted(): number {
    return this.completedWalks;
  }
  /** True while a walk is running or waiting to be retried. */
  get walking(): boolean {
    return this.currentWalk !== null || this.rewalkTimer !== null;
  }

  /** Starts the watch and the initial load; resolves when the load is complete. */
  start(): Promise<void> {
    if (this.state !== 'LATENT') throw new Error('cache already started');
    this.state = 'STARTED';
    this.stopListening = this.session.onStateChange((change) => this.onStateChange(change));
    const ready = new Promise<void>((resolve) => this.initWaiters.push(resolve));
    if (this.session.isConnected) this.sync(this.session.client);
    else void this.session.start().catch(() => undefined);
    return ready;
  }

  /** The cached node at `path`. */
  get(path: string): ChildData | undefined {
    return this.nodes.get(path);
  }
  /** Every cached node, sorted by path. */
  entries(): ChildData[] {
    return [...this.nodes.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  /** The number of cached nodes. */
  get size(): number {
    return this.nodes.size;
  }
  /** The cached children of `path`, sorted by name. */
  childrenOf(path: string): ChildData[] {
    const names = [...(this.childNames.get(path) ?? [])].sort();
    return names.map((name) => this.nodes.get(joinPath(path, name))).filter((d): d is ChildData => d !== undefined);
  }

  /** Listens to cache events; returns a function that stops listening. */
  addListener(listener: CacheListener): () => void {
    return this.listeners.on('event', listener);
  }

  /** Stops watching; the copy stays readable but is no longer updated. */
  async close(): Promise<void> {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.stopListening?.();
    if (this.rewalkTimer !== null) clearTimeout(this.rewalkTimer);
    this.queue.length = 0;
    this.listeners.clear();
    const client = this.watchedClient;
    this.watchedClient = null;
    if (client === null) return;
    const type = this.watchMode === 'PERSISTENT' ? 'Persistent' : 'PersistentRecursive';
    await client.removeWatcher(this.root, this.watcher, type, { local: true }).catch(() => undefined);
  }

  private onStateChange(change: RecipeStateChange): void {
    if (this.state !== 'STARTED') return;
    if (change.state === 'CONNECTED' || change.state === 'RECONNECTED') this.sync(change.client);
  }

  /** Adds the watch on `client` unless it has it, then walks the whole subtree. */
  private sync(client: ZooKeeperClient): void {
    if (this.state !== 'STARTED') return;
    const walk: Walk = { id: ++this.walkCount, pending: 0, failed: false };
    this.currentWalk = walk;
    if (this.watchedClient !== client) {
      // Sent before the walk's reads: the server answers them after it has the watch.
      walk.pending++;
      client.addWatch(this.root, this.watchMode, this.watcher).then(
        () => {
          if (this.state === 'STARTED') this.watchedClient = client;
        },
        () => (walk.failed = true),
      ).finally(() => this.walkStepDone(walk));
    }
    this.fetchData(client, this.root, 0, walk);
  }

  private onWatchEvent(event: WatchedEvent): void {
    if (this.state !== 'STARTED' || event.path === null) return;
    if (event.type !== EventType.NodeCreated && event.type !== EventType.NodeDataChanged && event.type !== EventType.NodeDeleted) return;
    const depth = depthBelow(this.root, event.path);
    if (depth < 0 || depth > this.options.maxDepth) return;
    this.fetchData(this.session.client, event.path, depth, null);
  }

  /** Runs `task` now if few reads are in flight, else later; `task` must call readDone once. */
  private schedule(task: () => void): void {
    if (this.inFlight < READS_IN_FLIGHT_MAX) {
      this.inFlight++;
      task();
    } else {
      this.queue.push(task);
    }
  }

  private readDone(): void {
    this.inFlight--;
    const next = this.queue.shift();
    if (next !== undefined) {
      this.inFlight++;
      next();
    }
    // Nothing older can answer any more: removed paths need no tickets.
    if (this.inFlight === 0) this.tombstones.clear();
  }

  /** Reads `path`'s data; during a walk, goes on to its children. */
  private fetchData(client: ZooKeeperClient, path: string, depth: number, walk: Walk | null): void {
    if (walk !== null) walk.pending++;
    this.schedule(() => {
      if (this.state !== 'STARTED') return this.finishRead(walk);
      const ticket = this.nextTicket++;
      client.getData(path).then(
        (result) => {
          this.applyData(path, ticket, result);
          if (walk === null || depth >= this.options.maxDepth) return;
          if (result.stat.numChildren > 0) this.fetchChildren(client, path, depth, walk);
          else this.removeMissingChildren(path, [], ticket);
        },
        (err: unknown) => this.onReadError(err, path, ticket, walk),
      ).finally(() => this.finishRead(walk));
    });
  }

  private fetchChildren(client: ZooKeeperClient, path: string, depth: number, walk: Walk): void {
    walk.pending++;
    this.schedule(() => {
      if (this.state !== 'STARTED') return this.finishRead(walk);
      const ticket = this.nextTicket++;
      client.getChildren(path).then(
        (children) => {
          this.removeMissingChildren(path, children, ticket);
          for (const child of children) this.fetchData(client, joinPath(path, child), depth + 1, walk);
        },
        (err: unknown) => this.onReadError(err, path, ticket, walk),
      ).finally(() => this.finishRead(walk));
    });
  }

  private finishRead(walk: Walk | null): void {
    this.readDone();
    if (walk !== null) this.walkStepDone(walk);
  }

  private onReadError(err: unknown, path: string, ticket: number, walk: Walk | null): void {
    if (hasCode(err, ErrorCode.NONODE)) {
      this.applyMissing(path, ticket);
      return;
    }
    // Connection trouble: the walk on the next connection redoes this read. Anything else
    // (NOAUTH on one node, say) leaves that node as it was.
    if (walk !== null && isConnectionError(err)) walk.failed = true;
  }

  private walkStepDone(walk: Walk): void {
    walk.pending--;
    if (walk.pending > 0 || walk !== this.currentWalk || this.state !== 'STARTED') return;
    this.currentWalk = null;
    if (walk.failed) {
      // A reconnect starts a new walk; if the connection stayed up, try again shortly.
      if (this.session.isConnected && this.rewalkTimer === null) {
        this.rewalkTimer = setTimeout(() => {
          this.rewalkTimer = null;
          if (this.currentWalk === null && this.session.isConnected) this.sync(this.session.client);
        }, REWALK_DELAY_MS);
      }
      return;
    }
    this.completedWalks++;
    if (!this.initializedValue) {
      this.initializedValue = true;
      this.emit({ type: 'initialized' });
      for (const waiter of this.initWaiters.splice(0)) waiter();
    }
  }

  private lastTicket(path: string): number {
    return this.tickets.get(path) ?? this.tombstones.get(path) ?? 0;
  }

  private applyData(path: string, ticket: number, result: DataResult): void {
    if (ticket <= this.lastTicket(path) || this.state !== 'STARTED') return;
    this.tickets.set(path, ticket);
    this.tombstones.delete(path);
    const entry: ChildData = { path, stat: result.stat, data: this.options.cacheData ? result.data : null };
    const old = this.nodes.get(path);
    this.put(entry);
    if (old === undefined) {
      this.emit({ type: 'created', path, data: entry });
    } else if (old.stat.czxid !== entry.stat.czxid) {
      // Deleted and created again while we were not looking.
      this.emit({ type: 'deleted', path, oldData: old });
      this.emit({ type: 'created', path, data: entry });
    } else if (old.stat.mzxid !== entry.stat.mzxid) {
      this.emit({ type: 'changed', path, data: entry, oldData: old });
    }
  }

  /** `path` was not there when read with `ticket`: drop it and its subtree, deepest first. */
  private applyMissing(path: string, ticket: number): void {
    if (this.state !== 'STARTED') return;
    const doomed: string[] = [];
    const collect = (p: string) => {
      for (const name of this.childNames.get(p) ?? []) collect(joinPath(p, name));
      doomed.push(p);
    };
    collect(path);
    for (const p of doomed) {
      if (this.lastTicket(p) >= ticket) continue;
      this.tickets.delete(p);
      this.tombstones.set(p, ticket);
      const old = this.nodes.get(p);
      if (old === undefined) continue;
      this.remove(p);
      this.emit({ type: 'deleted', path: p, oldData: old });
    }
  }

  private removeMissingChildren(path: string, children: readonly string[], ticket: number): void {
    const present = new Set(children);
    for (const name of [...(this.childNames.get(path) ?? [])]) {
      if (!present.has(name)) this.applyMissing(joinPath(path, name), ticket);
    }
  }

  private put(entry: ChildData): void {
    this.nodes.set(entry.path, entry);
    if (entry.path === this.root) return;
    const parent = parentOf(entry.path);
    let names = this.childNames.get(parent);
    if (names === undefined) {
      names = new Set();
      this.childNames.set(parent, names);
    }
    names.add(nodeNameOf(entry.path));
  }

  private remove(path: string): void {
    this.nodes.delete(path);
    if (path === this.root) return;
    const parent = parentOf(path);
    const names = this.childNames.get(parent);
    if (names === undefined) return;
    names.delete(nodeNameOf(path));
    if (names.size === 0) this.childNames.delete(parent);
  }

  private emit(event: CacheEvent): void {
    if (event.type !== 'initialized' && this.options.reportPath !== undefined && !this.options.reportPath(event.path)) return;
    this.listeners.emit('event', event);
  }
}
