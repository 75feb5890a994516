/**
 * The admin `restore` command's server side, for a standalone server (ZooKeeper 3.9's
 * ZooKeeperServer.restoreFromSnapshot): the POSTed snapshot replaces the live tree and sessions.
 *
 * Order, so that a bad body changes nothing:
 *   1. parse and validate the WHOLE snapshot (header, nodes, every seal) into a fresh tree;
 *   2. swap it into the live tree in one event-loop turn (no request sees half of it);
 *   3. make the sessions those of the snapshot, as ZooKeeper re-creates its session tracker:
 *      sessions absent from it are dropped (their clients get SESSIONEXPIRED), its sessions are
 *      tracked afresh and expire unless their clients come back;
 *   4. write the live tree as the newest snapshot, so a restart recovers the restored tree.
 *
 * Unlike ZooKeeper, which keeps the restored tree only in memory (a restart brings back the old
 * one from its snapshot and log), the tree keeps the server's last zxid: the snapshot written in
 * step 4 is named after it, later txns continue the numbering, and recovery replays only them.
 * Watches stay registered (ZooKeeper drops them silently with its old DataTree); they fire on
 * the next change.
 */
import type { AppendFile, FileSystem } from '../ports/file-system.js';
import { CONFIG_NODE } from '../proto/defs.js';
import type { ZkServer } from '../server/zk-server.js';
import { adler32, ADLER32_INITIAL } from '../storage/adler32.js';
import { FILE_HEADER_BYTES } from '../storage/log-format.js';
import { loadSnapshot } from '../storage/snapshot.js';
import { DataTree } from '../tree/data-tree.js';
import type { Logger } from '../runtime/logger.js';

/** Where the POSTed bytes appear to live for the snapshot reader (never touched on disk). */
const BODY_PATH = '/restore-body/snapshot.0';
/** A seal: long Adler32 of every byte before it, then ustring "/" (int 1, '/'). */
const SEAL_BYTES = 8 + 4 + 1;
/** 3.9's lastProcessedZxid section: the zxid, then its seal. */
const LAST_ZXID_SECTION_BYTES = 8 + SEAL_BYTES;
const SLASH = 0x2f;

/** What restore needs from the server it runs in. */
export interface RestoreDeps {
  readonly server: ZkServer;
  /** Writes the live tree as the newest snapshot (the server's snapshot scheduler, one at a time). */
  readonly takeSnapshot: () => Promise<{ readonly path: string; readonly zxid: bigint }>;
  readonly nowMs: () => number;
  readonly log: Logger;
}

export interface Restored {
  /**
   * The zxid the snapshot was taken at: its 3.9 lastProcessedZxid section when it has one (as
   * ZooKeeper answers), else the highest zxid in its nodes' stats (a lower bound: 3.8-layout
   * snapshots, ours included, carry the zxid only in their file name, which a stream lacks).
   */
  readonly lastZxid: bigint;
  readonly nodes: number;
  readonly sessions: number;
  /** The snapshot file the restored tree was written to. */
  readonly snapshotPath: string;
}

/** A body that is not a snapshot, or a restore already running. */
export class RestoreError extends Error {
  override name = 'RestoreError';
}

/** Returns the function the admin context's `restore` port calls; one restore runs at a time. */
export function createRestorer(deps: RestoreDeps): (snapshot: Buffer) => Promise<Restored> {
  let running = false;
  return async (snapshot) => {
    if (running) throw new RestoreError('a restore is already running');
    running = true;
    try {
      return await restore(snapshot, deps);
    } finally {
      running = false;
    }
  };
}

async function restore(snapshot: Buffer, deps: RestoreDeps): Promise<Restored> {
  const startedMs = deps.nowMs();
  const { server, log } = deps;
  const live = server.tree;
  // An ensemble member restoring alone would diverge from its peers.
  if (server.role !== 'standalone') throw new RestoreError(`restore is only available on a standalone server (this one is ${server.role})`);
  if (snapshot.length === 0) throw new RestoreError('the request body is empty: POST a snapshot');
  log('INFO', `Before restore database. lastProcessedZxid=0x${live.lastProcessedZxid.toString(16)}, nodeCount=${live.nodeCount}, sessionCount=${server.sessions.size}`, 'restore');

  // 1. Everything is checked before the live tree is touched (loadSnapshot validates the whole file first).
  const fresh = new DataTree(live.getNode(CONFIG_NODE)?.data ?? Buffer.alloc(0));
  const loaded = await loadSnapshot(new BodyFileSystem(snapshot), BODY_PATH, fresh);
  fresh.setupQuotas();
  const lastZxid = trailingLastZxid(snapshot) ?? highestZxid(fresh);

  // 2. The swap: synchronous, so no request interleaves.
  const serverZxid = live.lastProcessedZxid;
  live.replaceWith(fresh);
  live.lastProcessedZxid = serverZxid;

  // 3. The snapshot's sessions, as ZooKeeper's createSessionTracker from the new database.
  const now = deps.nowMs();
  for (const session of [...server.sessions.all()]) {
    if (!loaded.sessions.has(session.id)) server.sessions.remove(session.id);
  }
  for (const [id, timeoutMs] of loaded.sessions) {
    if (server.sessions.get(id) === undefined) server.sessions.add(id, timeoutMs, now);
  }
  log('INFO', `Restored to a new database. lastProcessedZxid=0x${lastZxid.toString(16)}, nodeCount=${live.nodeCount}, sessionCount=${server.sessions.size}`, 'restore');

  // 4. Durable: the newest snapshot now holds the restored tree.
  const written = await deps.takeSnapshot();
  log('INFO', `Restore taken in ${deps.nowMs() - startedMs} ms; the restored tree is in ${written.path}`, 'restore');
  return { lastZxid, nodes: live.nodeCount, sessions: loaded.sessions.size, snapshotPath: written.path };
}

/**
 * The zxid of a 3.9 lastProcessedZxid section ending the snapshot: `... seal | long zxid | seal`,
 * both seals checked (each is the Adler32 of every byte before it), else undefined. The snapshot
 * is already known to be valid; this only tells whether its last section is that one.
 */
function trailingLastZxid(bytes: Buffer): bigint | undefined {
  const end = bytes.length;
  const sectionStart = end - LAST_ZXID_SECTION_BYTES;
  const previousSeal = sectionStart - SEAL_BYTES;
  if (previousSeal < FILE_HEADER_BYTES) return undefined;
  const lastSeal = end - SEAL_BYTES;
  if (!looksLikeSeal(bytes, previousSeal) || !looksLikeSeal(bytes, lastSeal)) return undefined;
  const beforePrevious = adler32(bytes, ADLER32_INITIAL, 0, previousSeal);
  if (bytes.readBigInt64BE(previousSeal) !== BigInt(beforePrevious)) return undefined;
  if (bytes.readBigInt64BE(lastSeal) !== BigInt(adler32(bytes, beforePrevious, previousSeal, lastSeal))) return undefined;
  return bytes.readBigInt64BE(sectionStart);
}

function looksLikeSeal(bytes: Buffer, at: number): boolean {
  return bytes.readInt32BE(at + 8) === 1 && bytes[at + 12] === SLASH;
}

/** The highest czxid, mzxid or pzxid in the tree (every node is visited once). */
function highestZxid(tree: DataTree): bigint {
  let highest = 0n;
  const stack = ['/'];
  for (let visited = 0; stack.length > 0 && visited <= tree.nodeCount; visited++) {
    const path = stack.pop()!;
    const node = tree.getNode(path);
    if (node === undefined) continue;
    for (const zxid of [node.czxid, node.mzxid, node.pzxid]) if (zxid > highest) highest = zxid;
    for (const child of node.childPaths()) stack.push(child);
  }
  return highest;
}

/** A FileSystem holding one read-only file, the POSTed body, for the snapshot reader. */
class BodyFileSystem implements FileSystem {
  constructor(private readonly body: Buffer) {}

  async readFile(path: string): Promise<Buffer> {
    if (path !== BODY_PATH) throw new RestoreError(`no such file ${path}`);
    return this.body;
  }

  async exists(path: string): Promise<boolean> {
    return path === BODY_PATH;
  }

  async list(): Promise<string[]> {
    return [];
  }

  mkdirp(): Promise<void> {
    return this.readOnly();
  }

  openAppend(): Promise<AppendFile> {
    return this.readOnly();
  }

  writeFileAtomic(): Promise<void> {
    return this.readOnly();
  }

  truncate(): Promise<void> {
    return this.readOnly();
  }

  remove(): Promise<void> {
    return this.readOnly();
  }

  rename(): Promise<void> {
    return this.readOnly();
  }

  syncDir(): Promise<void> {
    return this.readOnly();
  }

  private readOnly(): Promise<never> {
    return Promise.reject(new RestoreError('the restore body is read-only'));
  }
}
