/** The measured results, as the JSON report stores them and the Markdown report renders them. */
import type { LatencySummary } from './histogram.js';
import type { Settings } from './flags.js';
import type { Machine } from './machine.js';
import type { ServerKind } from './server-process.js';

export interface PhaseResult {
  /** create, set, read, delete, ephemerals, lock, watch-cycle, ratio-<percent>. */
  readonly name: string;
  readonly ops: number;
  readonly elapsedMs: number;
  readonly opsPerSecond: number;
  readonly latency: LatencySummary;
  /** Server utime + stime during the timed part, from /proc. */
  readonly serverCpuMs: number;
  readonly serverCpuUsPerOp: number;
  /** Load client CPU (all worker threads), to show whether the client was the bottleneck. */
  readonly clientCpuUsPerOp: number;
  /** Largest server RSS sampled during the phase. */
  readonly serverPeakRssBytes: number;
  /** Server RSS when the phase ended. */
  readonly serverEndRssBytes: number;
  readonly errors: Record<string, number>;
  readonly truncated: boolean;
  readonly detail: Record<string, number>;
  /** 1-minute load average when the phase ended (other work on the machine is noise). */
  readonly loadAverage: number;
  /** ratio phases: percent of reads. */
  readonly readPercent?: number;
  /** The timed part on CLOCK_MONOTONIC in µs (process.hrtime), the clock of V8 CPU profiles: slices a server profile by phase. */
  readonly monotonicStartUs: number;
  readonly monotonicEndUs: number;
  /** Set when the phase failed; the numbers are then zero. */
  readonly failure?: string;
}

export interface RecoveryResult {
  /** znodes under the phase's directory before the restart. */
  readonly znodes: number;
  /** Spawn to first successful request on the populated data dir. */
  readonly startupMs: number;
  /** numChildren of the directory after recovery (must equal znodes). */
  readonly recoveredZnodes: number;
  readonly rssBytes: number;
  readonly dataDirBytes: number;
  readonly snapshotFiles: number;
  readonly logFiles: number;
}

export interface ServerResult {
  readonly kind: ServerKind;
  /** Servers run: 1 standalone, else an ensemble of that many; CPU and RSS are summed over them. */
  readonly ensembleSize: number;
  /** srvr `Mode:` of each member when the run's cluster came up (standalone; leader/follower). */
  readonly modes: readonly string[];
  /** First line of `srvr`. */
  readonly version: string;
  /** Cold starts on an empty data dir, spawn to first successful request. */
  readonly startupMs: readonly number[];
  readonly idleRssBytes: number;
  readonly recovery?: RecoveryResult;
  readonly phases: readonly PhaseResult[];
  /** VmHWM of the server process, largest over the run's incarnations. */
  readonly peakRssBytes: number;
  readonly failure?: string;
}

export interface EnsembleSection {
  /** 1 = standalone servers; 3, 5, 7 = ensembles of that many members per server kind. */
  readonly size: number;
  readonly servers: readonly ServerResult[];
  readonly durationMs: number;
}

export interface BenchReport {
  readonly command: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: Machine;
  /** 1-minute load average when the run ended. */
  readonly loadAverageAtEnd: number;
  readonly settings: Settings;
  /** The first ensemble size's results (kept for tools that read one comparison, e.g. profile-summary). */
  readonly servers: readonly ServerResult[];
  /** One comparison per ensemble size, in the order run (`--ensemble`). */
  readonly ensembles: readonly EnsembleSection[];
  readonly notes: readonly string[];
}

/** Median of a list (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
