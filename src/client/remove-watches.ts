/**
 * The client half of removeWatches/checkWatches, as the Java client's WatchDeregistration
 * does it once the server has answered: check that the client holds such a watch, remove it
 * (always with `local`, else only if the server agreed) and tell each removed listener.
 */
import { EventType, KeeperState } from '../proto/defs.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { callListener } from './state-listeners.js';
import type { Watcher } from './types.js';
import type { WatchRegistry } from './watch-registry.js';

/** What was asked and what the server answered. */
export interface RemoveWatchesOutcome {
  readonly path: string;
  readonly type: number;
  /** Only this listener's watches, or all on the path. */
  readonly listener: Watcher | undefined;
  readonly local: boolean;
  /** The server's err, or the client-side failure code (CONNECTIONLOSS, ...). */
  readonly code: number;
}

/** Applies a removeWatches outcome to `registry`; throws KeeperError when Java would. */
export function removeWatchesLocally(registry: WatchRegistry<Watcher>, outcome: RemoveWatchesOutcome): void {
  const { path, type, listener, local, code } = outcome;
  if (!registry.has(path, type, listener)) throw new KeeperError(ErrorCode.NOWATCHER, path);
  if (!local && code !== ErrorCode.OK) throw new KeeperError(code, path);
  const removed = registry.remove(path, type, listener);
  if (removed === null) throw new KeeperError(ErrorCode.NOWATCHER, path);
  const lost = code === ErrorCode.CONNECTIONLOSS || code === ErrorCode.SESSIONEXPIRED;
  const state = lost ? KeeperState.Disconnected : KeeperState.SyncConnected;
  const notify = (listeners: Set<Watcher>, eventType: number) => {
    for (const l of listeners) callListener(l, { type: eventType, state, path });
  };
  notify(removed.childWatchRemoved, EventType.ChildWatchRemoved);
  notify(removed.dataWatchRemoved, EventType.DataWatchRemoved);
  notify(removed.persistentWatchRemoved, EventType.PersistentWatchRemoved);
}
