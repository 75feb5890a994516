/**
 * Snapshots in ZooKeeper 3.8's format (FileSnap, SerializeUtils, DataTree.serialize):
 *
 *   Snapshot := FileHeader{int 'ZKSN', int 2, long -1}
 *               int sessionCount | (long sessionId, int timeoutMs)*
 *               int aclCount | (long aclRef, vector<ACL>)*
 *               (ustring path, buffer data, long aclRef, StatPersisted)*   -- parents first, root is ""
 *               ustring "/"                                                -- end of nodes
 *               long Adler32(every byte before) | ustring "/"              -- the seal
 *               [long digestZxid, int digestVersion, long digest | seal]   -- 3.6+ with digests on
 *               [long lastProcessedZxid | seal]                            -- 3.9 with that option on
 *
 * Each seal's checksum covers every byte of the file before it, earlier seals included. We write
 * the 3.8 layout with an empty digest (zxid 0), which ZooKeeper reads as "no digest to compare".
 * The file is named after the zxid of the tree it holds: `snapshot.<hex zxid>`.
 */
import { assert } from '../util/assert.js';
import { JuteReader, JuteError, JuteTruncatedError } from '../jute/reader.js';
import { JuteWriter } from '../jute/writer.js';
import type { Acl, StatPersisted } from '../proto/data.js';
import { readAcl, readStatPersisted, writeAclList, writeStatPersisted } from '../proto/data.js';
import type { FileSystem, AppendFile } from '../ports/file-system.js';
import { DataTree, type TreeSnapshotView } from '../tree/data-tree.js';
import type { AclEntry } from '../tree/acl-cache.js';
import { isChildPath, parentOf } from '../tree/path.js';
import type { Znode } from '../tree/znode.js';
import { adler32, ADLER32_INITIAL } from './adler32.js';
import { ByteWindow } from './byte-window.js';
import { CorruptSnapshotError } from './errors.js';
import {
  SNAPSHOT_PREFIX, joinPath, parseDataFileName, snapshotFileName, snapshotTempFileName, sortDataFiles, versionDir,
  type DataFileName,
} from './file-names.js';
import { FILE_HEADER_BYTES, FORMAT_VERSION, SNAP_MAGIC, encodeFileHeader } from './log-format.js';

/** The dbid ZooKeeper writes into snapshot headers. */
export const SNAPSHOT_DBID = -1n;
/** Bytes buffered before they are appended to the snapshot file. */
export const SNAPSHOT_WRITE_CHUNK_BYTES = 1024 * 1024;
/** Nodes serialised between two checks for a full chunk at most. */
const SNAPSHOT_BATCH_NODES = 512;
/** Nodes one snapshot may hold; a view yielding more is a programmer error (a cycle). */
export const SNAPSHOT_NODES_MAX = 2 ** 31;
/** Largest data or string field read from a snapshot (ZooKeeper may run with a raised jute.maxbuffer). */
export const SNAPSHOT_FIELD_BYTES_MAX = 1024 * 1024 * 1024;
/** The digest version ZooKeeper 3.8 writes (DigestCalculator.DIGEST_VERSION). */
const DIGEST_VERSION = 2;
/** A 3.9 lastProcessedZxid section: long + seal (long + ustring "/"). */
const LAST_ZXID_SECTION_BYTES = 8 + 8 + 5;
/** ZooKeeper's ref for world:anyone:cdrwa on nodes it made itself. */
const OPEN_ACL_REF = -1n;
const OPEN_ACL: readonly Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const END_OF_NODES = '/';
const SEAL_PATH = '/';

export interface SnapshotSession {
  readonly id: bigint;
  readonly timeoutMs: number;
}

export interface WriteSnapshotOptions {
  /** Nodes serialised between two `yieldFn` calls (limits.snapshotNodesPerSlice in the server). */
  readonly yieldEvery: number;
  /** Lets the event loop serve clients; the tree may change meanwhile (the view is copy-on-write). */
  readonly yieldFn: () => Promise<void>;
}

export interface WrittenSnapshot {
  readonly path: string;
  readonly zxid: bigint;
  readonly nodes: number;
  readonly bytes: number;
}

/** What a snapshot holds besides the nodes it loads into a tree. */
export interface LoadedSnapshot {
  /** The zxid in the file's name: every txn up to it is in the tree. */
  readonly zxid: bigint;
  readonly sessions: Map<bigint, number>;
}

/** The snapshot directory's snapshot files (any suffix), newest first. */
export async function listSnapshots(fs: FileSystem, dataDir: string): Promise<DataFileName[]> {
  const names = await fs.list(versionDir(dataDir));
  return sortDataFiles(names, SNAPSHOT_PREFIX).reverse();
}

/** Appends to a file through a buffer while keeping the running Adler32 of everything written. */
class ChecksummedSink {
  readonly writer = new JuteWriter(64 * 1024);
  checksum = ADLER32_INITIAL;
  bytes = 0;

  constructor(private readonly file: AppendFile) {}

  /** Appends the buffered bytes once they reach a chunk; otherwise returns at once. */
  flushIfLarge(): Promise<void> | undefined {
    return this.writer.length >= SNAPSHOT_WRITE_CHUNK_BYTES ? this.flush() : undefined;
  }

  /** Nothing is written to the writer until this resolves: the chunk goes out of its buffer, uncopied. */
  async flush(): Promise<void> {
    if (this.writer.length === 0) return;
    const chunk = this.writer.written();
    this.checksum = adler32(chunk, this.checksum);
    this.bytes += chunk.length;
    await this.file.append(chunk);
    this.writer.reset();
  }

  /** SnapStream.sealStream: the checksum of every byte so far, then "/". */
  async seal(): Promise<void> {
    await this.flush();
    this.writer.writeLong(BigInt(this.checksum)).writeString(SEAL_PATH);
  }
}

/**
 * Writes `view` and `sessions` to `<dataDir>/version-2/snapshot.<hex view.zxid>`: a temp file,
 * synced, then renamed over the final name and the directory synced, so the snapshot is either
 * absent or whole. Calls `yieldFn` every `yieldEvery` nodes. ALWAYS calls `view.end()`, also on
 * failure. The snapshot is durable when the returned promise resolves.
 */
export async function writeSnapshot(
  fs: FileSystem, dataDir: string, view: TreeSnapshotView, sessions: ReadonlyArray<SnapshotSession>,
  options: WriteSnapshotOptions,
): Promise<WrittenSnapshot> {
  try {
    assert(options.yieldEvery >= 1, 'yieldEvery must be at least 1');
    const dir = versionDir(dataDir);
    await fs.mkdirp(dir);
    const tempPath = joinPath(dir, snapshotTempFileName(view.zxid));
    const path = joinPath(dir, snapshotFileName(view.zxid));
    if (await fs.exists(tempPath)) await fs.remove(tempPath);
    const file = await fs.openAppend(tempPath);
    const written = await writeToFile(file, view, sessions, options);
    await fs.rename(tempPath, path);
    await fs.syncDir(dir);
    return { path, zxid: view.zxid, ...written };
  } finally {
    view.end();
  }
}

async function writeToFile(
  file: AppendFile, view: TreeSnapshotView, sessions: ReadonlyArray<SnapshotSession>, options: WriteSnapshotOptions,
): Promise<{ nodes: number; bytes: number }> {
  try {
    const sink = new ChecksummedSink(file);
    writeHeadSections(sink.writer, view, sessions);
    const nodes = await writeNodes(sink, view, options);
    sink.writer.writeString(END_OF_NODES);
    await sink.seal();
    sink.writer.writeLong(0n).writeInt(DIGEST_VERSION).writeLong(0n);
    await sink.seal();
    await sink.flush();
    await file.sync();
    await file.close();
    return { nodes, bytes: sink.bytes };
  } catch (error) {
    await file.close().catch((closeError: unknown) => {
      throw new AggregateError([error, closeError], 'snapshot write failed, and so did closing its file');
    });
    throw error;
  }
}

function writeHeadSections(w: JuteWriter, view: TreeSnapshotView, sessions: ReadonlyArray<SnapshotSession>): void {
  w.writeRaw(encodeFileHeader(SNAP_MAGIC, SNAPSHOT_DBID));
  w.writeInt(sessions.length);
  for (const session of sessions) w.writeLong(session.id).writeInt(session.timeoutMs);
  w.writeInt(view.acls.length);
  for (const entry of view.acls) {
    w.writeLong(entry.ref);
    writeAclList(w, entry.acl);
  }
}

async function writeNodes(sink: ChecksummedSink, view: TreeSnapshotView, options: WriteSnapshotOptions): Promise<number> {
  const refs = new Set(view.acls.map((entry) => entry.ref));
  const writer = sink.writer;
  let nodes = 0;
  const write = (path: string, node: Znode): void => {
    assert(nodes < SNAPSHOT_NODES_MAX, 'snapshot view yields more nodes than SNAPSHOT_NODES_MAX');
    assert(refs.has(node.acl.ref), () => `snapshot node ${path} uses ACL ref ${node.acl.ref} missing from the view`);
    writer.writeString(path === '/' ? '' : path).writeLatin1Buffer(node.stored).writeLong(node.acl.ref);
    writeStatPersisted(writer, node);
    nodes++;
  };
  // Nodes go in batches that end at every yield point, small enough to keep a chunk near its size.
  for (let more = true; more;) {
    const batch = Math.min(SNAPSHOT_BATCH_NODES, options.yieldEvery - (nodes % options.yieldEvery));
    more = view.walkSome(batch, write);
    const flushing = sink.flushIfLarge();
    if (flushing !== undefined) await flushing;
    if (more && nodes % options.yieldEvery === 0) await options.yieldFn();
  }
  return nodes;
}

// ---- reading ----

interface SnapshotNode {
  readonly path: string;
  /** null when ZooKeeper wrote a null buffer (length -1). A view into the read window. */
  readonly data: Buffer | null;
  readonly aclRef: bigint;
  readonly stat: StatPersisted;
}

interface ParsedSnapshot {
  readonly sessions: Map<bigint, number>;
  readonly acls: Map<bigint, Acl[]>;
  readonly nodes: number;
}

/**
 * Progress of a long load: `done` of `total` (0 when unknown) in `phase`. For 'snapshot' these
 * are bytes of the snapshot file (its node count is only known at its end); for 'log', txns.
 */
export type LoadProgress = (phase: 'snapshot' | 'log', done: number, total: number) => void;

/** Nodes (or txns) between two progress reports. */
export const PROGRESS_EVERY = 10_000;

/**
 * Loads the snapshot at `path` into `tree`, which must be FRESH (as constructed). The file is
 * read once, front to back, in windows (byte-window.ts), into a tree of its own; only when the
 * whole file has proved valid (header, structure, every seal's checksum) does that tree replace
 * `tree`'s content, so a CorruptSnapshotError leaves `tree` as it was. Sets
 * `tree.lastProcessedZxid` to the zxid of the file name.
 */
export async function loadSnapshot(fs: FileSystem, path: string, tree: DataTree, onProgress?: LoadProgress, options: ReadOptions = {}): Promise<LoadedSnapshot> {
  const name = path.substring(path.lastIndexOf('/') + 1);
  const parsedName = parseDataFileName(name, SNAPSHOT_PREFIX);
  if (parsedName === undefined) throw new CorruptSnapshotError(path, 'file name carries no zxid');
  if (parsedName.suffix !== '') throw new CorruptSnapshotError(path, `unsupported snapshot kind .${parsedName.suffix}`);
  const loaded = new DataTree();
  let acls: Map<bigint, Acl[]> = new Map();
  // Interned by content rather than by the file's refs: refs are private to each snapshot, and
  // reusing them could collide with the entries a fresh tree already holds. Each ref is looked
  // up by content once; its later nodes take the same entry again.
  const entries = new Map<bigint, AclEntry>();
  const entryOf = (ref: bigint): AclEntry => {
    const known = entries.get(ref);
    if (known !== undefined) return loaded.aclCache.acquireAgain(known);
    const entry = loaded.aclCache.acquire(ref === OPEN_ACL_REF ? OPEN_ACL : acls.get(ref)!);
    entries.set(ref, entry);
    return entry;
  };
  // Siblings come one after another: the last parent is kept, sparing a lookup per node.
  let lastParentPath = '';
  let lastParent: Znode | undefined;
  const parsed = await readSnapshot(fs, path, {
    onAcls: (read) => (acls = read),
    onNode: (node) => {
      const nodePath = node.path === '' ? '/' : node.path;
      let parent: Znode | undefined;
      if (nodePath !== '/') {
        if (lastParent !== undefined && isChildPath(nodePath, lastParentPath)) {
          parent = lastParent;
        } else {
          lastParentPath = parentOf(nodePath);
          lastParent = parent = loaded.getNode(lastParentPath);
        }
        if (parent === undefined) throw new CorruptSnapshotError(path, `node ${nodePath} comes before its parent`);
      }
      // The data is a view of the read window: loadNode copies it (and hashes the Buffer, faster than the copy).
      loaded.loadNode(nodePath, node.data, entryOf(node.aclRef), node.stat, parent);
      // A node loaded again (only in a damaged file) is a new object: look its path up afresh.
      if (nodePath === lastParentPath) lastParent = undefined;
    },
    ...(onProgress === undefined ? {} : { onProgress: (done: number, total: number) => onProgress('snapshot', done, total) }),
  }, options);
  tree.replaceWith(loaded);
  tree.lastProcessedZxid = parsedName.zxid;
  return { zxid: parsedName.zxid, sessions: parsed.sessions };
}

/** Checks a snapshot file without loading it: undefined when valid, else why not. */
export async function snapshotProblem(fs: FileSystem, path: string, options: ReadOptions = {}): Promise<string | undefined> {
  try {
    const name = path.substring(path.lastIndexOf('/') + 1);
    const parsedName = parseDataFileName(name, SNAPSHOT_PREFIX);
    if (parsedName === undefined || parsedName.suffix !== '') return 'not an uncompressed snapshot name';
    await readSnapshot(fs, path, {}, options);
    return undefined;
  } catch (error) {
    if (error instanceof CorruptSnapshotError) return error.reason;
    throw error;
  }
}

/** How a snapshot is read. */
export interface ReadOptions {
  /** Bytes read from the file at a time at least (byte-window.ts); tests make it small. */
  readonly windowBytes?: number;
}

interface ReadHandlers {
  readonly onAcls?: (acls: Map<bigint, Acl[]>) => void;
  /** `node.data` is a view of the read window, valid only during the call: copy what is kept. */
  readonly onNode?: (node: SnapshotNode) => void;
  /** Bytes of the file read so far, of its size. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Reads and validates the whole snapshot once, front to back, passing each node on as it goes. */
async function readSnapshot(fs: FileSystem, path: string, handlers: ReadHandlers, options: ReadOptions): Promise<ParsedSnapshot> {
  const window = await ByteWindow.open(fs, path, SNAPSHOT_FIELD_BYTES_MAX, options.windowBytes);
  let at = 0;
  try {
    if (window.size < FILE_HEADER_BYTES) throw new CorruptSnapshotError(path, 'file header cut short');
    at = await window.each(at, (r) => readFileHeader(r, path));
    const sessions = new Map<bigint, number>();
    at = await countedItems(window, at, 12, 'session count', (r) => {
      const id = r.readLong();
      sessions.set(id, r.readInt());
    });
    const acls = new Map<bigint, Acl[]>();
    at = await countedItems(window, at, 12, 'ACL cache size', (r) => {
      const ref = r.readLong();
      const list = r.readVector(readAcl);
      if (list === null) throw new CorruptSnapshotError(path, `ACL ref ${ref} has a null list`);
      acls.set(ref, list);
    });
    handlers.onAcls?.(acls);
    let nodes = 0;
    const nodesMax = window.size;
    at = await window.each(at, (r) => {
      const nodePath = r.readStringNonNull('node path');
      if (nodePath === END_OF_NODES) {
        if (nodes === 0) throw new CorruptSnapshotError(path, 'no root node');
        return true;
      }
      if (nodes === 0 && nodePath !== '') throw new CorruptSnapshotError(path, `first node is ${nodePath}, not the root`);
      if (nodes > 0 && !nodePath.startsWith('/')) throw new CorruptSnapshotError(path, `bad node path ${JSON.stringify(nodePath)}`);
      const data = r.readBuffer();
      const aclRef = r.readLong();
      const stat = readStatPersisted(r);
      if (aclRef !== OPEN_ACL_REF && !acls.has(aclRef)) throw new CorruptSnapshotError(path, `node ${nodePath} uses unknown ACL ref ${aclRef}`);
      handlers.onNode?.({ path: nodePath, data, aclRef, stat });
      if (++nodes > nodesMax) throw new CorruptSnapshotError(path, 'node list does not end');
      if (handlers.onProgress !== undefined && nodes % PROGRESS_EVERY === 0) handlers.onProgress(window.fileOffset(r.position), window.size);
      return false;
    });
    // The trailer is read with every remaining byte in the window: its layout depends on how many there are.
    await window.each(at, (r) => {
      if (!window.atEnd) throw new JuteTruncatedError('the trailer needs the rest of the file');
      readTrailer(r, window, path);
      return true;
    });
    handlers.onProgress?.(window.size, window.size);
    return { sessions, acls, nodes };
  } catch (error) {
    if (error instanceof JuteError) throw new CorruptSnapshotError(path, `${error.message} (near offset ${at})`);
    throw error;
  } finally {
    await window.close();
  }
}

/** An int count (each item at least `itemBytesMin` long), then that many items. */
async function countedItems(window: ByteWindow, at: number, itemBytesMin: number, what: string, readItem: (r: JuteReader) => void): Promise<number> {
  let count = -1;
  let done = 0;
  return window.each(at, (r) => {
    if (count < 0) {
      count = r.readInt();
      if (count < 0 || count * itemBytesMin > window.size - window.fileOffset(r.position)) throw new JuteError(`${what} ${count}`);
    } else {
      readItem(r);
      done++;
    }
    return done >= count;
  });
}

function readFileHeader(r: JuteReader, path: string): true {
  const magic = r.readInt();
  if (magic !== SNAP_MAGIC) throw new CorruptSnapshotError(path, `bad magic 0x${(magic >>> 0).toString(16)}`);
  const version = r.readInt();
  if (version !== FORMAT_VERSION) throw new CorruptSnapshotError(path, `unsupported snapshot version ${version}`);
  r.readLong();
  return true;
}

/** The seal, then the optional digest and lastProcessedZxid sections, each with its own seal. */
function readTrailer(r: JuteReader, window: ByteWindow, path: string): void {
  readSeal(r, window, path, 'snapshot');
  if (r.remaining === 0) return;
  if (r.remaining !== LAST_ZXID_SECTION_BYTES) {
    r.readLong();
    const digestVersion = r.readInt();
    if (digestVersion < 2) r.readString();
    else r.readLong();
    readSeal(r, window, path, 'digest');
  }
  if (r.remaining >= LAST_ZXID_SECTION_BYTES) {
    r.readLong();
    readSeal(r, window, path, 'lastProcessedZxid');
  }
}

/** SnapStream.checkSealIntegrity: the checksum of every byte of the file before the seal. */
function readSeal(r: JuteReader, window: ByteWindow, path: string, what: string): void {
  const checksum = window.checksumTo(window.fileOffset(r.position));
  const stored = r.readLong();
  const sealPath = r.readString();
  if (stored !== BigInt(checksum)) throw new CorruptSnapshotError(path, `${what} checksum mismatch`);
  if (sealPath !== SEAL_PATH) throw new CorruptSnapshotError(path, `${what} seal is not "/"`);
}
