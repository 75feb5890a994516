// A Jepsen-style client-level consistency test. Six sessions (three pinned to one member each,
// three with every member in their connect string) run random reads, synced reads, blind writes,
// compare-and-sets by version and pipelined bursts of sequential creates against a 3-voter
// ensemble, while a nemesis kill -9s the leader and then a follower, three rounds, restarting
// each. Nothing is assumed from the run: the recorded history is checked afterwards.
//  1. Writes, compare-and-sets and sync+reads on one znode are linearizable (our Wing & Gong /
//     Lowe search in test/support/linearizability.ts; a CONNECTIONLOSS write may take effect or
//     not). Plain reads are only sequentially consistent in ZooKeeper, so for them: each version
//     has one value and one mzxid everywhere; a read returns a value some write had been called
//     for; a session never sees the version go back, including past its own writes.
//  2. FIFO client order: each session's reply zxids and register mzxids never decrease, and its
//     pipelined sequential creates are applied in the order issued (sequence numbers, czxids and
//     reply order), including those whose outcome was unknown; no acknowledged create is lost.
//  3. Watch before read: a session that set a data watch and then sees a newer version (a read,
//     or its own write's reply) must have had the watch event delivered before that reply.
// The same workload, without faults, runs against real ZooKeeper 3.8 when it is installed, to
// show the checks accept the reference.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ZooKeeperClient } from '../../src/main/client.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { EventType } from '../../src/proto/defs.js';
import type { WatchedEvent } from '../../src/client/types.js';
import { Ensemble, destroyAllEnsembles } from '../support/ensemble.js';
import { referenceZooKeeperAvailable, startReferenceZooKeeper, type ReferenceZooKeeper } from '../support/zk-reference.js';
import {
  canonicalizeUnobserved,
  checkLinearizable,
  formatOperation,
  registerModel,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
} from '../support/linearizability.js';
import { seededRandom } from '../support/seeded-random.js';

const REGISTER = '/lin';
const FIFO = '/fifo';
const INIT = 'init';
const BURST = 5;

const clients = new Set<ZooKeeperClient>();
const references = new Set<ReferenceZooKeeper>();
after(async () => {
  await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
  await destroyAllEnsembles();
  await Promise.all([...references].map((r) => r.stop().catch(() => undefined)));
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function connect(connectString: string): Promise<ZooKeeperClient> {
  const client = createClient(connectString, { sessionTimeoutMs: 12_000, reconnectDelayMs: 100, requestTimeoutMs: 8_000 });
  clients.add(client);
  await client.connect({ timeoutMs: 20_000 });
  return client;
}

async function closeClient(client: ZooKeeperClient): Promise<void> {
  await client.close().catch(() => undefined);
  clients.delete(client);
}

/** Outcomes whose effect is unknown: the request may or may not have been applied. */
const UNKNOWN_CODES = new Set<number>([ErrorCode.CONNECTIONLOSS, ErrorCode.OPERATIONTIMEOUT, ErrorCode.REQUESTTIMEOUT, ErrorCode.SESSIONEXPIRED, ErrorCode.SESSIONMOVED]);

type Kind = 'read' | 'watched-read' | 'synced-read' | 'write' | 'cas';

/** Everything one register operation did, as recorded. */
interface Recorded {
  readonly id: number;
  readonly process: number;
  readonly kind: Kind;
  readonly invoke: number;
  complete: number | undefined;
  readonly input: RegisterInput;
  output: RegisterOutput | undefined;
  /** Reads and successful writes: what they revealed of the znode. */
  seen?: { value: string; version: number; mzxid: bigint };
  /** The error code of a failed call. */
  error?: number;
}

interface Burst {
  readonly process: number;
  readonly index: number;
  /** Per op j: the reply (path, czxid) or the error code, and the order replies arrived in. */
  readonly results: Array<{ path: string; czxid: bigint } | { error: number } | undefined>;
  readonly replyOrder: number[];
}

interface WatchViolation {
  readonly process: number;
  readonly armedVersion: number;
  readonly sawVersion: number;
  readonly by: string;
}

interface Session {
  readonly id: number;
  readonly client: ZooKeeperClient;
  readonly connectString: string;
  /** client.lastZxid after each completed call, in completion order. */
  readonly replyZxids: bigint[];
  /** Each completed register op's revealed (version, mzxid), in completion order. */
  readonly revealed: Array<{ opId: number; version: number; mzxid: bigint }>;
  disconnects: number;
  expired: boolean;
}

interface Run {
  readonly ops: Recorded[];
  readonly bursts: Burst[];
  readonly sessions: Session[];
  readonly watchViolations: WatchViolation[];
  watchChecks: number;
  /** Replies ordered by their dispatch moment (the settle probe) rather than their continuation. */
  probedReplies: number;
  readonly unexpectedErrors: string[];
  readonly faults: string[];
  /** The fifo nodes read back at the end: per session, [sequence, data] of every child. */
  fifoNodes: Map<number, Array<{ seq: number; data: string }>>;
}

interface WorkloadOptions {
  readonly connectStrings: readonly string[];
  readonly finalConnectString: string;
  readonly seed: number;
  /** Ops per session at most. */
  readonly maxOpsPerSession: number;
  /** Load runs until the nemesis finishes (or for this long without one), bounded by hardLimitMs. */
  readonly durationMs: number;
  readonly hardLimitMs: number;
  readonly nemesis?: (run: Run) => Promise<void>;
}

const codeOf = (err: unknown): number => (err instanceof KeeperError ? err.code : Number.NaN);

async function runWorkload(options: WorkloadOptions): Promise<Run> {
  const rand = seededRandom(options.seed);
  const run: Run = { ops: [], bursts: [], sessions: [], watchViolations: [], watchChecks: 0, probedReplies: 0, unexpectedErrors: [], faults: [], fifoNodes: new Map() };
  let nextOpId = 0;
  /** Orders watch deliveries against reply resolutions. */
  let seq = 0;

  const setup = await connect(options.connectStrings[0]!);
  await setup.create(REGISTER, INIT);
  await setup.create(FIFO, null);
  for (let i = 0; i < options.connectStrings.length; i++) await setup.create(`${FIFO}/s${i}`, null);
  await closeClient(setup);

  for (let i = 0; i < options.connectStrings.length; i++) {
    const client = await connect(options.connectStrings[i]!);
    const session: Session = { id: i, client, connectString: options.connectStrings[i]!, replyZxids: [], revealed: [], disconnects: 0, expired: false };
    client.on('disconnected', () => session.disconnects++);
    client.on('expired', () => (session.expired = true));
    run.sessions.push(session);
  }

  let stopping = false;
  const started = performance.now();
  const hardDeadline = started + options.hardLimitMs;

  const worker = async (session: Session): Promise<void> => {
    const { client } = session;
    let lastVersion = 0;
    let count = 0;
    let burstIndex = 0;
    /** The data watch this session has set, if any, and when (in `seq`) its event came. */
    let armed: { version: number; firedSeq: number | undefined } | undefined;

    /** A reply that revealed `version`: the session's watch, if older, must have fired already. */
    const revealed = (op: Recorded, version: number, mzxid: bigint, completeSeq: number): void => {
      session.revealed.push({ opId: op.id, version, mzxid });
      lastVersion = Math.max(lastVersion, version);
      if (armed !== undefined && version > armed.version) {
        run.watchChecks++;
        if (armed.firedSeq === undefined || armed.firedSeq > completeSeq) {
          run.watchViolations.push({ process: session.id, armedVersion: armed.version, sawVersion: version, by: `${op.kind} #${op.id}` });
        }
        armed = undefined;
      }
    };

    /**
     * The exact moment the client matched a reply, in `seq`: the client detaches a request's
     * abort listener synchronously when the reply is dispatched, in the same loop that calls
     * watch listeners, so an instrumented signal orders the reply against watch events even when
     * both arrive in one socket chunk (the await continuation alone runs only after the chunk).
     */
    const settleProbe = (): { signal: AbortSignal; seq: () => number | undefined } => {
      const signal = new AbortController().signal;
      let at: number | undefined;
      const remove = signal.removeEventListener.bind(signal);
      signal.removeEventListener = ((type: string, listener: EventListener, opts?: EventListenerOptions) => {
        if (type === 'abort' && at === undefined) at = ++seq;
        remove(type, listener, opts);
      }) as typeof signal.removeEventListener;
      return { signal, seq: () => at };
    };

    const register = async (kind: Kind): Promise<void> => {
      const value = `p${session.id}-${count}`;
      const input: RegisterInput = kind === 'write' ? { f: 'write', value } : kind === 'cas' ? { f: 'cas', expected: lastVersion, value } : { f: 'read' };
      let arm: { version: number; firedSeq: number | undefined } | undefined;
      const watcher = (event: WatchedEvent): void => {
        if (event.type === EventType.None) return;
        if (arm !== undefined && arm.firedSeq === undefined) arm.firedSeq = ++seq;
      };
      if (kind === 'watched-read') arm = { version: -1, firedSeq: undefined };
      const probe = settleProbe();
      const replySeq = (): number => {
        const continuation = ++seq;
        const dispatched = probe.seq();
        if (dispatched === undefined) return continuation;
        run.probedReplies++;
        return dispatched;
      };
      const op: Recorded = { id: nextOpId++, process: session.id, kind, invoke: performance.now(), complete: undefined, input, output: undefined };
      run.ops.push(op);
      try {
        if (kind === 'write' || kind === 'cas') {
          const stat = await client.setData(REGISTER, value, kind === 'cas' ? lastVersion : -1, { signal: probe.signal });
          op.complete = performance.now();
          const completeSeq = replySeq();
          op.output = { type: 'written', version: stat.version };
          op.seen = { value, version: stat.version, mzxid: stat.mzxid };
          session.replyZxids.push(client.lastZxid);
          revealed(op, stat.version, stat.mzxid, completeSeq);
        } else {
          if (kind === 'synced-read') await client.sync(REGISTER);
          const r = await client.getData(REGISTER, kind === 'watched-read' ? watcher : undefined, { signal: probe.signal });
          op.complete = performance.now();
          const completeSeq = replySeq();
          const data = r.data?.toString() ?? '';
          op.output = { type: 'read', value: data, version: r.stat.version };
          op.seen = { value: data, version: r.stat.version, mzxid: r.stat.mzxid };
          session.replyZxids.push(client.lastZxid);
          revealed(op, r.stat.version, r.stat.mzxid, completeSeq);
          if (arm !== undefined) {
            arm.version = r.stat.version;
            armed = arm;
          }
        }
      } catch (err) {
        const code = codeOf(err);
        op.error = code;
        if (code === ErrorCode.BADVERSION && kind === 'cas') {
          op.complete = performance.now();
          op.output = { type: 'badversion' };
          ++seq;
          session.replyZxids.push(client.lastZxid);
        } else if (!UNKNOWN_CODES.has(code)) {
          run.unexpectedErrors.push(`session ${session.id} ${kind} #${op.id}: ${String(err)}`);
        }
      }
    };

    const burst = async (): Promise<void> => {
      const b: Burst = { process: session.id, index: burstIndex++, results: new Array(BURST).fill(undefined), replyOrder: [] };
      run.bursts.push(b);
      const calls = [];
      for (let j = 0; j < BURST; j++) {
        calls.push(
          client.create2(`${FIFO}/s${session.id}/n-`, `${b.index}:${j}`, { mode: 'PERSISTENT_SEQUENTIAL' }).then(
            (r) => {
              b.results[j] = { path: r.path, czxid: r.stat.czxid };
              b.replyOrder.push(j);
            },
            (err: unknown) => {
              const code = codeOf(err);
              b.results[j] = { error: code };
              if (!UNKNOWN_CODES.has(code)) run.unexpectedErrors.push(`session ${session.id} burst ${b.index} create ${j}: ${String(err)}`);
            },
          ),
        );
      }
      await Promise.all(calls);
      session.replyZxids.push(client.lastZxid);
    };

    while (!stopping && count < options.maxOpsPerSession && performance.now() < hardDeadline) {
      if (client.state === 'CLOSED') break;
      if (client.state !== 'CONNECTED') {
        // Calls made while disconnected fail at once with CONNECTIONLOSS: wait instead of
        // piling up unknown outcomes.
        await sleep(50);
        continue;
      }
      count++;
      const r = rand();
      if (r < 0.3) await register('synced-read');
      else if (r < 0.45) await register('read');
      else if (r < 0.55) await register(armed === undefined ? 'watched-read' : 'read');
      else if (r < 0.75) await register('write');
      else if (r < 0.95) await register('cas');
      else await burst();
      await sleep(15 + rand() * 60);
    }
  };

  const workers = run.sessions.map((s) => worker(s));
  if (options.nemesis !== undefined) await options.nemesis(run);
  else await sleep(options.durationMs);
  stopping = true;
  await Promise.all(workers);

  // A final synced read, after everything: the end state belongs to the history too.
  const reader = await connect(options.finalConnectString);
  const finalOp: Recorded = { id: nextOpId++, process: -1, kind: 'synced-read', invoke: performance.now(), complete: undefined, input: { f: 'read' }, output: undefined };
  await reader.sync(REGISTER);
  const last = await reader.getData(REGISTER);
  finalOp.complete = performance.now();
  finalOp.output = { type: 'read', value: last.data?.toString() ?? '', version: last.stat.version };
  finalOp.seen = { value: finalOp.output.value, version: last.stat.version, mzxid: last.stat.mzxid };
  run.ops.push(finalOp);
  for (const s of run.sessions) {
    await reader.sync(`${FIFO}/s${s.id}`);
    const children = await reader.getChildren(`${FIFO}/s${s.id}`);
    const nodes = [];
    for (const child of children) {
      const data = (await reader.getData(`${FIFO}/s${s.id}/${child}`)).data?.toString() ?? '';
      nodes.push({ seq: Number(child.slice(2)), data });
    }
    run.fifoNodes.set(s.id, nodes.sort((a, b) => a.seq - b.seq));
  }
  await closeClient(reader);
  for (const s of run.sessions) await closeClient(s.client);
  return run;
}

/** Every property of the header, checked on a recorded run; returns the violations and some figures. */
function checkRun(run: Run, label: string) {
  const violations: string[] = [];
  const ops = run.ops;

  // --- 1a. Linearizability of writes, compare-and-sets and synced reads.
  const history: Operation<RegisterInput, RegisterOutput>[] = [];
  for (const op of ops) {
    if (op.kind === 'read' || op.kind === 'watched-read') continue;
    if (op.kind === 'synced-read' && op.complete === undefined) continue; // a failed read did nothing
    history.push({ id: op.id, process: op.process, invoke: op.invoke, complete: op.complete, input: op.input, output: op.output });
  }
  const result = checkLinearizable(registerModel({ value: INIT, version: 0 }), canonicalizeUnobserved(history), { timeoutMs: 60_000 });
  if (result.valid !== true) {
    // The whole history goes to a file for diagnosis (not for the doctored copies, which fail by design).
    let file = '(not written)';
    if (!label.startsWith('doctored')) {
      file = join(tmpdir(), `tszk-linearizability-${label}-${process.pid}.txt`);
      writeFileSync(file, [...history].sort((a, b) => a.invoke - b.invoke).map(formatOperation).join('\n') + '\n');
    }
    if (result.valid === false) {
      violations.push(
        [
          `writes + synced reads are not linearizable (full history: ${file})`,
          `longest linearizable prefix (${result.longestPrefix.length} ops), last 15:`,
          ...result.longestPrefix.slice(-15).map((o) => `  ${formatOperation(o)}`),
          `state after it: ${JSON.stringify(result.stateAfterPrefix)}`,
          `could not return: ${result.stuckAt === undefined ? '?' : formatOperation(result.stuckAt)}`,
          `pending then:`,
          ...result.pendingAtStuck.map((o) => `  ${formatOperation(o)}`),
        ].join('\n'),
      );
    } else {
      violations.push(`the linearizability check gave up: ${result.reason} (history: ${file})`);
    }
  }

  // --- 1b. Plain reads: one value and one mzxid per version; values that were written; no future.
  const writeOf = new Map<string, Recorded>();
  for (const op of ops) if (op.input.f !== 'read') writeOf.set(op.input.value, op);
  const byVersion = new Map<number, { value: string; mzxid: bigint; op: number }>();
  for (const op of ops) {
    if (op.seen === undefined) continue;
    const known = byVersion.get(op.seen.version);
    if (known === undefined) byVersion.set(op.seen.version, { value: op.seen.value, mzxid: op.seen.mzxid, op: op.id });
    else if (known.value !== op.seen.value || known.mzxid !== op.seen.mzxid) {
      violations.push(`version ${op.seen.version} is ${op.seen.value}@${op.seen.mzxid.toString(16)} in #${op.id} but ${known.value}@${known.mzxid.toString(16)} in #${known.op}`);
    }
    if (op.input.f === 'read' && op.seen.value !== INIT) {
      const w = writeOf.get(op.seen.value);
      if (w === undefined) violations.push(`read #${op.id} returned ${op.seen.value}, which nobody wrote`);
      else if (w.invoke > op.complete!) violations.push(`read #${op.id} (${op.kind}) returned ${op.seen.value} before write #${w.id} was called`);
      else if (w.output?.type === 'written' && w.output.version !== op.seen.version) violations.push(`read #${op.id} saw ${op.seen.value} at version ${op.seen.version}, written as version ${w.output.version}`);
    }
    if (op.input.f === 'read' && op.seen.value === INIT && op.seen.version !== 0) violations.push(`read #${op.id} saw the initial value at version ${op.seen.version}`);
  }
  // Versions, in each session's completion order, never go back (own writes included), and neither do mzxids.
  for (const s of run.sessions) {
    for (let i = 1; i < s.revealed.length; i++) {
      const a = s.revealed[i - 1]!;
      const b = s.revealed[i]!;
      if (b.version < a.version) violations.push(`session ${s.id}: #${b.opId} saw version ${b.version} after #${a.opId} saw ${a.version}`);
      if (b.mzxid < a.mzxid) violations.push(`session ${s.id}: #${b.opId} saw mzxid ${b.mzxid.toString(16)} after #${a.opId} saw ${a.mzxid.toString(16)}`);
    }
  }

  // --- 2. FIFO: reply zxids per session never decrease; pipelined creates applied in issue order.
  for (const s of run.sessions) {
    for (let i = 1; i < s.replyZxids.length; i++) {
      if (s.replyZxids[i]! < s.replyZxids[i - 1]!) violations.push(`session ${s.id}: reply zxid ${s.replyZxids[i]!.toString(16)} after ${s.replyZxids[i - 1]!.toString(16)}`);
    }
  }
  let burstGaps = 0;
  const acknowledged = new Set<string>();
  for (const b of run.bursts) {
    const okJs = b.results.flatMap((r, j) => (r !== undefined && 'path' in r ? [j] : []));
    const order = b.replyOrder.join(',');
    if (order !== [...b.replyOrder].sort((x, y) => x - y).join(',')) violations.push(`session ${b.process} burst ${b.index}: replies arrived in order ${order}`);
    for (let k = 1; k < okJs.length; k++) {
      const prev = b.results[okJs[k - 1]!] as { path: string; czxid: bigint };
      const cur = b.results[okJs[k]!] as { path: string; czxid: bigint };
      if (!(cur.path > prev.path)) violations.push(`session ${b.process} burst ${b.index}: create ${okJs[k]} got ${cur.path} after create ${okJs[k - 1]} got ${prev.path}`);
      if (!(cur.czxid > prev.czxid)) violations.push(`session ${b.process} burst ${b.index}: create ${okJs[k]} czxid ${cur.czxid.toString(16)} <= ${prev.czxid.toString(16)}`);
    }
    if (okJs.length > 0 && okJs[okJs.length - 1] !== okJs.length - 1) burstGaps++;
    for (const j of okJs) acknowledged.add(`${b.process}:${b.index}:${j}`);
  }
  let fifoNodeCount = 0;
  for (const [sid, nodes] of run.fifoNodes) {
    fifoNodeCount += nodes.length;
    for (let i = 1; i < nodes.length; i++) {
      const [pb, pj] = nodes[i - 1]!.data.split(':').map(Number) as [number, number];
      const [cb, cj] = nodes[i]!.data.split(':').map(Number) as [number, number];
      if (!(cb > pb || (cb === pb && cj > pj))) violations.push(`session ${sid}: node seq ${nodes[i]!.seq} holds ${nodes[i]!.data}, applied after seq ${nodes[i - 1]!.seq} holding ${nodes[i - 1]!.data}`);
    }
    for (const n of nodes) acknowledged.delete(`${sid}:${n.data}`);
  }
  for (const lost of acknowledged) violations.push(`acknowledged create ${lost} (session:burst:op) is missing at the end`);

  // --- 3. Watch before read.
  for (const w of run.watchViolations) violations.push(`session ${w.process}: watch set at version ${w.armedVersion}, version ${w.sawVersion} seen by ${w.by} before the watch event`);

  const count = (f: (op: Recorded) => boolean) => ops.filter(f).length;
  const stats = {
    ops: ops.length,
    linearizabilityHistory: history.length,
    unknownWrites: count((o) => o.input.f !== 'read' && o.complete === undefined),
    okWrites: count((o) => o.output?.type === 'written'),
    casOk: count((o) => o.kind === 'cas' && o.output?.type === 'written'),
    casBadVersion: count((o) => o.output?.type === 'badversion'),
    syncedReads: count((o) => o.kind === 'synced-read' && o.complete !== undefined),
    plainReads: count((o) => (o.kind === 'read' || o.kind === 'watched-read') && o.complete !== undefined),
    failedReads: count((o) => o.input.f === 'read' && o.complete === undefined),
    checkerMs: Math.round(result.ms),
    checkerExplored: result.explored,
    watchChecks: run.watchChecks,
    probedReplies: run.probedReplies,
    bursts: run.bursts.length,
    burstsWithGaps: burstGaps,
    fifoNodes: fifoNodeCount,
    disconnects: run.sessions.reduce((n, s) => n + s.disconnects, 0),
    expiredSessions: run.sessions.filter((s) => s.expired).length,
    finalVersion: (ops[ops.length - 1]!.output as { version: number }).version,
  };
  return { violations, stats };
}

/** Copies of `run` with one anomaly each: a stale synced read, creates applied out of order, a reply zxid going back, a late watch event. */
function doctoredRuns(run: Run): Array<[string, Run, RegExp]> {
  const out: Array<[string, Run, RegExp]> = [];
  // A synced read, called after the write of version v+1 completed, reports version v consistently.
  const writes = new Map<number, Recorded>();
  for (const op of run.ops) if (op.output?.type === 'written' && op.seen !== undefined) writes.set(op.seen.version, op);
  const victim = run.ops.find((op) => {
    if (op.kind !== 'synced-read' || op.seen === undefined || op.seen.version < 2) return false;
    const w = writes.get(op.seen.version);
    return w !== undefined && w.complete! < op.invoke && writes.has(op.seen.version - 1);
  });
  if (victim !== undefined) {
    const older = writes.get(victim.seen!.version - 1)!.seen!;
    const stale: Recorded = { ...victim, id: run.ops.length + 1000, process: 99, output: { type: 'read', value: older.value, version: older.version }, seen: { ...older } };
    out.push(['stale synced read', { ...run, ops: [...run.ops, stale] }, /not linearizable/]);
  }
  const session = [...run.fifoNodes].find(([, nodes]) => nodes.length >= 2);
  if (session !== undefined) {
    const nodes = session[1].map((n) => ({ ...n }));
    [nodes[0]!.data, nodes[1]!.data] = [nodes[1]!.data, nodes[0]!.data];
    out.push(['creates applied out of order', { ...run, fifoNodes: new Map([...run.fifoNodes, [session[0], nodes]]) }, /applied after seq/]);
  }
  const s0 = run.sessions.find((s) => s.replyZxids.length >= 3 && s.replyZxids[1]! > s.replyZxids[0]!)!;
  out.push(['reply zxid going back', { ...run, sessions: run.sessions.map((s) => (s === s0 ? { ...s, replyZxids: [s.replyZxids[1]!, s.replyZxids[0]!, ...s.replyZxids.slice(2)] } : s)) }, /reply zxid/]);
  out.push(['late watch event', { ...run, watchViolations: [{ process: 0, armedVersion: 1, sawVersion: 2, by: 'doctored' }] }, /before the watch event/]);
  assert.equal(out.length, 4, 'every doctored variant could be built from the run');
  return out;
}

test('linearizable writes and synced reads, FIFO sessions and watch-before-read under kill -9 of leaders and followers', { timeout: 240_000 }, async (t) => {
  const ensemble = await Ensemble.create({ voters: 3 });
  try {
    ensemble.startAll();
    await ensemble.waitForQuorum();
    const all = ensemble.connectString();
    const connectStrings = [ensemble.connectString([1]), ensemble.connectString([2]), ensemble.connectString([3]), all, all, all];
    const nemesis = async (run: Run): Promise<void> => {
      const note = (what: string) => run.faults.push(`${(performance.now() / 1000).toFixed(1)}s ${what}`);
      for (let round = 1; round <= 3; round++) {
        await sleep(1_500);
        const leader = await ensemble.waitForQuorum([1, 2, 3], 30_000);
        note(`round ${round}: kill -9 leader ${leader}`);
        await ensemble.stop(leader, 'SIGKILL');
        await sleep(2_500);
        note(`restart ${leader}`);
        ensemble.start(leader);
        await ensemble.waitForQuorum([1, 2, 3], 30_000);
        await sleep(1_000);
        const now = await ensemble.waitForQuorum([1, 2, 3], 30_000);
        const follower = [1, 2, 3].filter((id) => id !== now)[round % 2]!;
        note(`round ${round}: kill -9 follower ${follower} (leader ${now})`);
        await ensemble.stop(follower, 'SIGKILL');
        await sleep(2_000);
        note(`restart ${follower}`);
        ensemble.start(follower);
        await ensemble.waitForQuorum([1, 2, 3], 30_000);
      }
      await sleep(1_000);
    };
    const run = await runWorkload({ connectStrings, finalConnectString: all, seed: 1717, maxOpsPerSession: 400, durationMs: 25_000, hardLimitMs: 90_000, nemesis });
    const { violations, stats } = checkRun(run, 'tszk');
    t.diagnostic(`faults: ${run.faults.join('; ')}`);
    t.diagnostic(`stats: ${JSON.stringify(stats)}`);
    if (run.unexpectedErrors.length > 0) t.diagnostic(`unexpected errors (treated as unknown): ${run.unexpectedErrors.slice(0, 10).join('; ')}`);
    assert.deepEqual(violations, [], violations.join('\n\n'));
    for (const [what, doctored, expected] of doctoredRuns(run)) {
      const found = checkRun(doctored, `doctored-${what.replace(/\W+/g, '-')}`).violations;
      assert.ok(found.some((v) => expected.test(v)), `a doctored run (${what}) was not caught: ${found.join('; ') || 'no violation'}`);
    }
    // The run exercised what it claims to: faults reached the clients, and every kind of outcome occurred.
    assert.ok(stats.disconnects >= 6, `only ${stats.disconnects} disconnects`);
    assert.ok(stats.okWrites >= 50 && stats.casOk >= 10 && stats.casBadVersion >= 5 && stats.syncedReads >= 50 && stats.plainReads >= 30, JSON.stringify(stats));
    assert.ok(stats.watchChecks >= 10 && stats.probedReplies > 0 && stats.bursts >= 5, JSON.stringify(stats));
    assert.deepEqual(run.unexpectedErrors, []);
  } finally {
    await ensemble.destroy();
  }
});

test('the same workload and checks accept real ZooKeeper 3.8 (standalone, no faults)', { timeout: 120_000, skip: !referenceZooKeeperAvailable() && 'reference ZooKeeper not installed' }, async (t) => {
  const zk = await startReferenceZooKeeper();
  references.add(zk);
  try {
    const cs = `127.0.0.1:${zk.port}`;
    const run = await runWorkload({ connectStrings: [cs, cs, cs, cs, cs, cs], finalConnectString: cs, seed: 4242, maxOpsPerSession: 150, durationMs: 6_000, hardLimitMs: 30_000 });
    const { violations, stats } = checkRun(run, 'reference');
    t.diagnostic(`stats: ${JSON.stringify(stats)}`);
    assert.deepEqual(violations, [], violations.join('\n\n'));
    // ...and the checks are not vacuous: the same run, doctored, is rejected.
    for (const [what, doctored, expected] of doctoredRuns(run)) {
      const found = checkRun(doctored, `doctored-${what.replace(/\W+/g, '-')}`).violations;
      assert.ok(found.some((v) => expected.test(v)), `a doctored run (${what}) was not caught: ${found.join('; ') || 'no violation'}`);
    }
    assert.ok(stats.okWrites >= 20 && stats.casBadVersion >= 1 && stats.syncedReads >= 20 && stats.watchChecks >= 5, JSON.stringify(stats));
    assert.deepEqual(run.unexpectedErrors, []);
  } finally {
    await zk.stop();
    references.delete(zk);
  }
});
