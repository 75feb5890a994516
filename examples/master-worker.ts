/**
 * The master–worker example of "ZooKeeper: Distributed Process Coordination" (Junqueira and
 * Reed), on the tszk client:
 *
 *   /master            ephemeral; whoever creates it is the master, the others wait as backups
 *   /workers/<w>       ephemeral; a live worker
 *   /assign/<w>/<t>    a task assigned to worker w
 *   /tasks/task-N      submitted tasks (persistent sequential), not yet assigned
 *   /status/task-N     a finished task: "done by <w>"
 *
 * Every move of a task is one multi, so a task is never in two places: the master assigns with
 * create /assign/w/t + delete /tasks/t, a worker finishes with create /status/t + delete
 * /assign/w/t, and a dead worker's tasks go back with create /tasks/t + delete /assign/w/t. A
 * task is finished exactly once even when its worker dies in the middle of it: the worker's
 * multi and the master's recovery both delete the assignment, and only one can.
 *
 *   node dist/examples/master-worker.js master --id m1 [--connect host:port]   (or $ZK)
 *   node dist/examples/master-worker.js worker --id w1 [--task-ms 150]
 *   node dist/examples/master-worker.js client --tasks 10
 *   node dist/examples/master-worker.js all      # 2 masters, 3 workers and a client in one process
 *   node dist/examples/master-worker.js demo     # processes; kills the master and a worker
 *
 * The demo works in a fresh chroot, `/master-worker-demo-<time>`, removed at the end; it exits
 * 0 only if every task was finished exactly once.
 */
import { fileURLToPath } from 'node:url';
import type { ZooKeeperClient } from '../src/main/client.js';
import { ErrorCode } from '../src/proto/error-code.js';
import {
  Child,
  allLines,
  connect,
  connectStringOf,
  ensureNode,
  intFlag,
  isKeeperError,
  parseRoleCommandLine,
  runMain,
  say,
  sleep,
  waitUntil,
  withDemoChroot,
  type CommandLine,
} from './example-support.js';

/** Settings every role reads from the command line. */
interface Settings {
  readonly connectString: string;
  readonly sessionTimeoutMs: number;
  readonly taskMs: number;
}

/** How often the master re-reads everything even without a watch firing. */
const MASTER_SWEEP_MS = 1_000;
/** Bound on the client's wait for its tasks. */
const CLIENT_WAIT_MS_MAX = 120_000;

async function bootstrap(zk: ZooKeeperClient): Promise<void> {
  for (const path of ['/workers', '/tasks', '/assign', '/status']) await ensureNode(zk, path);
}

// ---------------------------------------------------------------- master

/** Becomes master (creates /master) or waits as a backup until it can; resolves when master. */
async function elect(zk: ZooKeeperClient, id: string): Promise<void> {
  let announced = false;
  for (;;) {
    try {
      await zk.create('/master', id, { mode: 'EPHEMERAL' });
      return;
    } catch (err) {
      if (isKeeperError(err, ErrorCode.CONNECTIONLOSS)) {
        await sleep(100);
        continue;
      }
      if (!isKeeperError(err, ErrorCode.NODEEXISTS)) throw err;
    }
    // Someone is master, maybe us (a create whose reply was lost).
    const deleted = new Promise<void>((resolve) => {
      zk.exists('/master', () => resolve()).then(
        (stat) => {
          if (stat === null) resolve();
          else if (stat.ephemeralOwner === zk.sessionId) resolve();
        },
        () => resolve(),
      );
    });
    const current = await zk.getData('/master').catch(() => null);
    if (current !== null && current.stat.ephemeralOwner === zk.sessionId) return;
    if (!announced) say(id, `BACKUP master is ${current?.data?.toString() ?? '?'}`);
    announced = true;
    await deleted;
  }
}

/** The master's work: one reconcile loop, run again on every watch and every sweep. */
class Master {
  private dirty = false;
  private running = false;
  private next = 0;
  private readonly watcher = () => this.kick();

  constructor(
    private readonly zk: ZooKeeperClient,
    private readonly id: string,
  ) {}

  start(): void {
    setInterval(() => this.kick(), MASTER_SWEEP_MS).unref();
    this.kick();
  }

  private kick(): void {
    this.dirty = true;
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.dirty) {
      this.dirty = false;
      try {
        await this.reconcile();
      } catch (err) {
        if (!isKeeperError(err, ErrorCode.CONNECTIONLOSS)) say(this.id, `ERROR ${(err as Error).message}`);
        await sleep(200);
        this.dirty = true;
      }
    }
    this.running = false;
  }

  private async reconcile(): Promise<void> {
    const workers = (await this.zk.getChildren('/workers', this.watcher)).sort();
    const live = new Set(workers);
    for (const dir of await this.zk.getChildren('/assign')) {
      if (!live.has(dir)) await this.recover(dir);
    }
    const tasks = (await this.zk.getChildren('/tasks', this.watcher)).sort();
    for (const task of tasks) {
      if (workers.length === 0) return;
      const worker = workers[this.next++ % workers.length]!;
      await this.assign(task, worker);
    }
  }

  private async assign(task: string, worker: string): Promise<void> {
    let data: Buffer | null;
    try {
      data = (await this.zk.getData(`/tasks/${task}`)).data;
    } catch (err) {
      if (isKeeperError(err, ErrorCode.NONODE)) return;
      throw err;
    }
    const results = await this.zk.multi([
      { op: 'create', path: `/assign/${worker}/${task}`, data },
      { op: 'delete', path: `/tasks/${task}` },
    ]);
    if (results.every((r) => r.type !== 'error')) say(this.id, `ASSIGNED ${task} ${worker}`);
  }

  /** A worker is gone: its unfinished tasks go back to /tasks. */
  private async recover(worker: string): Promise<void> {
    for (const task of await this.zk.getChildren(`/assign/${worker}`).catch(() => [] as string[])) {
      let data: Buffer | null;
      try {
        data = (await this.zk.getData(`/assign/${worker}/${task}`)).data;
      } catch (err) {
        if (isKeeperError(err, ErrorCode.NONODE)) continue;
        throw err;
      }
      const results = await this.zk.multi([
        { op: 'create', path: `/tasks/${task}`, data },
        { op: 'delete', path: `/assign/${worker}/${task}` },
      ]);
      if (results.every((r) => r.type !== 'error')) say(this.id, `REASSIGNED ${task} from ${worker}`);
    }
  }
}

async function runMaster(settings: Settings, id: string): Promise<void> {
  const zk = await connect(settings.connectString, settings.sessionTimeoutMs, id);
  closeOnSignal(zk);
  await bootstrap(zk);
  say(id, `STARTED session 0x${zk.sessionId.toString(16)} timeout ${zk.sessionTimeoutMs}`);
  await elect(zk, id);
  say(id, 'ELECTED');
  new Master(zk, id).start();
}

// ---------------------------------------------------------------- worker

async function runWorker(settings: Settings, id: string): Promise<void> {
  const zk = await connect(settings.connectString, settings.sessionTimeoutMs, id);
  closeOnSignal(zk);
  await bootstrap(zk);
  await ensureNode(zk, `/assign/${id}`);
  const deadline = Date.now() + 3 * settings.sessionTimeoutMs;
  for (;;) {
    try {
      await zk.create(`/workers/${id}`, 'idle', { mode: 'EPHEMERAL' });
      break;
    } catch (err) {
      // An earlier process with this id may still hold it until its session expires.
      if (!isKeeperError(err, ErrorCode.NODEEXISTS, ErrorCode.CONNECTIONLOSS) || Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
  say(id, 'REGISTERED');
  let dirty = true;
  let wake: (() => void) | null = null;
  const watcher = () => {
    dirty = true;
    wake?.();
  };
  for (;;) {
    if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
    dirty = false;
    let tasks: string[];
    try {
      tasks = (await zk.getChildren(`/assign/${id}`, watcher)).sort();
    } catch (err) {
      if (!isKeeperError(err, ErrorCode.CONNECTIONLOSS)) throw err;
      dirty = true;
      await sleep(100);
      continue;
    }
    for (const task of tasks) await work(zk, id, task, settings.taskMs);
  }
}

async function work(zk: ZooKeeperClient, id: string, task: string, taskMs: number): Promise<void> {
  const path = `/assign/${id}/${task}`;
  let data: Buffer | null;
  try {
    data = (await zk.getData(path)).data;
  } catch (err) {
    if (isKeeperError(err, ErrorCode.NONODE, ErrorCode.CONNECTIONLOSS)) return;
    throw err;
  }
  say(id, `START ${task} ${data?.toString() ?? ''}`);
  await sleep(taskMs); // the "work"
  try {
    const results = await zk.multi([
      { op: 'create', path: `/status/${task}`, data: `done by ${id}` },
      { op: 'delete', path },
    ]);
    const failed = results.find((r) => r.type === 'error');
    if (failed === undefined) say(id, `DONE ${task}`);
    else say(id, `ABANDONED ${task} err ${failed.type === 'error' ? failed.err : ''}`);
  } catch (err) {
    // The reply was lost: the next pass sees whether the assignment is still there.
    say(id, `UNSURE ${task} ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------- client

async function runClient(settings: Settings, id: string, count: number): Promise<boolean> {
  const zk = await connect(settings.connectString, settings.sessionTimeoutMs, id);
  closeOnSignal(zk);
  await bootstrap(zk);
  const pending = new Set<string>();
  for (let i = 0; i < count; i++) {
    const path = await zk.create('/tasks/task-', `payload-${i}`, { mode: 'PERSISTENT_SEQUENTIAL' });
    const name = path.slice('/tasks/'.length);
    pending.add(name);
    say(id, `SUBMITTED ${name}`);
  }
  const deadline = Date.now() + CLIENT_WAIT_MS_MAX;
  let wake: (() => void) | null = null;
  while (pending.size > 0 && Date.now() < deadline) {
    const changed = new Promise<void>((resolve) => (wake = resolve));
    for (const name of [...pending]) {
      try {
        const stat = await zk.exists(`/status/${name}`, () => wake?.());
        if (stat === null) continue;
        const { data } = await zk.getData(`/status/${name}`);
        pending.delete(name);
        say(id, `COMPLETED ${name} ${data?.toString() ?? ''}`);
      } catch (err) {
        if (!isKeeperError(err, ErrorCode.CONNECTIONLOSS)) throw err;
      }
    }
    if (pending.size > 0) await Promise.race([changed, sleep(1_000)]);
  }
  say(id, pending.size === 0 ? `ALL-COMPLETED ${count}` : `TIMEOUT ${pending.size} of ${count} not completed`);
  await zk.close();
  return pending.size === 0;
}

function closeOnSignal(zk: ZooKeeperClient): void {
  process.once('SIGTERM', () => {
    void zk.close().finally(() => process.exit(0));
  });
}

// ---------------------------------------------------------------- demo

/** What the demo found; `ok` only if every task was done exactly once and a backup took over. */
export interface DemoReport {
  readonly ok: boolean;
  readonly tasks: number;
  readonly done: number;
  readonly duplicates: string[];
  readonly missing: string[];
  readonly takeoverMs: number | null;
  readonly reassigned: number;
}

async function runDemo(line: CommandLine, settings: Settings): Promise<DemoReport> {
  const taskCount = intFlag(line, 'tasks', 24);
  const echo = line.flags.get('quiet') === undefined;
  const script = fileURLToPath(import.meta.url);
  return withDemoChroot(settings.connectString, 'master-worker', async ({ connectString: childConnect, children }) => {
    const common = ['--connect', childConnect, '--session-ms', String(settings.sessionTimeoutMs), '--task-ms', String(settings.taskMs)];
    const start = (name: string, ...args: string[]) => {
      const child = new Child(name, script, [...args, ...common], echo);
      children.push(child);
      return child;
    };
    const lines = () => allLines(children);
    const count = (word: string) => lines().filter((l) => l.word === word).length;
    const boundMs = 10 * settings.sessionTimeoutMs + 30_000;
    const m1 = start('m1', 'master', '--id', 'm1');
    if (!(await waitUntil(children, () => m1.lines.some((l) => l.word === 'ELECTED'), 20_000))) throw new Error('m1 was not elected');
    const m2 = start('m2', 'master', '--id', 'm2');
    const workers = ['w1', 'w2', 'w3'].map((id) => start(id, 'worker', '--id', id));
    if (!(await waitUntil(children, () => count('REGISTERED') === 3 && m2.lines.some((l) => l.word === 'BACKUP'), 20_000))) {
      throw new Error('workers or backup master did not start');
    }
    const client = start('client', 'client', '--id', 'client', '--tasks', String(taskCount));
    await waitUntil(children, () => count('DONE') >= Math.ceil(taskCount / 4), boundMs);
    const killedMasterAt = Date.now();
    m1.kill9();
    say('demo', 'KILLED m1 (active master) with SIGKILL');
    // Kill a worker in the middle of a task, so its assignment must be recovered.
    await waitUntil(children, () => busyWorker(workers) !== null, boundMs);
    const victim = busyWorker(workers) ?? workers[0]!;
    victim.kill9();
    say('demo', `KILLED ${victim.name} (worker, mid-task) with SIGKILL`);
    await waitUntil(children, () => client.exited, boundMs);
    const elected = m2.lines.find((l) => l.word === 'ELECTED');
    const report = checkOutcome(lines(), taskCount, client.exitCode === 0, elected === undefined ? null : elected.atMs - killedMasterAt);
    say('demo', `TAKEOVER ${report.takeoverMs === null ? 'none' : `${report.takeoverMs} ms`} (session timeout ${settings.sessionTimeoutMs} ms)`);
    say(
      'demo',
      `RESULT ${report.ok ? 'ok' : 'FAILED'} tasks=${report.tasks} done=${report.done} duplicates=${report.duplicates.length} ` +
        `missing=${report.missing.length} reassigned=${report.reassigned} takeoverMs=${report.takeoverMs ?? -1}`,
    );
    return report;
  });
}

/** The worker with a START not yet followed by DONE/ABANDONED, if any. */
function busyWorker(workers: readonly Child[]): Child | null {
  for (const worker of workers) {
    if (worker.exited) continue;
    const last = worker.lines.filter((l) => ['START', 'DONE', 'ABANDONED'].includes(l.word)).at(-1);
    if (last?.word === 'START') return worker;
  }
  return null;
}

function checkOutcome(
  lines: readonly { word: string; rest: string[]; who: string }[],
  taskCount: number,
  clientOk: boolean,
  takeoverMs: number | null,
): DemoReport {
  const submitted = lines.filter((l) => l.word === 'SUBMITTED').map((l) => l.rest[0]!);
  const doneCounts = new Map<string, number>();
  for (const l of lines.filter((l) => l.word === 'DONE')) doneCounts.set(l.rest[0]!, (doneCounts.get(l.rest[0]!) ?? 0) + 1);
  const duplicates = [...doneCounts].filter(([, n]) => n > 1).map(([t]) => t);
  const missing = submitted.filter((t) => !doneCounts.has(t));
  const unknown = [...doneCounts.keys()].filter((t) => !submitted.includes(t));
  const completed = lines.filter((l) => l.word === 'COMPLETED').length;
  const ok =
    clientOk && submitted.length === taskCount && duplicates.length === 0 && missing.length === 0 && unknown.length === 0 && completed === taskCount && takeoverMs !== null;
  return {
    ok,
    tasks: submitted.length,
    done: [...doneCounts.values()].reduce((a, b) => a + b, 0),
    duplicates,
    missing,
    takeoverMs,
    reassigned: lines.filter((l) => l.word === 'REASSIGNED').length,
  };
}

/** All roles in one process: two masters, three workers, one client; no faults. */
async function runAll(line: CommandLine, settings: Settings): Promise<boolean> {
  const taskCount = intFlag(line, 'tasks', 12);
  await runMaster(settings, 'm1');
  void runMaster(settings, 'm2');
  for (const id of ['w1', 'w2', 'w3']) void runWorker(settings, id);
  return runClient(settings, 'client', taskCount);
}

async function main(): Promise<void> {
  const line = parseRoleCommandLine(process.argv.slice(2));
  const role = line.role;
  const settings: Settings = {
    connectString: connectStringOf(line),
    sessionTimeoutMs: intFlag(line, 'session-ms', 4_000),
    taskMs: intFlag(line, 'task-ms', 150),
  };
  const id = line.flags.get('id') ?? `${role}-${process.pid}`;
  switch (role) {
    case 'master':
      return runMaster(settings, id);
    case 'worker':
      return runWorker(settings, id);
    case 'client':
      process.exit((await runClient(settings, id, intFlag(line, 'tasks', 10))) ? 0 : 1);
      break;
    case 'all':
      process.exit((await runAll(line, settings)) ? 0 : 1);
      break;
    case 'demo':
      process.exit((await runDemo(line, settings)).ok ? 0 : 1);
      break;
    default:
      process.stderr.write('usage: master-worker.js master|worker|client|all|demo [connectString] [--id ID] [--tasks N] [--session-ms MS] [--task-ms MS]\n');
      process.exit(2);
  }
}

runMain('master-worker', main);
