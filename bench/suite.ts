/**
 * The servers' runs, side by side: cold starts, then the stress phases on one data dir per
 * server with a restart (recovery) in the middle, then the coordination phases and the
 * read/write-ratio curve. Each step runs on every server before the next step starts. A failed
 * phase is recorded and the run goes on; every server is always stopped.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OpCode } from '../src/proto/op-code.js';
import type { PhaseName, Settings } from './flags.js';
import { RATIO_VALUE_BYTES, WARMUP_FRACTION, WARMUP_OPS_MAX } from './limits.js';
import { LoadSession } from './load-session.js';
import { failedPhase, measurePhase } from './measure.js';
import { launchCluster, planCluster, type Cluster, type ClusterLayout } from './cluster.js';
import { processesMemory } from './proc-stats.js';
import type { Progress } from './progress.js';
import { createBody, existsBody, statNumChildren } from './requests.js';
import type { PhaseResult, RecoveryResult, ServerResult } from './results.js';
import { fourLetterWord } from './four-letter.js';
import { HOST, type ServerKind } from './server-process.js';
import type { TaskKind, TaskSpec } from './task.js';
import { makeDir, removeDir } from './temp-dirs.js';
import { LoadClients } from './worker-pool.js';

const ROOT = '/bench';
/** The directory each phase works under. */
const DIRS = { keys: `${ROOT}/keys`, ephemerals: `${ROOT}/ephemerals`, lock: `${ROOT}/lock`, watch: `${ROOT}/watch`, ratio: `${ROOT}/ratio` } as const;
const SEED_BASE = 0x5eed;
const WARMUP_READ_PERCENT = 50;
const MIB = 2 ** 20;

/** Mutable state of one server's run. */
interface Run {
  readonly kind: ServerKind;
  readonly settings: Settings;
  readonly progress: Progress;
  readonly dataDir: string;
  readonly layout: ClusterLayout;
  cluster: Cluster;
  clients: LoadClients;
  peakRssBytes: number;
  readonly phases: PhaseResult[];
  recovery?: RecoveryResult;
}

function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

function baseTask(run: Run, kind: TaskKind, dir: string, worker: number, firstSession = worker * run.settings.sessionsPerClient): TaskSpec {
  return {
    kind, host: HOST, ports: run.cluster.ports, firstSession, worker, dir,
    sessions: run.settings.sessionsPerClient, window: run.settings.window,
    first: 0, count: 0, keySpace: 0, readPercent: 0, valueBytes: run.settings.valueBytes,
    seed: SEED_BASE + worker, timeLimitMs: run.settings.phaseTimeLimitMs,
  };
}

/** Keys [0, total) split into contiguous ranges, one per worker. */
function keyTasks(run: Run, kind: TaskKind, dir: string, total: number, valueBytes: number): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  let first = 0;
  for (let w = 0; w < run.clients.size; w++) {
    const count = share(total, run.clients.size, w);
    if (count > 0) tasks.push({ ...baseTask(run, kind, dir, w), first, count, valueBytes });
    first += count;
  }
  return tasks;
}

/** `loops` concurrent loops doing `cycles` in all, spread over the workers. */
function loopTasks(run: Run, kind: TaskKind, dir: string, loops: number, cycles: number): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  let loop = 0;
  for (let w = 0; w < run.clients.size; w++) {
    const sessions = share(loops, run.clients.size, w);
    const firstLoop = loop;
    let count = 0;
    for (let i = 0; i < sessions; i++) count += share(cycles, loops, loop++);
    if (sessions > 0) tasks.push({ ...baseTask(run, kind, dir, w, firstLoop), sessions, count });
  }
  return tasks;
}

async function withSession<T>(run: Run, use: (session: LoadSession) => Promise<T>): Promise<T> {
  const session = await LoadSession.open(HOST, run.cluster.ports[0]!);
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}

async function createDirs(run: Run): Promise<void> {
  await withSession(run, async (session) => {
    for (const path of [ROOT, ...Object.values(DIRS)]) {
      const reply = await session.call(OpCode.create, createBody(path, Buffer.alloc(0)));
      if (reply.err !== 0) throw new Error(`create ${path}: error ${reply.err}`);
    }
  });
}

async function childCount(run: Run, dir: string): Promise<number> {
  return withSession(run, async (session) => statNumChildren((await session.call(OpCode.exists, existsBody(dir))).frame));
}

/** Runs a phase; a failure is recorded, and the load clients are replaced in case they are stuck. */
async function phase(run: Run, name: string, tasks: readonly TaskSpec[], readPercent?: number): Promise<void> {
  try {
    run.phases.push(await measurePhase(`${label(run)} ${name}`, run.cluster.pids, run.clients, tasks, run.progress, readPercent).then((r) => ({ ...r, name })));
  } catch (error) {
    const message = (error as Error).message;
    run.progress.note(`${label(run)} ${name}: FAILED: ${message}`);
    run.phases.push(failedPhase(name, message, readPercent));
    await run.clients.stop();
    run.clients = LoadClients.start(run.settings.clients);
  }
}

/** "tszk", or "tszk×3" for an ensemble: progress lines and errors. */
function label(run: { readonly kind: ServerKind; readonly layout: { readonly size: number } }): string {
  return run.layout.size === 1 ? run.kind : `${run.kind}×${run.layout.size}`;
}

/** VmHWM summed over the members (each member's own peak; they need not coincide). */
function notePeak(run: Run): void {
  run.peakRssBytes = Math.max(run.peakRssBytes, processesMemory(run.cluster.pids).peakRssBytes);
}

async function directoryBytes(dir: string): Promise<{ bytes: number; snapshots: number; logs: number }> {
  let bytes = 0;
  let snapshots = 0;
  let logs = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
    if (entry.name.startsWith('snapshot.')) snapshots++;
    if (entry.name.startsWith('log.')) logs++;
  }
  return { bytes, snapshots, logs };
}

/**
 * Stops the server (SIGTERM) and starts it again on the same data dir: recovery from snapshot +
 * log. An ensemble is stopped whole and restarted whole: spawn to every member serving under a
 * settled leader.
 */
async function recovery(run: Run): Promise<void> {
  const znodes = await childCount(run, DIRS.keys);
  notePeak(run);
  await run.cluster.stop();
  const onDisk = await directoryBytes(run.dataDir);
  run.progress.note(`${label(run)} recovery: restarting on ${znodes.toLocaleString('en-US')} znodes (${(onDisk.bytes / MIB).toFixed(1)} MiB on disk)`);
  run.cluster = await launchCluster(run.layout, clusterLaunch(run.settings, run.layout.size));
  const recoveredZnodes = await childCount(run, DIRS.keys);
  run.recovery = {
    znodes, startupMs: run.cluster.startupMs, recoveredZnodes, rssBytes: processesMemory(run.cluster.pids).rssBytes,
    dataDirBytes: onDisk.bytes, snapshotFiles: onDisk.snapshots, logFiles: onDisk.logs,
  };
  run.progress.note(`${label(run)} recovery: serving after ${run.cluster.startupMs.toFixed(0)} ms, ${recoveredZnodes.toLocaleString('en-US')} znodes, RSS ${(run.recovery.rssBytes / MIB).toFixed(0)} MiB`);
  await warmUp(run, recoveredZnodes);
}

/** Half reads, half rewrites of existing znodes, untimed: the restarted server's JIT warms up before delete. */
async function warmUp(run: Run, znodes: number): Promise<void> {
  const ops = Math.min(WARMUP_OPS_MAX, Math.ceil(znodes * WARMUP_FRACTION));
  if (ops === 0) return;
  const tasks = keyTasks(run, 'mixed', DIRS.keys, ops, run.settings.valueBytes).map((t) => ({ ...t, first: 0, keySpace: znodes, readPercent: WARMUP_READ_PERCENT }));
  await measurePhase(`${label(run)} recovery warm-up (untimed)`, run.cluster.pids, run.clients, tasks, run.progress);
}

/** How members start: a standalone ZooKeeper gets --zookeeper-heap (2g), each ensemble JVM 512m unless the flag was given. */
function clusterLaunch(settings: Settings, size: number): { tszkNodeArgs: readonly string[]; zookeeperHeap: string } {
  return { tszkNodeArgs: settings.tszkNodeArgs, zookeeperHeap: size === 1 ? settings.zookeeperHeap : settings.ensembleZookeeperHeap };
}

/** The steps a phase runs as, each measured and interleaved across servers on its own. */
function stepsOf(name: PhaseName, settings: Settings): string[] {
  if (name !== 'ratio') return [name];
  return ['ratio-populate', ...settings.readPercents.map((percent) => `ratio-${percent}`)];
}

const RATIO_STEP = /^ratio-(\d+)$/;

async function runStep(run: Run, step: string): Promise<void> {
  const s = run.settings;
  const ratio = RATIO_STEP.exec(step);
  if (ratio !== null) {
    const percent = Number(ratio[1]);
    const tasks = keyTasks(run, 'mixed', DIRS.ratio, s.ratioOps, RATIO_VALUE_BYTES).map((t) => ({ ...t, first: 0, keySpace: s.ratioKeys, readPercent: percent, seed: t.seed + percent }));
    return phase(run, step, tasks, percent);
  }
  switch (step) {
    case 'create':
    case 'set':
    case 'read':
    case 'delete':
      return phase(run, step, keyTasks(run, step, DIRS.keys, s.znodes, s.valueBytes));
    case 'recovery':
      return recovery(run).catch((error: Error) => {
        run.progress.note(`${label(run)} recovery: FAILED: ${error.message}`);
        run.phases.push(failedPhase('recovery', error.message));
      });
    case 'ephemerals':
      return phase(run, step, [{ ...baseTask(run, 'ephemerals', DIRS.ephemerals, 0), count: s.ephemerals, sessions: 2 }]);
    case 'lock':
      return phase(run, step, loopTasks(run, 'lock', DIRS.lock, s.contenders, s.lockCycles));
    case 'watch-cycle':
      return phase(run, step, loopTasks(run, 'watch-cycle', DIRS.watch, s.contenders, s.watchCycles));
    case 'ratio-populate':
      return phase(run, step, keyTasks(run, 'create', DIRS.ratio, s.ratioKeys, RATIO_VALUE_BYTES));
    default:
      throw new Error(`unknown step ${step}`);
  }
}

/** One cold start on a fresh data dir: spawn to first successful request (every member, leader settled), and the idle RSS (summed). */
async function coldStart(kind: ServerKind, size: number, settings: Settings): Promise<{ startupMs: number; idleRssBytes: number }> {
  const dataDir = await makeDir(settings.dataDirBase, `tszk-bench-${kind}-start-`);
  try {
    const cluster = await launchCluster(await planCluster(kind, size, dataDir), clusterLaunch(settings, size));
    const idleRssBytes = processesMemory(cluster.pids).rssBytes;
    await cluster.stop();
    return { startupMs: cluster.startupMs, idleRssBytes };
  } finally {
    await removeDir(dataDir);
  }
}

/** What one server's run has measured so far, plus why it stopped early if it did. */
interface Outcome {
  readonly kind: ServerKind;
  readonly size: number;
  readonly startupMs: number[];
  idleRssBytes: number;
  version: string;
  modes: readonly string[];
  dataDir?: string;
  run?: Run;
  failure?: string;
}

/** Cold starts of this comparison: --startup-runs (ensembles under --smoke: none unless the flag was given). */
function startupRunsOf(settings: Settings, size: number): number {
  return size === 1 ? settings.startupRuns : settings.ensembleStartupRuns;
}

async function coldStarts(outcomes: readonly Outcome[], settings: Settings, progress: Progress): Promise<void> {
  const runs = outcomes.length === 0 ? 0 : startupRunsOf(settings, outcomes[0]!.size);
  for (let i = 0; i < runs; i++) {
    for (const o of outcomes) {
      try {
        const start = await coldStart(o.kind, o.size, settings);
        o.startupMs.push(start.startupMs);
        o.idleRssBytes = Math.max(o.idleRssBytes, start.idleRssBytes);
        progress.note(`${label({ kind: o.kind, layout: { size: o.size } })} cold start ${i + 1}/${runs}: ${start.startupMs.toFixed(0)} ms to first reply`);
      } catch (error) {
        progress.note(`${label({ kind: o.kind, layout: { size: o.size } })} cold start FAILED: ${(error as Error).message}`);
      }
    }
  }
}

/** Starts the server the phases run against, with its directories and load clients. */
async function openRun(o: Outcome, settings: Settings, progress: Progress): Promise<void> {
  const dataDir = await makeDir(settings.dataDirBase, `tszk-bench-${o.kind}-`);
  o.dataDir = dataDir;
  const layout = await planCluster(o.kind, o.size, dataDir);
  const cluster = await launchCluster(layout, clusterLaunch(settings, o.size));
  if (startupRunsOf(settings, o.size) === 0) o.startupMs.push(cluster.startupMs);
  o.run = { kind: o.kind, settings, progress, dataDir, layout, cluster, clients: LoadClients.start(settings.clients), peakRssBytes: 0, phases: [] };
  o.version = (await fourLetterWord(HOST, cluster.ports[0]!, 'srvr').catch(() => '')).split('\n')[0] ?? '';
  o.modes = cluster.modes;
  const where = o.size === 1 ? `pid ${cluster.pids[0]}, port ${cluster.ports[0]}` : `${o.size} servers, pids ${cluster.pids.join(',')}, ports ${cluster.ports.join(',')}, leader server ${cluster.leaderId}`;
  progress.note(`${label(o.run)}: ${o.version} (${where}, data ${dataDir})`);
  await createDirs(o.run);
}

function recordFailure(o: Outcome, error: unknown, progress: Progress): void {
  o.failure = (error as Error).message;
  if (o.run?.cluster.hasExited() === true) o.failure += `\na server exited; the last output:\n${o.run.cluster.logTail()}`;
  progress.note(`${o.kind}: FAILED: ${o.failure}`);
}

async function closeRun(o: Outcome, settings: Settings): Promise<void> {
  if (o.run !== undefined) {
    notePeak(o.run);
    await o.run.clients.stop();
    await o.run.cluster.stop();
  }
  if (o.dataDir !== undefined && !settings.keepData) await removeDir(o.dataDir);
}

function resultOf(o: Outcome): ServerResult {
  const run = o.run;
  return {
    kind: o.kind, ensembleSize: o.size, modes: o.modes, version: o.version, startupMs: o.startupMs, idleRssBytes: o.idleRssBytes,
    phases: run?.phases ?? [], peakRssBytes: run?.peakRssBytes ?? 0,
    ...(run?.recovery === undefined ? {} : { recovery: run.recovery }),
    ...(o.failure === undefined ? {} : { failure: o.failure }),
  };
}

/**
 * Benchmarks the servers side by side: every step runs on each server in turn (alternating
 * which goes first), so that both see the same background load on a shared machine. Never
 * throws: a failure is part of the result. Every server is stopped at the end.
 */
export async function benchServers(kinds: readonly ServerKind[], size: number, settings: Settings, progress: Progress): Promise<ServerResult[]> {
  const outcomes: Outcome[] = kinds.map((kind) => ({ kind, size, startupMs: [], idleRssBytes: 0, version: '', modes: [] }));
  await coldStarts(outcomes, settings, progress);
  try {
    for (const o of outcomes) await openRun(o, settings, progress).catch((error: unknown) => recordFailure(o, error, progress));
    const steps = settings.phases.flatMap((name) => stepsOf(name, settings));
    for (const [index, step] of steps.entries()) {
      const order = index % 2 === 0 ? outcomes : [...outcomes].reverse();
      for (const o of order) {
        if (o.failure !== undefined || o.run === undefined) continue;
        await runStep(o.run, step).catch((error: unknown) => recordFailure(o, error, progress));
      }
    }
  } finally {
    for (const o of outcomes) await closeRun(o, settings);
  }
  return outcomes.map(resultOf);
}
