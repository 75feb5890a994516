/**
 * What the coordinator asks a load worker to do, and what the worker answers: plain data that
 * crosses postMessage. One task is one worker's share of one phase.
 */
import type { HistogramData } from './histogram.js';

export type TaskKind = 'create' | 'set' | 'read' | 'delete' | 'mixed' | 'ephemerals' | 'lock' | 'watch-cycle';

export interface TaskSpec {
  readonly kind: TaskKind;
  readonly host: string;
  /** Client ports of the servers; session k of the task connects to ports[(firstSession + k) % ports.length]. */
  readonly ports: readonly number[];
  /** This task's first session in the phase's numbering, so that sessions spread over every member. */
  readonly firstSession: number;
  /** Index of the worker running this task (names its paths where they must not collide). */
  readonly worker: number;
  /** Pipelined sessions (create/set/read/delete/mixed) or concurrent loops (lock, watch-cycle). */
  readonly sessions: number;
  /** Requests in flight per session at most. */
  readonly window: number;
  /** The parent znode the phase works under. */
  readonly dir: string;
  /** Keys [first, first + count) for create/set/read/delete; operations for the others. */
  readonly first: number;
  readonly count: number;
  /** mixed: keys 0..keySpace-1 are read or written at random. */
  readonly keySpace: number;
  /** mixed: percent of operations that are reads. */
  readonly readPercent: number;
  readonly valueBytes: number;
  readonly seed: number;
  readonly timeLimitMs: number;
}

export interface TaskResult {
  /** Operations completed (for ephemerals: events received). */
  readonly ops: number;
  /** Replies with a non-zero error code, by code. */
  readonly errors: Record<string, number>;
  readonly histogram: HistogramData;
  /** From `go` to the last reply or event, measured in the worker. */
  readonly elapsedMs: number;
  /** The time limit cut the task short. */
  readonly truncated: boolean;
  /** Extra timings of the phase (e.g. ephemerals: how long creating and watching took). */
  readonly detail: Record<string, number>;
}

/** Coordinator -> worker. */
export type ToWorker =
  | { readonly type: 'prepare'; readonly task: TaskSpec }
  | { readonly type: 'go' }
  | { readonly type: 'abort' }
  | { readonly type: 'exit' };

/** Worker -> coordinator. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly done: number }
  | { readonly type: 'done'; readonly result: TaskResult }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'closed' };

/** Key `index` of a phase's directory. */
export function keyPath(dir: string, index: number): string {
  return `${dir}/k${index}`;
}
