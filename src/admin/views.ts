/**
 * The server's state as the admin surfaces list it (connections, sessions by expiry, ephemerals,
 * watches by session and by path), shared by the four-letter words and the HTTP commands so the
 * two always agree.
 */
import type { ConnectionStats } from '../server/server-stats.js';
import type { AdminContext } from './admin-context.js';

/** One established client connection. */
export interface ConnectionRow {
  /** `ip:port` of the client. */
  readonly address: string;
  /** SelectionKey interest ops as ZooKeeper prints them: 1 (OP_READ) while the server reads from it. */
  readonly interestOps: number;
  readonly queued: number;
  readonly sessionId: bigint;
  readonly timeoutMs: number;
  readonly stats: ConnectionStats;
}

/** A session id as ZooKeeper prints it: unsigned hex, no padding. */
export function sessionHex(id: bigint): string {
  return BigInt.asUintN(64, id).toString(16);
}

/** A session id as a Java long (Jackson writes ids as signed numbers). */
export function sessionLong(id: bigint): bigint {
  return BigInt.asIntN(64, id);
}

export function connectionRows(ctx: AdminContext): ConnectionRow[] {
  const rows: ConnectionRow[] = [];
  for (const c of ctx.server.connectionInfos()) {
    rows.push({
      address: `${c.link.remoteAddress}:${c.link.remotePort}`, interestOps: 1, queued: c.queued,
      sessionId: c.sessionId, timeoutMs: c.timeoutMs, stats: c.stats,
    });
  }
  return rows;
}

/** `crst`: every connection's counters back to zero. */
export function resetConnectionStats(ctx: AdminContext): void {
  for (const c of ctx.server.connectionInfos()) c.stats.reset();
}

/** Sessions grouped by the tick at which they expire, earliest first (SessionTracker's buckets). */
export function sessionExpiryBuckets(ctx: AdminContext): Array<{ expiresAtMs: number; sessions: bigint[] }> {
  const buckets = new Map<number, bigint[]>();
  for (const session of ctx.server.sessions.all()) {
    if (session.closing) continue;
    const list = buckets.get(session.expiresAtMs);
    if (list === undefined) buckets.set(session.expiresAtMs, [session.id]);
    else list.push(session.id);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([expiresAtMs, sessions]) => ({ expiresAtMs, sessions }));
}

export function ephemeralsBySession(ctx: AdminContext): Array<[bigint, string[]]> {
  return [...ctx.server.tree.ephemeralOwners()].map(([id, paths]) => [id, [...paths]]);
}

/** Watcher (connection) id -> the session on that connection. */
function sessionOfWatcher(ctx: AdminContext): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const c of ctx.server.connectionInfos()) out.set(c.link.id, c.sessionId);
  return out;
}

/** The data-watch table by session (`wchc`; ZooKeeper lists only data watches here). */
export function watchesBySession(ctx: AdminContext): Array<[bigint, string[]]> {
  const sessionOf = sessionOfWatcher(ctx);
  return [...ctx.server.watches.dataPathsByWatcher()].map(([watcher, paths]) => [sessionOf.get(watcher) ?? 0n, [...paths]]);
}

/** The data-watch table by path (`wchp`). */
export function watchesByPath(ctx: AdminContext): Array<[string, bigint[]]> {
  const sessionOf = sessionOfWatcher(ctx);
  return [...ctx.server.watches.dataWatchersByPath()].map(([path, watchers]) => [path, watchers.map((w) => sessionOf.get(w) ?? 0n)]);
}

export function environmentOf(ctx: AdminContext): Array<[string, string]> {
  return ctx.host.environment();
}

/** `<dir>/version-2`, as ZooKeeper's conf prints its snapshot and log directories. */
export function versionDir(dir: string): string {
  return `${dir.replace(/\/+$/, '')}/version-2`;
}
