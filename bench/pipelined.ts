/**
 * Throughput workloads: many sessions, each with a bounded window of requests in flight, take
 * the next key from a shared counter until the task's keys (or operations) run out.
 * create/set/read/delete walk keys in order; mixed reads or writes random keys.
 */
import { performance } from 'node:perf_hooks';
import { OpCode } from '../src/proto/op-code.js';
import { Prng } from '../src/util/prng.js';
import { REPLY_TIMEOUT_MS } from './limits.js';
import { LoadSession, type ReplyHandler } from './load-session.js';
import { closeAll, type Recorder, type Workload } from './recorder.js';
import { createBody, deleteBody, getDataBody, setDataBody, valueOf } from './requests.js';
import { keyPath, type TaskSpec } from './task.js';

/** Sends operation `index` on `session`. */
type Issue = (session: LoadSession, index: number, onReply: ReplyHandler) => void;

const PERCENT = 100;

/** The request each pipelined task kind sends for operation `index`. */
function issuerFor(task: TaskSpec): Issue {
  const value = valueOf(task.valueBytes);
  const path = (index: number): string => keyPath(task.dir, task.first + index);
  switch (task.kind) {
    case 'create':
      return (s, i, onReply) => s.send(OpCode.create, createBody(path(i), value), onReply);
    case 'set':
      return (s, i, onReply) => s.send(OpCode.setData, setDataBody(path(i), value), onReply);
    case 'read':
      return (s, i, onReply) => s.send(OpCode.getData, getDataBody(path(i)), onReply);
    case 'delete':
      return (s, i, onReply) => s.send(OpCode.delete, deleteBody(path(i)), onReply);
    case 'mixed':
      return mixedIssuer(task, value);
    default:
      throw new Error(`${task.kind} is not a pipelined workload`);
  }
}

function mixedIssuer(task: TaskSpec, value: Buffer): Issue {
  const random = new Prng(task.seed);
  const readFraction = task.readPercent / PERCENT;
  return (s, _i, onReply) => {
    const path = keyPath(task.dir, random.below(task.keySpace));
    if (random.chance(readFraction)) s.send(OpCode.getData, getDataBody(path), onReply);
    else s.send(OpCode.setData, setDataBody(path, value), onReply);
  };
}

/**
 * Runs `total` operations over `sessions`, at most `window` in flight per session. Resolves when
 * every reply is in; stops issuing at the deadline; rejects if a session breaks or stalls.
 */
export function pump(sessions: readonly LoadSession[], window: number, total: number, issue: Issue, recorder: Recorder, deadlineMs: number): Promise<{ truncated: boolean }> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let outstanding = 0;
    let truncated = false;
    let settled = false;
    const unregister: Array<() => void> = [];
    const stallTimer = setTimeout(() => settle(new Error('load stalled: replies missing past the phase time limit')), Math.max(0, deadlineMs - performance.now()) + REPLY_TIMEOUT_MS);
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(stallTimer);
      for (const u of unregister) u();
      if (error !== undefined) reject(error);
      else resolve({ truncated });
    };
    const fill = (session: LoadSession, onReply: ReplyHandler): void => {
      while (session.inFlight < window && next < total) {
        if (performance.now() > deadlineMs) {
          truncated = true;
          next = total;
          break;
        }
        issue(session, next++, onReply);
        outstanding++;
      }
      if (outstanding === 0 && next >= total) settle();
    };
    for (const session of sessions) {
      const onReply: ReplyHandler = (err, _frame, latencyMs) => {
        outstanding--;
        recorder.record(err, latencyMs);
        if (!settled) fill(session, onReply);
      };
      unregister.push(session.whenBroken((error) => settle(error)));
      fill(session, onReply);
    }
  });
}

/** The client port session `index` of the task connects to: sessions go round the members. */
export function sessionPort(task: TaskSpec, index: number): number {
  return task.ports[(task.firstSession + index) % task.ports.length]!;
}

/** Opens `count` sessions in parallel, session i on member (firstSession + offset + i) mod members. */
export async function openSessions(task: TaskSpec, count: number, offset = 0): Promise<LoadSession[]> {
  const opened = await Promise.allSettled(Array.from({ length: count }, (_, i) => LoadSession.open(task.host, sessionPort(task, offset + i))));
  const sessions = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed !== undefined) {
    await closeAll(sessions);
    throw failed.reason;
  }
  return sessions;
}

/** create/set/read/delete/mixed. */
export function pipelinedWorkload(task: TaskSpec): Workload {
  let sessions: LoadSession[] = [];
  const issue = issuerFor(task);
  return {
    async prepare() {
      sessions = await openSessions(task, task.sessions);
    },
    run: (recorder, deadlineMs) => pump(sessions, task.window, task.count, issue, recorder, deadlineMs),
    cleanup: () => closeAll(sessions),
  };
}
