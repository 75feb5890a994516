// The checkers of the whole-server simulator, written from ZooKeeper's guarantees (Programmer's
// Guide, "Consistency Guarantees" and "What ZooKeeper Guarantees about Watches"; see
// /work/shared/reference/zookeeper-facts.md), not from tszk's code. Each returns violations.
//
//  - Linearizable writes and synced reads: per key, every create, setData, conditional setData
//    and delete (an unknown outcome may or may not have happened), every read issued after the
//    session's sync of that key (as one operation from the sync's call to the read's reply), and
//    the converged final state are linearizable against a znode model. Plain reads are NOT
//    linearizable in ZooKeeper (served by the connected server, possibly stale), so they are
//    checked by the next check instead. Nor is sync+read in one case: sync is not a quorum
//    operation (ZOOKEEPER-1675), so a deposed leader that has not noticed yet can answer it; a
//    synced read during which two servers served as leader at once is therefore left out.
//  - Sequential consistency of reads (and single system image): a read returns the value of the
//    committed write its mzxid names (no dirty reads), and what one session sees of a key never
//    goes back in zxid order: its reads and its own writes' replies, across reconnections to
//    other servers ("a client will never see an older view of the system").
//  - FIFO client order: a session's requests complete in the order it issued them (the wire-level
//    check of wire-recorder.ts adds: replies in request order on each connection, reply zxids
//    never going back across a session's connections).
//    (wire-recorder.ts also checks watch-before-read on the wire, below the client library.)
//  - Watch before read: once a session set a watch on a key, any later reply showing that key in
//    a different state (existence or mzxid), a read's or its own write's, comes after the watch
//    event ("a client will see a watch event for a znode it is watching before seeing the new
//    data"). A state equal to the watched one asks for nothing, so a node created and deleted
//    while the client was disconnected (a documented miss) is no violation.
//  - Server level: the ensemble's own records (sim-ensemble.ts): one txn per zxid everywhere,
//    applied in increasing order by each incarnation, one leader per epoch, no ERROR logged;
//    every acknowledged write is in that history; after healing, every server serves at the same
//    zxid with identical trees (data and all Stat fields).
import { decodeTxn, encodeTxn } from '../../src/proto/txn.js';
import { LogReader } from '../../src/storage/log-reader.js';
import { LOG_PREFIX, joinPath, sortDataFiles, versionDir } from '../../src/storage/file-names.js';
import { ErrorCode } from '../../src/proto/error-code.js';
import { EventType } from '../../src/proto/defs.js';
import type { DataTree } from '../../src/tree/data-tree.js';
import { checkLinearizable, type Operation } from '../support/linearizability.js';
import { dumpTree } from '../unit/storage-test-helpers.js';
import { KEYS, isWrite, type OpRecord, type SessionRecord } from './sim-clients.js';
import { znodeModel, type ZnodeInput, type ZnodeOutput } from './znode-model.js';
import type { RunRecord } from './server-sim.js';

const UNOBSERVED = '\u0000unobserved';

function inputOf(op: OpRecord): ZnodeInput {
  switch (op.kind) {
    case 'create':
      return { f: 'create', value: op.value! };
    case 'set':
      return { f: 'set', value: op.value! };
    case 'cas':
      return { f: 'cas', expected: op.expected!, value: op.value! };
    case 'delete':
      return { f: 'delete' };
    default:
      return { f: 'read' };
  }
}

/** The model's output for a completed op, or a string when the reply is not one the model knows. */
function outputOf(op: OpRecord): ZnodeOutput | string {
  const r = op.result!;
  const code = r.code;
  switch (op.kind) {
    case 'create':
      return code === 0 ? { type: 'created' } : code === ErrorCode.NODEEXISTS ? { type: 'nodeexists' } : `create failed with ${code}`;
    case 'set':
    case 'cas':
      if (code === 0) return { type: 'written', version: r.stat!.version };
      return code === ErrorCode.NONODE ? { type: 'nonode' } : code === ErrorCode.BADVERSION && op.kind === 'cas' ? { type: 'badversion' } : `setData failed with ${code}`;
    case 'delete':
      return code === 0 ? { type: 'deleted' } : code === ErrorCode.NONODE ? { type: 'nonode' } : `delete failed with ${code}`;
    case 'get':
      if (code === ErrorCode.NONODE) return { type: 'absent' };
      return code === 0 ? { type: 'found', value: r.data ?? '', version: r.stat!.version } : `getData failed with ${code}`;
    case 'exists':
      if (code !== 0) return `exists failed with ${code}`;
      return r.stat === null || r.stat === undefined ? { type: 'absent' } : { type: 'found', value: undefined, version: r.stat.version };
    case 'sync':
      return code === 0 ? { type: 'absent' } : `sync failed with ${code}`;
  }
}

function describe(op: OpRecord): string {
  const r = op.result;
  const reply = op.unknown ? 'UNKNOWN' : r === undefined ? 'pending' : r.code !== 0 ? `err ${r.code}` : r.stat === undefined ? 'ok' : r.stat === null ? 'null' : `ok v${r.stat.version} mzxid 0x${r.stat.mzxid.toString(16)}${r.data === undefined ? '' : ` "${r.data}"`}`;
  const args = op.value === undefined ? '' : ` ${op.value}${op.expected === undefined ? '' : ` if v${op.expected}`}`;
  return `#${op.id} ${op.process} [${op.invoke.toFixed(1)}..${op.complete?.toFixed(1) ?? '?'}] ${op.kind}${op.synced ? '(synced)' : ''} ${op.key}${args} => ${reply}`;
}

/**
 * Linearizable writes, per key, ending in the converged tree's state. A write with an unknown
 * outcome whose request never left the client (`wasSent`) did not happen and is left out.
 */
export function checkWrites(
  sessions: readonly SessionRecord[],
  finalState: (key: string) => ZnodeOutput,
  endTime: number,
  wasSent: (process: string, value: string) => boolean,
  twoLeadersDuring: (from: number, to: number) => boolean = () => false,
): string[] {
  const violations: string[] = [];
  for (const key of KEYS) {
    const ops = sessions.flatMap((s) => s.ops).filter((op) => op.key === key && op.complete !== undefined && (isWrite(op.kind)
      ? !(op.unknown && op.value !== undefined && !wasSent(op.process, op.value))
      : op.syncInvoke !== undefined && !op.unknown && !twoLeadersDuring(op.syncInvoke, op.complete)));
    const history: Operation<ZnodeInput, ZnodeOutput>[] = [];
    for (const op of ops) {
      if (op.unknown) {
        history.push({ id: op.id, process: op.process, invoke: op.invoke, complete: undefined, input: inputOf(op), output: undefined });
        continue;
      }
      const output = outputOf(op);
      if (typeof output === 'string') {
        violations.push(`unexpected reply: ${describe(op)} (${output})`);
        continue;
      }
      history.push({ id: op.id, process: op.process, invoke: op.syncInvoke ?? op.invoke, complete: op.complete!, input: inputOf(op), output });
    }
    const final = finalState(key);
    history.push({ id: 0, process: 'final', invoke: endTime, complete: endTime, input: { f: 'read' }, output: final });
    // Unknown writes whose value nobody read are interchangeable (see Model.inputKey).
    const observed = new Set<string>();
    for (const op of history) if (op.output?.type === 'found' && op.output.value !== undefined) observed.add(op.output.value);
    const canonical = history.map((op) => (op.output === undefined && (op.input.f === 'create' || op.input.f === 'set' || op.input.f === 'cas') && !observed.has(op.input.value) ? { ...op, input: { ...op.input, value: UNOBSERVED } } : op));
    const result = checkLinearizable(znodeModel, canonical, { timeoutMs: 60_000 });
    if (result.valid === false) {
      const byId = new Map(ops.map((op) => [op.id, op]));
      const show = (o: Operation<ZnodeInput, ZnodeOutput>): string => (o.id === 0 ? `final state ${JSON.stringify(final)}` : describe(byId.get(o.id)!));
      violations.push(`writes and synced reads of ${key} are not linearizable. Longest linearizable prefix ends in ${JSON.stringify(result.stateAfterPrefix)}; stuck at ${result.stuckAt === undefined ? '?' : show(result.stuckAt)}; pending there:\n    ${result.pendingAtStuck.map(show).join('\n    ')}\n  all writes:\n    ${[...ops.map(describe), show(history.at(-1)!)].join('\n    ')}`);
    } else if (result.valid === 'unknown') {
      violations.push(`writes to ${key}: the linearizability search gave up (${result.reason})`);
    }
  }
  return violations;
}

/** No dirty reads, and each session's view of each key only moves forward in zxid order. */
export function checkReads(sessions: readonly SessionRecord[], history: ReadonlyMap<bigint, string>): string[] {
  const violations: string[] = [];
  for (const session of sessions) {
    const seen = new Map<string, { mzxid: bigint; op: OpRecord }>();
    for (const o of session.observations) {
      if (o.kind !== 'reply') continue;
      const op = o.op;
      const stat = op.result?.code === 0 ? op.result.stat : undefined;
      if (stat === undefined || stat === null) continue;
      if (op.kind === 'get') {
        const txn = history.get(stat.mzxid);
        const body = txn === undefined ? undefined : decodeTxn(Buffer.from(txn, 'base64')).body;
        const written = body !== undefined && 'path' in body && 'data' in body ? body : undefined;
        if (written === undefined || written.path !== op.key || (written.data?.toString() ?? '') !== (op.result!.data ?? '')) {
          violations.push(`${describe(op)}: the committed history has no write of that value to ${op.key} at zxid 0x${stat.mzxid.toString(16)}`);
        }
      }
      const before = seen.get(op.key);
      if (before !== undefined && stat.mzxid < before.mzxid) violations.push(`${session.process} saw ${op.key} go back: ${describe(before.op)}, then ${describe(op)}`);
      if (before === undefined || stat.mzxid >= before.mzxid) seen.set(op.key, { mzxid: stat.mzxid, op });
    }
  }
  return violations;
}

/**
 * A session's requests complete in the order it issued them: no request completes at an earlier
 * sim time than one issued before it. (Within one instant the order in which promises settle
 * depends on how many awaits each API method has, which says nothing about the service; the
 * wire-level check sees the exact reply order.)
 */
export function checkFifo(sessions: readonly SessionRecord[]): string[] {
  const violations: string[] = [];
  for (const session of sessions) {
    let latest: OpRecord | undefined;
    for (const op of session.ops) {
      if (op.complete === undefined) continue;
      if (latest !== undefined && op.complete < latest.complete!) violations.push(`${session.process}: ${describe(op)} completed before ${describe(latest)}, issued earlier`);
      if (latest === undefined || op.complete >= latest.complete!) latest = op;
    }
  }
  return violations;
}

/** The watch event comes before any reply showing the watched node changed. */
export function checkWatches(sessions: readonly SessionRecord[]): string[] {
  const violations: string[] = [];
  for (const session of sessions) {
    const active = new Map<number, { op: OpRecord; exists: boolean; mzxid: bigint | undefined }>();
    for (const o of session.observations) {
      if (o.kind === 'event') {
        if (o.type !== EventType.None) active.delete(o.watchId);
        continue;
      }
      const op = o.op;
      const state = stateShown(op);
      if (state !== undefined) {
        for (const [watchId, w] of active) {
          if (w.op.key === op.key && (w.exists !== state.exists || w.mzxid !== state.mzxid)) {
            violations.push(`${session.process}: ${describe(op)} shows ${op.key} changed, but the event of the watch set by ${describe(w.op)} had not arrived`);
            active.delete(watchId);
          }
        }
      }
      // A watch is set by a successful read; exists() also sets one on a missing node.
      if (op.watchId !== undefined && state !== undefined && (op.kind === 'exists' || state.exists)) active.set(op.watchId, { op, ...state });
    }
  }
  return violations;
}

/** What a reply shows of its key: existence and mzxid; undefined when it shows nothing definite. */
function stateShown(op: OpRecord): { exists: boolean; mzxid: bigint | undefined } | undefined {
  const r = op.result;
  if (r === undefined) return undefined;
  switch (op.kind) {
    case 'get':
    case 'exists':
      if (r.code === ErrorCode.NONODE || (r.code === 0 && r.stat === null)) return { exists: false, mzxid: undefined };
      return r.code === 0 && r.stat !== undefined && r.stat !== null ? { exists: true, mzxid: r.stat.mzxid } : undefined;
    case 'create':
    case 'set':
    case 'cas':
      return r.code === 0 && r.stat !== undefined && r.stat !== null ? { exists: true, mzxid: r.stat.mzxid } : undefined;
    case 'delete':
      return r.code === 0 ? { exists: false, mzxid: undefined } : undefined;
    case 'sync':
      return undefined;
  }
}

/** The ensemble's own records, acknowledged writes in the history, and converged identical trees. */
export function checkServers(run: RunRecord, history: ReadonlyMap<bigint, string>): string[] {
  const violations = [...run.ensemble.errors];
  if (!run.converged) {
    const states = [...run.ensemble.servers.values()].map((s) => `${s.id}: ${s.member === undefined ? 'down/starting' : `${s.member.quorum?.state} serving=${s.member.server.serving} zxid 0x${s.member.server.lastProcessedZxid.toString(16)}`}`);
    violations.push(`the ensemble did not converge after healing (t=${run.world.now.toFixed(0)}): ${states.join('; ')}; links up: ${run.peers.linkedPairs().join(' ')}`);
    return violations;
  }
  for (const session of run.sessions) {
    for (const op of session.ops) {
      const stat = op.result?.code === 0 ? op.result.stat : undefined;
      if (op.kind === 'create' || op.kind === 'set' || op.kind === 'cas') {
        if (stat === undefined || stat === null) continue;
        if (!history.has(stat.mzxid)) violations.push(`acknowledged ${describe(op)} is not in the committed history`);
      }
    }
  }
  const members = [...run.ensemble.servers.values()].map((s) => s.member!);
  const first = comparableDump(members[0]!.server.tree);
  members.slice(1).forEach((m, i) => {
    const dump = comparableDump(m.server.tree);
    const at = dump.findIndex((n, j) => n !== first[j]);
    if (at >= 0 || dump.length !== first.length) {
      violations.push(`trees differ after convergence: server ${members[0]!.server === m.server ? '?' : `${[...run.ensemble.servers.keys()][0]} vs ${[...run.ensemble.servers.keys()][i + 1]}`}: ${first[at] ?? '(none)'}\n  vs ${dump[at] ?? '(none)'}`);
    }
  });
  return violations;
}

/** A key's state in a tree, as a read would report it. */
function stateIn(tree: DataTree, key: string): ZnodeOutput {
  const node = tree.getNode(key);
  return node === undefined ? { type: 'absent' } : { type: 'found', value: node.data?.toString() ?? '', version: node.stat().version };
}

/**
 * Every node (data, Stat, ACL) as a line, except the mtime of /zookeeper/config: each server
 * stamps that node with its own clock when it installs the config (ZooKeeper's
 * ZKDatabase.initConfigInZKDatabase uses Time.currentWallTime()), so it differs in ZooKeeper too.
 */
function comparableDump(tree: DataTree): string[] {
  return dumpTree(tree).map((node) => {
    if (node.path !== '/zookeeper/config') return JSON.stringify(node);
    const stat = { ...(node.stat as Record<string, string>), mtime: '(local)' };
    return JSON.stringify({ ...node, stat });
  });
}

/**
 * The committed history: what servers applied while serving, plus what the converged servers'
 * txn logs hold up to the zxid they all reached (a txn a new leader committed from its own log
 * was applied by recovery, never live). Logs and the applied record must agree at every zxid.
 */
export async function committedHistory(run: RunRecord): Promise<{ history: Map<bigint, string>; violations: string[] }> {
  const history = new Map(run.ensemble.history);
  const violations: string[] = [];
  if (!run.converged) return { history, violations };
  for (const s of run.ensemble.servers.values()) {
    const upTo = s.member!.server.lastProcessedZxid;
    const dir = versionDir(s.config.dataLogDir);
    const logs = sortDataFiles(await s.disk.list(dir), LOG_PREFIX).filter((f) => f.suffix === '');
    const reader = LogReader.open(s.disk, logs.map((f) => joinPath(dir, f.name)), { fromZxid: 1n });
    for (let e = await reader.next(); e !== undefined && e.header.zxid <= upTo; e = await reader.next()) {
      const bytes = encodeTxn(e).toString('base64');
      const known = history.get(e.header.zxid);
      if (known === undefined) history.set(e.header.zxid, bytes);
      else if (known !== bytes) violations.push(`server ${s.id}'s txn log holds a different txn at 0x${e.header.zxid.toString(16)} than the committed history`);
    }
  }
  return { history, violations };
}

/** Every check on one run; the wire-level FIFO checks come from its recorder. */
export async function checkRun(run: RunRecord): Promise<string[]> {
  const committed = await committedHistory(run);
  const violations = [...checkServers(run, committed.history), ...committed.violations, ...run.wire.violations, ...checkFifo(run.sessions), ...checkReads(run.sessions, committed.history), ...checkWatches(run.sessions)];
  if (run.converged) {
    const tree = [...run.ensemble.servers.values()][0]!.member!.server.tree;
    violations.push(...checkWrites(run.sessions, (key) => stateIn(tree, key), run.world.now, (process, value) => run.wire.wasSent(process, value), (from, to) => run.ensemble.twoLeadersDuring(from, to)));
  }
  return violations;
}
