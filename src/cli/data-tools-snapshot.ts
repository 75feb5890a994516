/**
 * `snapshot-dump`: what ZooKeeper 3.8's SnapshotFormatter (zkSnapShotToolkit.sh) prints, byte for
 * byte. It loads the snapshot as DataTree.deserialize does and walks it from "/", visiting each
 * node's children in its HashSet's order: that order is a function of the names and of the order
 * the snapshot lists them in (data-tools-java.ts reproduces it).
 *
 * Facts kept from the Java tool: the node count includes the root twice (it is stored under ""
 * and "/"); `Last zxid` is the larger of the file name's zxid (-1 when the name has none) and the
 * largest mzxid/pzxid in the tree; the session list is a HashMap<Long, Integer> in its own order,
 * each with the number of ephemerals the session owns; 3.8 never prints the snapshot's digest;
 * and it does not check the checksum (we do, and warn on stderr, leaving stdout as Java's).
 */
import { JuteError, JuteReader } from '../jute/reader.js';
import { readAcl, readStatPersisted, type StatPersisted } from '../proto/data.js';
import { EphemeralOwner } from '../proto/defs.js';
import { adler32, ADLER32_INITIAL } from '../storage/adler32.js';
import { SNAP_MAGIC } from '../storage/log-format.js';
import {
  JavaHashOrder, jacksonQuote, javaDate, javaHex, javaHexPadded, javaLongCompare, javaLongHash,
  javaStringSetOrder, javaZxidFromName,
} from './data-tools-java.js';
import { javaUtf8Decode } from './data-tools-utf8.js';

/** Largest buffer or string read from a snapshot (ZooKeeper may run with a raised jute.maxbuffer). */
const SNAPSHOT_FIELD_BYTES_MAX = 1024 * 1024 * 1024;
/** DataNode.addChild: `new HashSet<String>(8)`. */
const CHILDREN_SET_CAPACITY = 8;
/** SnapshotFormatter's ncdu inode counter starts here (its first node gets 1001). */
const FIRST_INODE = 1001;
const SEAL_PATH = '/';

/** One znode as the snapshot holds it. */
export interface DumpNode {
  readonly data: Buffer | null;
  readonly stat: StatPersisted;
  /** Child names in the order the snapshot listed them (the order they were added to the HashSet). */
  readonly children: string[];
}

/** A snapshot loaded the way SnapshotFormatter loads it. */
export interface LoadedDump {
  /** Every node by its stored path, the root under "" (or its stored name) and also under "/", as DataTree keeps them. */
  readonly nodes: Map<string, DumpNode>;
  /** Sessions in snapshot order: id and timeout (ms); a repeated id keeps its first place. */
  readonly sessions: Map<bigint, number>;
  /** Paths owned by each ephemeral owner (containers and TTL nodes are not counted, as in Java). */
  readonly ephemerals: Map<bigint, Set<string>>;
  /** Nodes listed in the file, the root included. */
  readonly fileNodes: number;
  /** Why the checksum seal does not validate, or undefined when it does. */
  readonly sealProblem: string | undefined;
}

/** Thrown for a snapshot the Java tool would also fail on; `message` says why. */
export class SnapshotDumpError extends Error {
  override name = 'SnapshotDumpError';
}

/** Parses a snapshot's bytes (already decompressed). Calls `onProgress(offset)` now and then. */
export function loadSnapshotForDump(bytes: Buffer, onProgress?: (offset: number) => void): LoadedDump {
  const r = new JuteReader(bytes, 0, bytes.length, SNAPSHOT_FIELD_BYTES_MAX);
  try {
    const magic = r.readInt();
    r.readInt();
    r.readLong();
    if (magic !== SNAP_MAGIC) throw new SnapshotDumpError(`mismatching magic headers ${magic} !=  ${SNAP_MAGIC}`);
    const sessions = readSessions(r);
    skipAclCache(r);
    const tree = readTree(r, onProgress);
    return { ...tree, sessions, sealProblem: sealProblem(r, bytes) };
  } catch (error) {
    if (error instanceof JuteError) throw new SnapshotDumpError(`${error.message} (at offset ${r.position})`);
    throw error;
  }
}

function readSessions(r: JuteReader): Map<bigint, number> {
  const count = r.readInt();
  const sessions = new Map<bigint, number>();
  for (let i = 0; i < count; i++) {
    const id = r.readLong();
    sessions.set(id, r.readInt());
  }
  return sessions;
}

function skipAclCache(r: JuteReader): void {
  const count = r.readInt();
  for (let i = 0; i < count; i++) {
    r.readLong();
    r.readVector(readAcl);
  }
}

function readTree(r: JuteReader, onProgress: ((offset: number) => void) | undefined): Omit<LoadedDump, 'sessions' | 'sealProblem'> {
  // Keyed by the path as stored (the root is ""), exactly like DataTree.nodes.
  const nodes = new Map<string, DumpNode>();
  const ephemerals = new Map<bigint, Set<string>>();
  let root: DumpNode | undefined;
  let fileNodes = 0;
  // Every node consumes bytes, so the file's length bounds the loop.
  const nodesMax = r.remaining;
  for (let path = readJavaString(r); path !== SEAL_PATH; path = readJavaString(r)) {
    if (path === null) throw new SnapshotDumpError('null node path');
    if (fileNodes > nodesMax) throw new SnapshotDumpError('node list does not end');
    // A view into the file, which is held for the whole dump anyway.
    const data = r.readBuffer();
    r.readLong();
    const stat = readStatPersisted(r);
    fileNodes++;
    if ((fileNodes & 0x3fff) === 0) onProgress?.(r.position);
    const node: DumpNode = { data, stat, children: [] };
    nodes.set(path, node);
    const lastSlash = path.lastIndexOf('/');
    if (lastSlash === -1) {
      root = node;
      continue;
    }
    const parentPath = path.substring(0, lastSlash);
    const parent = nodes.get(parentPath);
    if (parent === undefined) throw new SnapshotDumpError(`Invalid Datatree, unable to find parent ${parentPath} of path ${path}`);
    parent.children.push(path.substring(lastSlash + 1));
    const owner = stat.ephemeralOwner;
    if (owner !== 0n && owner !== EphemeralOwner.container) {
      let owned = ephemerals.get(owner);
      if (owned === undefined) ephemerals.set(owner, (owned = new Set()));
      owned.add(path);
    }
  }
  if (root === undefined) throw new SnapshotDumpError('snapshot holds no root node');
  nodes.set('/', root);
  return { nodes, ephemerals, fileNodes };
}

/** BinaryInputArchive.readString: decoded as Java decodes UTF-8. */
function readJavaString(r: JuteReader): string | null {
  const bytes = r.readBuffer();
  return bytes === null ? null : javaUtf8Decode(bytes);
}

/** SnapStream.checkSealIntegrity on the first seal: the Adler32 of every byte before it, then "/". */
function sealProblem(r: JuteReader, bytes: Buffer): string | undefined {
  const upTo = r.position;
  try {
    const stored = r.readLong();
    const computed = BigInt(adler32(bytes.subarray(0, upTo), ADLER32_INITIAL));
    if (stored !== computed) return `checksum mismatch: the file says ${stored}, its bytes give ${computed}`;
    if (readJavaString(r) !== SEAL_PATH) return 'the checksum is not followed by "/"';
    return undefined;
  } catch (error) {
    if (error instanceof JuteError) return `the checksum seal is cut short (${error.message})`;
    throw error;
  }
}

/** A node's children in the order its Java HashSet iterates them. */
function childrenInJavaOrder(node: DumpNode): string[] {
  return node.children.length < 2 ? [...node.children] : javaStringSetOrder(node.children, CHILDREN_SET_CAPACITY);
}

function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** Receives the dump's text in pieces; may return a promise to apply backpressure. */
export type TextOut = (text: string) => void | Promise<void>;

/**
 * SnapshotFormatter.printDetails: every node from "/" in Java's order, the sessions, `Last zxid`.
 * `snapshotName` is the file's base name (its zxid counts towards `Last zxid`).
 */
export async function writeSnapshotText(
  dump: LoadedDump, snapshotName: string, dumpData: boolean, out: TextOut, onNode?: (visited: number) => void,
): Promise<void> {
  await out(`ZNode Details (count=${dump.nodes.size}):\n`);
  let treeZxid = -0x8000000000000000n;
  let visited = 0;
  // Depth first, children in Java's order, with an explicit stack (trees may be deep).
  const stack: string[] = ['/'];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const node = dump.nodes.get(path)!;
    const stat = node.stat;
    const size = node.data === null ? 0 : node.data.length;
    await out(
      `----\n${path}\n` +
        `  cZxid = ${javaHexPadded(stat.czxid)}\n  ctime = ${javaDate(stat.ctime)}\n` +
        `  mZxid = ${javaHexPadded(stat.mzxid)}\n  mtime = ${javaDate(stat.mtime)}\n` +
        `  pZxid = ${javaHexPadded(stat.pzxid)}\n  cversion = ${stat.cversion}\n` +
        `  dataVersion = ${stat.version}\n  aclVersion = ${stat.aversion}\n` +
        `  ephemeralOwner = ${javaHexPadded(stat.ephemeralOwner)}\n` +
        (dumpData ? `  data = ${node.data === null ? '' : node.data.toString('base64')}\n` : `  dataLength = ${size}\n`),
    );
    const nodeZxid = stat.mzxid > stat.pzxid ? stat.mzxid : stat.pzxid;
    if (nodeZxid > treeZxid) treeZxid = nodeZxid;
    onNode?.(++visited);
    const children = childrenInJavaOrder(node);
    for (let i = children.length - 1; i >= 0; i--) {
      const child = childPath(path, children[i]!);
      if (dump.nodes.has(child)) stack.push(child);
    }
  }
  await out('----\n');
  await out(sessionDetails(dump));
  const nameZxid = javaZxidFromName(snapshotName, 'snapshot');
  await out(`----\nLast zxid: 0x${javaHex(nameZxid > treeZxid ? nameZxid : treeZxid)}\n`);
}

/** "Session Details" with the sessions in HashMap<Long, Integer> order. */
function sessionDetails(dump: LoadedDump): string {
  const order = new JavaHashOrder<bigint>(javaLongHash, javaLongCompare);
  for (const id of dump.sessions.keys()) order.add(id);
  let text = 'Session Details (sid, timeout, ephemeralCount):\n';
  for (const id of order.keys()) {
    text += `${javaHexPadded(id)}, ${dump.sessions.get(id)!}, ${dump.ephemerals.get(id)?.size ?? 0}\n`;
  }
  return text;
}

/**
 * SnapshotFormatter -json: the ncdu export format, children nested in Java's order, with no
 * trailing newline. `timestampMs` is the run's wall-clock time, as Java prints it.
 */
export async function writeSnapshotJson(
  dump: LoadedDump, timestampMs: number, out: TextOut, onNode?: (visited: number) => void,
): Promise<void> {
  await out(`[1,0,{"progname":"SnapshotFormatter.java","progver":"0.01","timestamp":${timestampMs}}`);
  let inode = FIRST_INODE;
  let visited = 0;
  // Items: a path to print, or the closing bracket of a directory whose children were printed.
  const stack: Array<string | null> = ['/'];
  while (stack.length > 0) {
    const path = stack.pop()!;
    if (path === null) {
      await out(']');
      continue;
    }
    const node = dump.nodes.get(path);
    if (node === undefined) continue;
    const name = path === '/' ? '/' : path.substring(path.lastIndexOf('/') + 1);
    const size = node.data === null ? 0 : node.data.length;
    const entry = `{"name":"${jacksonQuote(name)}","asize":${size},"dsize":${size},"dev":0,"ino":${inode++}}`;
    onNode?.(++visited);
    if (node.children.length === 0) {
      await out(`,${entry}`);
      continue;
    }
    await out(`,[${entry}`);
    stack.push(null);
    const children = childrenInJavaOrder(node);
    for (let i = children.length - 1; i >= 0; i--) stack.push(childPath(path, children[i]!));
  }
  await out(']');
}
