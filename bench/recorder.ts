/** What a worker counts while a task runs: latencies, error codes, progress, extra timings. */
import { Histogram } from './histogram.js';
import type { LoadSession } from './load-session.js';

export class Recorder {
  readonly histogram = new Histogram();
  readonly errors: Record<string, number> = {};
  readonly detail: Record<string, number> = {};
  /** Operations completed so far (progress). */
  done = 0;

  /** One completed operation. */
  record(err: number, latencyMs: number): void {
    this.done++;
    this.histogram.recordMs(latencyMs);
    if (err !== 0) this.errors[String(err)] = (this.errors[String(err)] ?? 0) + 1;
  }
}

/** One load generator: sessions opened before the clock starts, closed after it stops. */
export interface Workload {
  /** Opens sessions and does the untimed setup. */
  prepare(): Promise<void>;
  /** The timed part; stops issuing at `deadlineMs` (performance.now() time) and reports truncation. */
  run(recorder: Recorder, deadlineMs: number): Promise<{ truncated: boolean }>;
  /** Ends every session; never throws. */
  cleanup(): Promise<void>;
}

/** Ends sessions in parallel; failures to close are ignored (the server expires them). */
export async function closeAll(sessions: readonly LoadSession[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
}
