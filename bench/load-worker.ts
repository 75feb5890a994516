/**
 * A load client process (worker thread): runs its share of each phase on its own event loop, so
 * that several cores can generate load when one client would be the bottleneck.
 * Protocol: prepare -> ready, go -> done, then it closes its sessions -> closed; abort -> closed.
 */
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { ephemeralsWorkload, lockWorkload, watchCycleWorkload } from './coordination.js';
import { PROGRESS_INTERVAL_MS } from './limits.js';
import { pipelinedWorkload } from './pipelined.js';
import { Recorder, type Workload } from './recorder.js';
import type { FromWorker, TaskSpec, ToWorker } from './task.js';

const port = parentPort;
if (port === null) throw new Error('load-worker must run as a worker thread');

function post(message: FromWorker): void {
  port!.postMessage(message);
}

function workloadFor(task: TaskSpec): Workload {
  switch (task.kind) {
    case 'ephemerals':
      return ephemeralsWorkload(task);
    case 'lock':
      return lockWorkload(task);
    case 'watch-cycle':
      return watchCycleWorkload(task);
    default:
      return pipelinedWorkload(task);
  }
}

let current: { task: TaskSpec; workload: Workload } | undefined;

async function onPrepare(task: TaskSpec): Promise<void> {
  const workload = workloadFor(task);
  current = { task, workload };
  try {
    await workload.prepare();
    post({ type: 'ready' });
  } catch (error) {
    post({ type: 'error', message: `prepare ${task.kind}: ${(error as Error).message}` });
    await finish();
  }
}

async function onGo(): Promise<void> {
  if (current === undefined) return;
  const { task, workload } = current;
  const recorder = new Recorder();
  const progress = setInterval(() => post({ type: 'progress', done: recorder.done }), PROGRESS_INTERVAL_MS);
  const started = performance.now();
  try {
    const { truncated } = await workload.run(recorder, started + task.timeLimitMs);
    const elapsedMs = performance.now() - started;
    post({ type: 'done', result: { ops: recorder.done, errors: recorder.errors, histogram: recorder.histogram.toData(), elapsedMs, truncated, detail: recorder.detail } });
  } catch (error) {
    post({ type: 'error', message: `${task.kind}: ${(error as Error).message}` });
  } finally {
    clearInterval(progress);
  }
  await finish();
}

async function finish(): Promise<void> {
  const workload = current?.workload;
  current = undefined;
  await workload?.cleanup().catch(() => undefined);
  post({ type: 'closed' });
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'prepare':
      void onPrepare(message.task);
      return;
    case 'go':
      void onGo();
      return;
    case 'abort':
      void finish();
      return;
    case 'exit':
      port.close();
      return;
  }
});
