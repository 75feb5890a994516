/**
 * Node, children and tree caches, on one engine (cache-engine.ts) and persistent watches, as
 * Curator 5's CuratorCache and its NodeCache / PathChildrenCache / TreeCache bridges:
 *
 * - `TreeCache`: a path and every node below it (optionally only `maxDepth` levels).
 * - `PathChildrenCache`: the children of a path (the path itself is kept but not reported).
 * - `NodeCache`: one node, which may not exist yet.
 *
 * Each starts with a complete load (one `created` per node, then `initialized`), then reports
 * `created`, `changed` (data changed: a new mzxid) and `deleted`. After a reconnect it reads
 * the subtree again and reports only the differences; after a session expiry it watches on the
 * new session and does the same (give it a RecipeSession for that; a plain client cannot
 * outlive its session).
 */
import { CacheEngine, type CacheListener, type ChildData } from './cache-engine.js';
import { depthBelow, joinPath, nodeNameOf, type SessionSource } from './persistent-node-session.js';

export type { CacheEvent, CacheListener, ChildData } from './cache-engine.js';

/** Options of TreeCache. */
export interface TreeCacheOptions {
  /** Levels below the root to keep (0: only the root). Default: all. */
  maxDepth?: number;
  /** Keep node data. Default true. */
  cacheData?: boolean;
}

/** Options of PathChildrenCache and NodeCache. */
export interface CacheDataOptions {
  /** Keep node data. Default true. */
  cacheData?: boolean;
}

/** Common surface of the three caches. */
abstract class CacheFacade {
  protected readonly engine: CacheEngine;

  protected constructor(engine: CacheEngine) {
    this.engine = engine;
  }

  /** Starts watching and loading; resolves once the initial load is complete. */
  start(): Promise<void> {
    return this.engine.start();
  }
  /** Listens to events; returns a function that stops listening. */
  addListener(listener: CacheListener): () => void {
    return this.engine.addListener(listener);
  }
  /** True once the initial load is complete. */
  get initialized(): boolean {
    return this.engine.initialized;
  }
  /** Complete loads so far: the initial one plus one per resync after a reconnect or expiry. */
  get loadsCompleted(): number {
    return this.engine.walksCompleted;
  }
  /** True while a load (the initial one or a resync) is running or about to be retried. */
  get loading(): boolean {
    return this.engine.walking;
  }
  /** Stops watching. The last copy stays readable. */
  close(): Promise<void> {
    return this.engine.close();
  }
}

/** A path and its subtree (Curator's TreeCache / CuratorCache). */
export class TreeCache extends CacheFacade {
  constructor(source: SessionSource, readonly path: string, options: TreeCacheOptions = {}) {
    super(new CacheEngine(source, path, { maxDepth: options.maxDepth ?? Infinity, cacheData: options.cacheData ?? true }));
  }

  /** The node at `path` (absolute), if cached. */
  get(path: string): ChildData | undefined {
    return this.engine.get(path);
  }
  /** Every cached node, sorted by path. */
  entries(): ChildData[] {
    return this.engine.entries();
  }
  /** The number of cached nodes (the root included, when it exists). */
  get size(): number {
    return this.engine.size;
  }
  /** The cached children of `path` (absolute), sorted by name. */
  children(path: string = this.path): ChildData[] {
    return this.engine.childrenOf(path);
  }
}

/** The children of one path (Curator's PathChildrenCache). */
export class PathChildrenCache extends CacheFacade {
  constructor(source: SessionSource, readonly path: string, options: CacheDataOptions = {}) {
    super(
      new CacheEngine(source, path, {
        maxDepth: 1,
        cacheData: options.cacheData ?? true,
        reportPath: (p) => depthBelow(path, p) === 1,
      }),
    );
  }

  /** The cached children, sorted by name. */
  children(): ChildData[] {
    return this.engine.childrenOf(this.path);
  }
  /** The child called `name` (or with the absolute path `name`). */
  get(name: string): ChildData | undefined {
    return this.engine.get(name.startsWith('/') ? name : joinPath(this.path, name));
  }
  /** The children's names, sorted. */
  names(): string[] {
    return this.children().map((child) => nodeNameOf(child.path));
  }
}

/** One node, which may come and go (Curator's NodeCache). */
export class NodeCache extends CacheFacade {
  constructor(source: SessionSource, readonly path: string, options: CacheDataOptions = {}) {
    super(new CacheEngine(source, path, { maxDepth: 0, cacheData: options.cacheData ?? true }));
  }

  /** The node as last read, or undefined while it does not exist. */
  current(): ChildData | undefined {
    return this.engine.get(this.path);
  }
}
