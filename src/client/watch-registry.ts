/**
 * The client's record of which listeners wait on which paths, kept the way the Java client's
 * ZKWatchManager keeps them: one-shot data, exist and child watches, removed when they fire,
 * and persistent and persistent-recursive watches, which stay until removed. The server keeps
 * one watch per (session, path, kind); this registry fans a notification out to listeners.
 */
import { EventType, WatcherType } from '../proto/defs.js';

/** Which table a watch lives in. */
export type WatchKind = 'data' | 'exist' | 'child' | 'persistent' | 'persistentRecursive';

const KINDS: readonly WatchKind[] = ['data', 'exist', 'child', 'persistent', 'persistentRecursive'];

/** Listeners removed by removeWatches, grouped by the removal event each must be told. */
export interface RemovedWatchers<L> {
  readonly dataWatchRemoved: Set<L>;
  readonly childWatchRemoved: Set<L>;
  readonly persistentWatchRemoved: Set<L>;
}

/** `/a/b` yields `/a/b`, `/a`, `/`: the paths a recursive watch on any of them covers. */
export function* pathAndAncestors(path: string): Generator<string> {
  let current = path;
  for (;;) {
    yield current;
    if (current === '/') return;
    const slash = current.lastIndexOf('/');
    current = slash <= 0 ? '/' : current.slice(0, slash);
  }
}

/** Watch tables keyed by client path (chroot already stripped). */
export class WatchRegistry<L> {
  private readonly tables: Record<WatchKind, Map<string, Set<L>>> = {
    data: new Map(),
    exist: new Map(),
    child: new Map(),
    persistent: new Map(),
    persistentRecursive: new Map(),
  };

  add(kind: WatchKind, path: string, listener: L): void {
    const table = this.tables[kind];
    let set = table.get(path);
    if (set === undefined) {
      set = new Set();
      table.set(path, set);
    }
    set.add(listener);
  }

  /** The paths with at least one watch of `kind`, in registration order. */
  paths(kind: WatchKind): string[] {
    return [...this.tables[kind].keys()];
  }

  /** True when no watch of any kind is registered. */
  get empty(): boolean {
    return KINDS.every((kind) => this.tables[kind].size === 0);
  }

  /** Every distinct listener in any table (for state-change fan-out). */
  allListeners(): Set<L> {
    const result = new Set<L>();
    for (const kind of KINDS) for (const set of this.tables[kind].values()) for (const l of set) result.add(l);
    return result;
  }

  /**
   * The listeners a server notification of `eventType` on `path` reaches. One-shot watches
   * that fire are removed; persistent ones stay. Each listener appears once.
   */
  materialize(eventType: number, path: string): Set<L> {
    const result = new Set<L>();
    const takeOneShot = (kind: WatchKind) => {
      const set = this.tables[kind].get(path);
      if (set === undefined) return;
      this.tables[kind].delete(path);
      for (const l of set) result.add(l);
    };
    switch (eventType) {
      case EventType.NodeCreated:
      case EventType.NodeDataChanged:
        takeOneShot('data');
        takeOneShot('exist');
        break;
      case EventType.NodeChildrenChanged:
        // Recursive watches never receive NodeChildrenChanged (the documented semantics);
        // the 3.8 Java client leaks it to them when another watch on the path brings one.
        takeOneShot('child');
        for (const l of this.tables.persistent.get(path) ?? []) result.add(l);
        return result;
      case EventType.NodeDeleted:
        takeOneShot('data');
        takeOneShot('exist');
        takeOneShot('child');
        break;
      default:
        return result;
    }
    this.addPersistent(path, result);
    return result;
  }

  private addPersistent(path: string, result: Set<L>): void {
    for (const l of this.tables.persistent.get(path) ?? []) result.add(l);
    for (const ancestor of pathAndAncestors(path)) {
      for (const l of this.tables.persistentRecursive.get(ancestor) ?? []) result.add(l);
    }
  }

  /** The tables a removeWatches/checkWatches of `watcherType` looks at, for the existence check. */
  private tablesCheckedFor(watcherType: number): WatchKind[] {
    switch (watcherType) {
      case WatcherType.Children:
        return ['child', 'persistent', 'persistentRecursive'];
      case WatcherType.Data:
        return ['data', 'exist', 'persistent', 'persistentRecursive'];
      case WatcherType.Persistent:
        return ['persistent'];
      case WatcherType.PersistentRecursive:
        return ['persistentRecursive'];
      default:
        return [...KINDS];
    }
  }

  /** True when `path` has a watch of `watcherType` (held by `listener`, if given). */
  has(path: string, watcherType: number, listener?: L): boolean {
    return this.tablesCheckedFor(watcherType).some((kind) => {
      const set = this.tables[kind].get(path);
      if (set === undefined || set.size === 0) return false;
      return listener === undefined || set.has(listener);
    });
  }

  /**
   * Removes watches of `watcherType` on `path` (only `listener`'s, if given) and returns
   * them grouped by removal event, or null when nothing was removed (NOWATCHER). As in the
   * Java client, Data removes data and exist watches, Children removes child watches, and
   * only Any (or the 3.9 persistent types) removes persistent watches.
   */
  remove(path: string, watcherType: number, listener?: L): RemovedWatchers<L> | null {
    const removed: RemovedWatchers<L> = {
      dataWatchRemoved: new Set(),
      childWatchRemoved: new Set(),
      persistentWatchRemoved: new Set(),
    };
    const plan: [WatchKind, Set<L>][] = [];
    const data = removed.dataWatchRemoved;
    const child = removed.childWatchRemoved;
    const persistent = removed.persistentWatchRemoved;
    if (watcherType === WatcherType.Children || watcherType === WatcherType.Any) plan.push(['child', child]);
    if (watcherType === WatcherType.Data || watcherType === WatcherType.Any) plan.push(['data', data], ['exist', data]);
    if (watcherType === WatcherType.Persistent || watcherType === WatcherType.Any) plan.push(['persistent', persistent]);
    if (watcherType === WatcherType.PersistentRecursive || watcherType === WatcherType.Any) {
      plan.push(['persistentRecursive', persistent]);
    }
    let any = false;
    for (const [kind, into] of plan) any = this.removeFrom(kind, path, listener, into) || any;
    return any ? removed : null;
  }

  private removeFrom(kind: WatchKind, path: string, listener: L | undefined, into: Set<L>): boolean {
    const table = this.tables[kind];
    const set = table.get(path);
    if (set === undefined) return false;
    if (listener === undefined) {
      table.delete(path);
      for (const l of set) into.add(l);
      return set.size > 0;
    }
    if (!set.delete(listener)) return false;
    if (set.size === 0) table.delete(path);
    into.add(listener);
    return true;
  }

  clear(): void {
    for (const kind of KINDS) this.tables[kind].clear();
  }
}
