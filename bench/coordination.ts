/**
 * Coordination workloads after the published stress test: ephemerals watched by another session
 * whose creator disconnects, the exclusive-lock recipe, and the create/watch/delete/event cycle.
 * These are latency-bound; concurrency comes from several independent loops.
 */
import { performance } from 'node:perf_hooks';
import { CreateFlags, EventType } from '../src/proto/defs.js';
import { ErrorCode } from '../src/proto/error-code.js';
import { OpCode } from '../src/proto/op-code.js';
import { REPLY_TIMEOUT_MS } from './limits.js';
import type { LoadSession, Reply } from './load-session.js';
import { openSessions, pump } from './pipelined.js';
import { closeAll, Recorder, type Workload } from './recorder.js';
import { childNames, createBody, createdPath, deleteBody, existsBody, getChildrenBody, syncBody } from './requests.js';
import { keyPath, type TaskSpec } from './task.js';

const EMPTY = Buffer.alloc(0);
const LOCK_PREFIX = 'lock-';
/** A contender re-reads the lock dir at most this often per acquisition (each wakes on a deletion). */
const LOCK_CHECKS_PER_ACQUIRE_MAX = 10_000;

function expectOk(reply: Reply, what: string): Reply {
  if (reply.err !== ErrorCode.OK) throw new Error(`${what} failed with error ${reply.err}`);
  return reply;
}

/** Splits `total` over `parts` as evenly as possible. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

/**
 * One session creates `count` ephemerals, another sets an exists-watch on each (untimed); the
 * timed part starts when the creator ends its session and stops when every NodeDeleted arrived.
 */
export function ephemeralsWorkload(task: TaskSpec): Workload {
  let creator: LoadSession | undefined;
  let watcher: LoadSession | undefined;
  const setup = new Recorder();
  return {
    async prepare() {
      [creator, watcher] = await openSessions(task, 2);
      const farFuture = performance.now() + task.timeLimitMs;
      let started = performance.now();
      await pump([creator!], task.window, task.count, (s, i, onReply) => s.send(OpCode.create, createBody(keyPath(task.dir, i), EMPTY, CreateFlags.EPHEMERAL), onReply), setup, farFuture);
      setup.detail.createMs = performance.now() - started;
      started = performance.now();
      // In an ensemble the watcher may sit on a member that has not applied every create yet.
      expectOk(await watcher!.call(OpCode.sync, syncBody(task.dir)), 'ephemerals sync');
      await pump([watcher!], task.window, task.count, (s, i, onReply) => s.send(OpCode.exists, existsBody(keyPath(task.dir, i), true), onReply), setup, farFuture);
      setup.detail.watchMs = performance.now() - started;
      if (Object.keys(setup.errors).length > 0) throw new Error(`ephemerals setup errors ${JSON.stringify(setup.errors)}`);
    },
    async run(recorder, deadlineMs) {
      Object.assign(recorder.detail, setup.detail);
      return awaitDeletions(creator!, watcher!, task, recorder, deadlineMs);
    },
    async cleanup() {
      creator?.destroy();
      if (watcher !== undefined) await closeAll([watcher]);
    },
  };
}

function awaitDeletions(creator: LoadSession, watcher: LoadSession, task: TaskSpec, recorder: Recorder, deadlineMs: number): Promise<{ truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const timer = setTimeout(() => finish(true), Math.max(0, deadlineMs - started));
    const unregister = watcher.whenBroken((error) => finish(false, error));
    function finish(truncated: boolean, error?: Error): void {
      clearTimeout(timer);
      unregister();
      watcher.onEvent = undefined;
      if (error !== undefined) reject(error);
      else resolve({ truncated });
    }
    watcher.onEvent = (event) => {
      if (event.type !== EventType.NodeDeleted || !event.path.startsWith(`${task.dir}/`)) return;
      recorder.record(ErrorCode.OK, performance.now() - started);
      if (recorder.done === task.count) finish(false);
    };
    creator.call(OpCode.closeSession).then((reply) => (recorder.detail.closeSessionReplyMs = reply.latencyMs), () => undefined);
  });
}

/** Exclusive lock (sequential-ephemeral recipe, watch on the predecessor), `count` cycles over `sessions` contenders. */
export function lockWorkload(task: TaskSpec): Workload {
  let contenders: LoadSession[] = [];
  return {
    async prepare() {
      contenders = await openSessions(task, task.sessions);
    },
    async run(recorder, deadlineMs) {
      const truncated = await Promise.all(contenders.map((s, i) => contend(s, task.dir, share(task.count, contenders.length, i), recorder, deadlineMs)));
      return { truncated: truncated.some((t) => t) };
    },
    cleanup: () => closeAll(contenders),
  };
}

/** One contender: acquire, release, repeat; latency is create-to-acquired. Returns true if cut short. */
async function contend(session: LoadSession, dir: string, cycles: number, recorder: Recorder, deadlineMs: number): Promise<boolean> {
  for (let cycle = 0; cycle < cycles; cycle++) {
    if (performance.now() > deadlineMs) return true;
    const started = performance.now();
    const created = expectOk(await session.call(OpCode.create, createBody(`${dir}/${LOCK_PREFIX}`, EMPTY, CreateFlags.EPHEMERAL_SEQUENTIAL)), 'lock create');
    const ownPath = createdPath(created.frame);
    await acquire(session, dir, ownPath.slice(dir.length + 1));
    recorder.record(ErrorCode.OK, performance.now() - started);
    expectOk(await session.call(OpCode.delete, deleteBody(ownPath)), 'lock release');
  }
  return false;
}

/** Waits until `ownName` is the lowest sequence in `dir`, watching only its predecessor (no herd). */
async function acquire(session: LoadSession, dir: string, ownName: string): Promise<void> {
  for (let check = 0; check < LOCK_CHECKS_PER_ACQUIRE_MAX; check++) {
    const listed = expectOk(await session.call(OpCode.getChildren, getChildrenBody(dir)), 'lock getChildren');
    const names = childNames(listed.frame).filter((n) => n.startsWith(LOCK_PREFIX)).sort();
    const index = names.indexOf(ownName);
    if (index < 0) throw new Error(`lock node ${ownName} vanished`);
    if (index === 0) return;
    const predecessor = `${dir}/${names[index - 1]!}`;
    const exists = await session.call(OpCode.exists, existsBody(predecessor, true));
    if (exists.err === ErrorCode.NONODE) continue;
    expectOk(exists, 'lock exists');
    await session.nextEvent(predecessor, REPLY_TIMEOUT_MS);
  }
  throw new Error(`lock not acquired after ${LOCK_CHECKS_PER_ACQUIRE_MAX} checks`);
}

/** create ephemeral (owner) -> exists+watch (watcher) -> delete (owner) -> NodeDeleted (watcher), `count` cycles over `sessions` loops. */
export function watchCycleWorkload(task: TaskSpec): Workload {
  let owners: LoadSession[] = [];
  let watchers: LoadSession[] = [];
  return {
    async prepare() {
      // Each watcher on the member after its owner's: with an ensemble, the event crosses servers.
      owners = await openSessions(task, task.sessions);
      watchers = await openSessions(task, task.sessions, 1).catch(async (error: unknown) => {
        await closeAll(owners);
        throw error;
      });
    },
    async run(recorder, deadlineMs) {
      const loops = owners.map((owner, i) => {
        const base = `${task.dir}/w${task.worker}-${i}-`;
        return watchLoop(owner, watchers[i]!, base, share(task.count, owners.length, i), recorder, deadlineMs);
      });
      const truncated = await Promise.all(loops);
      return { truncated: truncated.some((t) => t) };
    },
    cleanup: () => closeAll([...owners, ...watchers]),
  };
}

/**
 * exists-watch on a node the owner has just created. In an ensemble the watcher's member may not
 * have applied the create yet (NONODE, with a watch for its creation): then wait for NodeCreated
 * and set the watch again. A standalone server always answers OK the first time.
 */
async function watchExisting(watcher: LoadSession, path: string): Promise<void> {
  const first = await watcher.call(OpCode.exists, existsBody(path, true));
  if (first.err !== ErrorCode.NONODE) {
    expectOk(first, 'watch-cycle exists');
    return;
  }
  const created = await watcher.nextEvent(path, REPLY_TIMEOUT_MS);
  if (created.type !== EventType.NodeCreated) throw new Error(`watch-cycle: expected NodeCreated, got event ${created.type}`);
  expectOk(await watcher.call(OpCode.exists, existsBody(path, true)), 'watch-cycle exists');
}

async function watchLoop(owner: LoadSession, watcher: LoadSession, base: string, cycles: number, recorder: Recorder, deadlineMs: number): Promise<boolean> {
  for (let cycle = 0; cycle < cycles; cycle++) {
    if (performance.now() > deadlineMs) return true;
    const path = `${base}${cycle}`;
    const started = performance.now();
    expectOk(await owner.call(OpCode.create, createBody(path, EMPTY, CreateFlags.EPHEMERAL)), 'watch-cycle create');
    await watchExisting(watcher, path);
    const event = watcher.nextEvent(path, REPLY_TIMEOUT_MS);
    event.catch(() => undefined); // awaited below; a failed delete must not leave it unhandled
    expectOk(await owner.call(OpCode.delete, deleteBody(path)), 'watch-cycle delete');
    const seen = await event;
    if (seen.type !== EventType.NodeDeleted) throw new Error(`watch-cycle: expected NodeDeleted, got event ${seen.type}`);
    recorder.record(ErrorCode.OK, performance.now() - started);
  }
  return false;
}
