/**
 * Watch registry, as ZooKeeper 3.8 keeps it: a data table (getData, exists and addWatch watches)
 * and a child table (getChildren and addWatch watches), each
 * path -> watcher -> mode. A watcher is a connection id: watches die with their connection and
 * come back through setWatches. Pure: `trigger` returns who to notify, the caller sends.
 */
import type { Acl } from '../proto/data.js';
import { EventType, WatcherType } from '../proto/defs.js';
import type { WatchTrigger } from '../tree/data-tree.js';
import { parentOf } from '../tree/path.js';

export type WatcherId = number;
export type WatchMode = 'standard' | 'persistent' | 'recursive';

/** One event to deliver to one watcher, if it may read `acl`. */
export interface Notification {
  readonly watcher: WatcherId;
  readonly type: number;
  readonly path: string;
  readonly acl: readonly Acl[];
}

class WatchTable {
  readonly byPath = new Map<string, Map<WatcherId, WatchMode>>();
  readonly byWatcher = new Map<WatcherId, Set<string>>();
  recursiveCount = 0;

  add(path: string, watcher: WatcherId, mode: WatchMode): void {
    let watchers = this.byPath.get(path);
    if (watchers === undefined) this.byPath.set(path, (watchers = new Map()));
    const previous = watchers.get(watcher);
    if (previous === 'recursive') this.recursiveCount--;
    if (mode === 'recursive') this.recursiveCount++;
    watchers.set(watcher, mode);
    let paths = this.byWatcher.get(watcher);
    if (paths === undefined) this.byWatcher.set(watcher, (paths = new Set()));
    paths.add(path);
  }

  remove(path: string, watcher: WatcherId): boolean {
    const watchers = this.byPath.get(path);
    const mode = watchers?.get(watcher);
    if (watchers === undefined || mode === undefined) return false;
    if (mode === 'recursive') this.recursiveCount--;
    this.removeFound(path, watchers, watcher);
    return true;
  }

  /**
   * Takes `watcher` out of `path`'s entry `watchers` (held by the caller: fire iterates it) and
   * out of its own index; the caller has accounted for a recursive watch.
   */
  private removeFound(path: string, watchers: Map<WatcherId, WatchMode>, watcher: WatcherId): void {
    watchers.delete(watcher);
    if (watchers.size === 0) this.byPath.delete(path);
    const paths = this.byWatcher.get(watcher);
    if (paths === undefined) return;
    paths.delete(path);
    if (paths.size === 0) this.byWatcher.delete(watcher);
  }

  has(path: string, watcher: WatcherId): boolean {
    return this.byPath.get(path)?.has(watcher) ?? false;
  }

  removeWatcher(watcher: WatcherId): void {
    const paths = this.byWatcher.get(watcher);
    if (paths === undefined) return;
    for (const path of [...paths]) this.remove(path, watcher);
  }

  /** WatchManager.triggerWatch: the path's own watchers, then recursive ones on its ancestors. */
  fire(path: string, type: number, into: Set<WatcherId>): void {
    let current = path;
    let atParent = false;
    for (;;) {
      const watchers = this.byPath.get(current);
      if (watchers !== undefined) {
        for (const [watcher, mode] of watchers) {
          if (mode === 'recursive') {
            if (type !== EventType.NodeChildrenChanged) into.add(watcher);
          } else if (!atParent) {
            into.add(watcher);
            if (mode === 'standard') this.removeFound(current, watchers, watcher);
          }
        }
      }
      if (this.recursiveCount === 0 || current === '/') return;
      current = parentOf(current);
      atParent = true;
    }
  }

  get size(): number {
    let count = 0;
    for (const watchers of this.byPath.values()) count += watchers.size;
    return count;
  }
}

export class WatchManager {
  private readonly data = new WatchTable();
  private readonly child = new WatchTable();

  /** getData or exists with watch=true. */
  addDataWatch(path: string, watcher: WatcherId): void {
    this.data.add(path, watcher, 'standard');
  }

  /** getChildren with watch=true. */
  addChildWatch(path: string, watcher: WatcherId): void {
    this.child.add(path, watcher, 'standard');
  }

  /** addWatch: both modes go in both tables, as in ZooKeeper 3.8 (removeWatches sees them there). */
  addPersistentWatch(path: string, watcher: WatcherId, recursive: boolean): void {
    const mode = recursive ? 'recursive' : 'persistent';
    this.data.add(path, watcher, mode);
    this.child.add(path, watcher, mode);
  }

  /**
   * Who to notify for the tree's triggers, in order; standard watches are consumed (even when the
   * caller then withholds the event because the watcher may not read the node).
   */
  trigger(triggers: readonly WatchTrigger[]): Notification[] {
    const out: Notification[] = [];
    for (const t of triggers) {
      const watchers = new Set<WatcherId>();
      if (t.type === EventType.NodeChildrenChanged) {
        this.child.fire(t.path, t.type, watchers);
      } else if (t.type === EventType.NodeDeleted) {
        this.data.fire(t.path, t.type, watchers);
        this.child.fire(t.path, t.type, watchers);
      } else {
        this.data.fire(t.path, t.type, watchers);
      }
      for (const watcher of watchers) out.push({ watcher, type: t.type, path: t.path, acl: t.acl });
    }
    return out;
  }

  /** checkWatches: does `watcher` have a watch of `type` on `path`? */
  contains(path: string, type: number, watcher: WatcherId): boolean {
    switch (type) {
      case WatcherType.Children:
        return this.child.has(path, watcher);
      case WatcherType.Data:
        return this.data.has(path, watcher);
      case WatcherType.Any:
        return this.child.has(path, watcher) || this.data.has(path, watcher);
      default:
        return false;
    }
  }

  /** removeWatches: removes and reports whether anything was there. */
  remove(path: string, type: number, watcher: WatcherId): boolean {
    switch (type) {
      case WatcherType.Children:
        return this.child.remove(path, watcher);
      case WatcherType.Data:
        return this.data.remove(path, watcher);
      case WatcherType.Any: {
        const removedChild = this.child.remove(path, watcher);
        const removedData = this.data.remove(path, watcher);
        return removedChild || removedData;
      }
      default:
        return false;
    }
  }

  /** Forgets every watch of a closed connection. */
  removeWatcher(watcher: WatcherId): void {
    this.data.removeWatcher(watcher);
    this.child.removeWatcher(watcher);
  }

  /** Total watches (`wchs`), counting each (path, watcher) pair per table. */
  get watchCount(): number {
    return this.data.size + this.child.size;
  }

  /**
   * Data-table watches by watcher (`wchc`). ZooKeeper's wchc, wchp and wchs report the data
   * table only (exists, getData and addWatch watches); child watches are counted, not listed.
   */
  dataPathsByWatcher(): ReadonlyMap<WatcherId, ReadonlySet<string>> {
    return this.data.byWatcher;
  }

  /** Data-table watches by path (`wchp`). */
  dataWatchersByPath(): Map<string, WatcherId[]> {
    const out = new Map<string, WatcherId[]>();
    for (const [path, watchers] of this.data.byPath) out.set(path, [...watchers.keys()]);
    return out;
  }

  /** Watches in the data table (`wchs` Total watches). */
  get dataWatchCount(): number {
    return this.data.size;
  }
}
