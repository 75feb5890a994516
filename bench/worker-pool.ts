/**
 * The coordinator's side of the load clients: starts the worker threads, hands each its share of
 * a phase, starts them together once all have their sessions open, and collects the results.
 * Every wait is bounded; a worker that hangs past its bound is terminated.
 */
import { Worker } from 'node:worker_threads';
import { REPLY_TIMEOUT_MS, WORKER_READY_TIMEOUT_MS } from './limits.js';
import type { FromWorker, TaskResult, TaskSpec, ToWorker } from './task.js';

/** Called around the timed part of a phase (the coordinator samples the server there). */
export interface PhaseHooks {
  /** Every worker is ready: the clock starts right after this. */
  onStart(): void;
  /** Every worker reported its result: the clock has stopped. */
  onEnd(): void;
  /** Operations done so far, summed over workers. */
  onProgress(done: number): void;
}

type Settled = Exclude<FromWorker, { type: 'progress' }>;

/** One worker's messages, taken one at a time with a deadline. */
class Mailbox {
  private readonly queue: Settled[] = [];
  private waiter: ((message: Settled) => void) | undefined;
  progressDone = 0;

  constructor(private readonly onProgress: () => void) {}

  push(message: FromWorker): void {
    if (message.type === 'progress') {
      this.progressDone = message.done;
      this.onProgress();
      return;
    }
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) waiter(message);
    else this.queue.push(message);
  }

  take(timeoutMs: number, what: string): Promise<Settled> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`load worker did not report ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }
}

export class LoadClients {
  private readonly mailboxes: Mailbox[];
  private progressListener: ((done: number) => void) | undefined;

  private constructor(private readonly workers: Worker[]) {
    this.mailboxes = workers.map((worker) => {
      const mailbox = new Mailbox(() => this.progressListener?.(this.mailboxes.reduce((sum, m) => sum + m.progressDone, 0)));
      worker.on('message', (message: FromWorker) => mailbox.push(message));
      worker.on('error', (error) => mailbox.push({ type: 'error', message: `worker crashed: ${error.message}` }));
      worker.on('exit', () => mailbox.push({ type: 'error', message: 'worker exited' }));
      return mailbox;
    });
  }

  /** Starts `count` worker threads. */
  static start(count: number): LoadClients {
    const script = new URL('./load-worker.js', import.meta.url);
    return new LoadClients(Array.from({ length: count }, () => new Worker(script)));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs one phase: `tasks[i]` on worker i (fewer tasks than workers leaves the rest idle). */
  async runPhase(tasks: readonly TaskSpec[], hooks: PhaseHooks): Promise<TaskResult[]> {
    const active = tasks.map((task, i) => ({ task, worker: this.workers[i]!, mailbox: this.mailboxes[i]! }));
    for (const a of active) a.mailbox.progressDone = 0;
    this.progressListener = hooks.onProgress;
    try {
      for (const a of active) this.post(a.worker, { type: 'prepare', task: a.task });
      const ready = await Promise.all(active.map((a) => a.mailbox.take(WORKER_READY_TIMEOUT_MS, 'ready')));
      const failed = ready.find((m) => m.type === 'error');
      if (failed !== undefined) {
        active.forEach((a, i) => ready[i]!.type === 'ready' && this.post(a.worker, { type: 'abort' }));
        await Promise.all(active.map((a) => a.mailbox.take(WORKER_READY_TIMEOUT_MS, 'closed')));
        throw new Error(failed.type === 'error' ? failed.message : 'prepare failed');
      }
      hooks.onStart();
      for (const a of active) this.post(a.worker, { type: 'go' });
      const doneTimeoutMs = Math.max(...tasks.map((t) => t.timeLimitMs)) + 2 * REPLY_TIMEOUT_MS;
      const done = await Promise.all(active.map((a) => a.mailbox.take(doneTimeoutMs, 'done')));
      hooks.onEnd();
      await Promise.all(active.map((a) => a.mailbox.take(WORKER_READY_TIMEOUT_MS, 'closed')));
      return done.map((m) => {
        if (m.type !== 'done') throw new Error(m.type === 'error' ? m.message : `unexpected ${m.type}`);
        return m.result;
      });
    } finally {
      this.progressListener = undefined;
    }
  }

  /** Stops every worker thread. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private post(worker: Worker, message: ToWorker): void {
    worker.postMessage(message);
  }
}
