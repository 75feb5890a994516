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
import { processMemory } from './proc-stats.js';
import type { Progress } from './progress.js';
import { createBody, existsBody, statNumChildren } from './requests.js';
import type { PhaseResult, RecoveryResult, ServerResult } from './results.js';
import { fourLetterWord } from './four-letter.js';
import { freePort, HOST, launchServer, type ServerKind, type ServerProcess } from './server-process.js';
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
  readonly port: number;
  server: ServerProcess;
  clients: LoadClients;
  peakRssBytes: number;
  readonly phases: PhaseResult[];
  recovery?: RecoveryResult;
}

function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

function baseTask(run: Run, kind: TaskKind, dir: string, worker: number): TaskSpec {
  return {
    kind, host: HOST, port: run.port, worker, dir,
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
    let count = 0;
    for (let i = 0; i < sessions; i++) count += share(cycles, loops, loop++);
    if (sessions > 0) tasks.push({ ...baseTask(run, kind, dir, w), sessions, count });
  }
  return tasks;
}

async function withSession<T>(run: Run, use: (session: LoadSession) => Promise<T>): Promise<T> {
  const session = await LoadSession.open(HOST, run.port);
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
    run.phases.push(await measurePhase(`${run.kind} ${name}`, run.server.pid, run.clients, tasks, run.progress, readPercent).then((r) => ({ ...r, name })));
  } catch (error) {
    const message = (error as Error).message;
    run.progress.note(`${run.kind} ${name}: FAILED: ${message}`);
    run.phases.push(failedPhase(name, message, readPercent));
    await run.clients.stop();
    run.clients = LoadClients.start(run.settings.clients);
  }
}

function notePeak(run: Run): void {
  try {
    run.peakRssBytes = Math.max(run.peakRssBytes, processMemory(run.server.pid).peakRssBytes);
  } catch {
    // Exited already: its peak is lost, the others stand.
  }
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

/** Stops the server (SIGTERM) and starts it again on the same data dir: recovery from snapshot + log. */
async function recovery(run: Run): Promise<void> {
  const znodes = await childCount(run, DIRS.keys);
  notePeak(run);
  await run.server.stop();
  const onDisk = await directoryBytes(run.dataDir);
  run.progress.note(`${run.kind} recovery: restarting on ${znodes.toLocaleString('en-US')} znodes (${(onDisk.bytes / MIB).toFixed(1)} MiB on disk)`);
  run.server = await launchServer(launchOptions(run));
  const recoveredZnodes = await childCount(run, DIRS.keys);
  run.recovery = {
    znodes, startupMs: run.server.startupMs, recoveredZnodes, rssBytes: processMemory(run.server.pid).rssBytes,
    dataDirBytes: onDisk.bytes, snapshotFiles: onDisk.snapshots, logFiles: onDisk.logs,
  };
  run.progress.note(`${run.kind} recovery: serving after ${run.server.startupMs.toFixed(0)} ms, ${recoveredZnodes.toLocaleString('en-US')} znodes, RSS ${(run.recovery.rssBytes / MIB).toFixed(0)} MiB`);
  await warmUp(run, recoveredZnodes);
}

/** Half reads, half rewrites of existing znodes, untimed: the restarted server's JIT warms up before delete. */
async function warmUp(run: Run, znodes: number): Promise<void> {
  const ops = Math.min(WARMUP_OPS_MAX, Math.ceil(znodes * WARMUP_FRACTION));
  if (ops === 0) return;
  const tasks = keyTasks(run, 'mixed', DIRS.keys, ops, run.settings.valueBytes).map((t) => ({ ...t, first: 0, keySpace: znodes, readPercent: WARMUP_READ_PERCENT }));
  await measurePhase(`${run.kind} recovery warm-up (untimed)`, run.server.pid, run.clients, tasks, run.progress);
}

function launchOptions(run: Pick<Run, 'kind' | 'settings' | 'dataDir' | 'port'>): Parameters<typeof launchServer>[0] {
  return { kind: run.kind, dataDir: run.dataDir, port: run.port, tszkNodeArgs: run.settings.tszkNodeArgs, zookeeperHeap: run.settings.zookeeperHeap };
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
        run.progress.note(`${run.kind} recovery: FAILED: ${error.message}`);
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

/** One cold start on a fresh data dir: spawn to first successful request, and the idle RSS. */
async function coldStart(kind: ServerKind, settings: Settings): Promise<{ startupMs: number; idleRssBytes: number }> {
  const dataDir = await makeDir(settings.dataDirBase, `tszk-bench-${kind}-start-`);
  try {
    const server = await launchServer(launchOptions({ kind, settings, dataDir, port: await freePort() }));
    const idleRssBytes = processMemory(server.pid).rssBytes;
    await server.stop();
    return { startupMs: server.startupMs, idleRssBytes };
  } finally {
    await removeDir(dataDir);
  }
}

/** What one server's run has measured so far, plus why it stopped early if it did. */
interface Outcome {
  readonly kind: ServerKind;
  readonly startupMs: number[];
  idleRssBytes: number;
  version: string;
  dataDir?: string;
  run?: Run;
  failure?: string;
}

async function coldStarts(outcomes: readonly Outcome[], settings: Settings, progress: Progress): Promise<void> {
  for (let i = 0; i < settings.startupRuns; i++) {
    for (const o of outcomes) {
      try {
        const start = await coldStart(o.kind, settings);
        o.startupMs.push(start.startupMs);
        o.idleRssBytes = Math.max(o.idleRssBytes, start.idleRssBytes);
        progress.note(`${o.kind} cold start ${i + 1}/${settings.startupRuns}: ${start.startupMs.toFixed(0)} ms to first reply`);
      } catch (error) {
        progress.note(`${o.kind} cold start FAILED: ${(error as Error).message}`);
      }
    }
  }
}

/** Starts the server the phases run against, with its directories and load clients. */
async function openRun(o: Outcome, settings: Settings, progress: Progress): Promise<void> {
  const dataDir = await makeDir(settings.dataDirBase, `tszk-bench-${o.kind}-`);
  o.dataDir = dataDir;
  const base = { kind: o.kind, settings, progress, dataDir, port: await freePort() };
  const server = await launchServer(launchOptions(base));
  if (settings.startupRuns === 0) o.startupMs.push(server.startupMs);
  o.run = { ...base, server, clients: LoadClients.start(settings.clients), peakRssBytes: 0, phases: [] };
  o.version = (await fourLetterWord(HOST, o.run.port, 'srvr').catch(() => '')).split('\n')[0] ?? '';
  progress.note(`${o.kind}: ${o.version} (pid ${server.pid}, port ${o.run.port}, data ${dataDir})`);
  await createDirs(o.run);
}

function recordFailure(o: Outcome, error: unknown, progress: Progress): void {
  o.failure = (error as Error).message;
  if (o.run?.server.hasExited() === true) o.failure += `\nthe server exited; its last output:\n${o.run.server.logTail()}`;
  progress.note(`${o.kind}: FAILED: ${o.failure}`);
}

async function closeRun(o: Outcome, settings: Settings): Promise<void> {
  if (o.run !== undefined) {
    notePeak(o.run);
    await o.run.clients.stop();
    await o.run.server.stop();
  }
  if (o.dataDir !== undefined && !settings.keepData) await removeDir(o.dataDir);
}

function resultOf(o: Outcome): ServerResult {
  const run = o.run;
  return {
    kind: o.kind, version: o.version, startupMs: o.startupMs, idleRssBytes: o.idleRssBytes,
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
export async function benchServers(kinds: readonly ServerKind[], settings: Settings, progress: Progress): Promise<ServerResult[]> {
  const outcomes: Outcome[] = kinds.map((kind) => ({ kind, startupMs: [], idleRssBytes: 0, version: '' }));
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
