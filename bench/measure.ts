/**
 * Runs one phase on the load clients and measures it from both sides: latency and throughput
 * from the clients, CPU and RSS of the server process from /proc over exactly the timed part.
 */
import { loadavg } from 'node:os';
import { Histogram } from './histogram.js';
import { processesCpuMs, processesMemory, RssSampler } from './proc-stats.js';
import type { Progress } from './progress.js';
import { formatCount } from './progress.js';
import type { PhaseResult } from './results.js';
import type { TaskResult, TaskSpec } from './task.js';
import type { LoadClients } from './worker-pool.js';

const US_PER_MS = 1000;
const NS_PER_US = 1000n;

/** process.hrtime is CLOCK_MONOTONIC, the same clock V8 stamps CPU profile samples with. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / NS_PER_US);
}
const MS_PER_SECOND = 1000;

interface Window {
  startUs: number;
  endUs: number;
  serverCpuMs: number;
  clientCpuUs: number;
  peakRssBytes: number;
  endRssBytes: number;
}

/** Adds up the workers' results: ops and errors summed, histograms merged, the slowest worker's time. */
function combine(results: readonly TaskResult[]): { ops: number; elapsedMs: number; histogram: Histogram; errors: Record<string, number>; truncated: boolean; detail: Record<string, number> } {
  const histogram = new Histogram();
  const errors: Record<string, number> = {};
  const detail: Record<string, number> = {};
  for (const r of results) {
    histogram.merge(r.histogram);
    for (const [code, n] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + n;
    for (const [key, value] of Object.entries(r.detail)) detail[key] = Math.max(detail[key] ?? 0, value);
  }
  return {
    ops: results.reduce((sum, r) => sum + r.ops, 0),
    elapsedMs: Math.max(0, ...results.map((r) => r.elapsedMs)),
    histogram,
    errors,
    truncated: results.some((r) => r.truncated),
    detail,
  };
}

/** A phase that could not run, so that the report shows it failed instead of dropping it. */
export function failedPhase(name: string, failure: string, readPercent?: number): PhaseResult {
  return {
    name, ops: 0, elapsedMs: 0, opsPerSecond: 0, latency: { count: 0, meanMs: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 },
    serverCpuMs: 0, serverCpuUsPerOp: 0, clientCpuUsPerOp: 0, serverPeakRssBytes: 0, serverEndRssBytes: 0,
    errors: {}, truncated: false, detail: {}, loadAverage: loadavg()[0] ?? 0, monotonicStartUs: 0, monotonicEndUs: 0, failure, ...(readPercent === undefined ? {} : { readPercent }),
  };
}

/** Runs `tasks` (one per worker) against the server processes `pids` (CPU and RSS summed over them) and returns the phase's numbers. */
export async function measurePhase(name: string, pids: readonly number[], clients: LoadClients, tasks: readonly TaskSpec[], progress: Progress, readPercent?: number): Promise<PhaseResult> {
  const total = tasks.reduce((sum, t) => sum + t.count, 0);
  const window: Window = { startUs: 0, endUs: 0, serverCpuMs: 0, clientCpuUs: 0, peakRssBytes: 0, endRssBytes: 0 };
  let sampler: RssSampler | undefined;
  let clientCpu = process.cpuUsage();
  progress.begin(name, total);
  const results = await clients.runPhase(tasks, {
    onStart: () => {
      window.startUs = monotonicUs();
      window.serverCpuMs = processesCpuMs(pids);
      clientCpu = process.cpuUsage();
      sampler = new RssSampler(pids);
    },
    onEnd: () => {
      window.endUs = monotonicUs();
      window.serverCpuMs = processesCpuMs(pids) - window.serverCpuMs;
      const used = process.cpuUsage(clientCpu);
      window.clientCpuUs = used.user + used.system;
      window.peakRssBytes = sampler?.stop() ?? 0;
      window.endRssBytes = processesMemory(pids).rssBytes;
    },
    onProgress: (done) => progress.update(done),
  }).finally(() => sampler?.stop());
  const c = combine(results);
  const perOp = (value: number): number => (c.ops > 0 ? value / c.ops : 0);
  const result: PhaseResult = {
    name,
    ops: c.ops,
    elapsedMs: c.elapsedMs,
    opsPerSecond: c.elapsedMs > 0 ? (c.ops * MS_PER_SECOND) / c.elapsedMs : 0,
    latency: c.histogram.summary(),
    serverCpuMs: window.serverCpuMs,
    serverCpuUsPerOp: perOp(window.serverCpuMs * US_PER_MS),
    clientCpuUsPerOp: perOp(window.clientCpuUs),
    serverPeakRssBytes: window.peakRssBytes,
    serverEndRssBytes: window.endRssBytes,
    errors: c.errors,
    truncated: c.truncated,
    detail: c.detail,
    loadAverage: loadavg()[0] ?? 0,
    monotonicStartUs: window.startUs,
    monotonicEndUs: window.endUs,
    ...(readPercent === undefined ? {} : { readPercent }),
  };
  const errorCount = Object.values(c.errors).reduce((a, b) => a + b, 0);
  progress.end(`${formatCount(result.ops)} ops in ${(result.elapsedMs / MS_PER_SECOND).toFixed(2)} s, ${formatCount(result.opsPerSecond)} op/s, p99 ${result.latency.p99Ms.toFixed(2)} ms, server ${result.serverCpuUsPerOp.toFixed(1)} µs CPU/op${errorCount > 0 ? `, ${errorCount} errors` : ''}${c.truncated ? ' (TRUNCATED by the time limit)' : ''}`);
  return result;
}
