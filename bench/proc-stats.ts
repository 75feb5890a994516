/**
 * What the kernel says a server process used, independent of the load client: CPU time from
 * /proc/<pid>/stat (utime + stime, all threads) and memory from /proc/<pid>/status.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { RSS_SAMPLE_INTERVAL_MS } from './limits.js';

const FALLBACK_CLOCK_TICKS_PER_SECOND = 100;
const KIB = 1024;
/** Field numbers (1-based, as in proc(5)) of utime and stime, counted after the `(comm)` field. */
const UTIME_FIELD = 14;
const STIME_FIELD = 15;
const FIELDS_BEFORE_STATE = 2;

let clockTicksPerSecond: number | undefined;

function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || FALLBACK_CLOCK_TICKS_PER_SECOND;
    } catch {
      clockTicksPerSecond = FALLBACK_CLOCK_TICKS_PER_SECOND;
    }
  }
  return clockTicksPerSecond;
}

/** CPU time (user + system, every thread) the process has used so far, in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm may contain spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[UTIME_FIELD - FIELDS_BEFORE_STATE - 1]);
  const stime = Number(fields[STIME_FIELD - FIELDS_BEFORE_STATE - 1]);
  return ((utime + stime) * 1000) / ticksPerSecond();
}

export interface MemoryUse {
  /** Resident set size now. */
  readonly rssBytes: number;
  /** Peak resident set size over the process's life (VmHWM). */
  readonly peakRssBytes: number;
}

/** Current and peak RSS of the process. */
export function processMemory(pid: number): MemoryUse {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssBytes: kib('VmRSS') * KIB, peakRssBytes: kib('VmHWM') * KIB };
}

/** Samples the summed RSS of a set of processes (one server, or an ensemble's members) while a phase runs. */
export class RssSampler {
  private peakBytes = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: readonly number[]) {
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_INTERVAL_MS);
  }

  private sample(): void {
    let total = 0;
    for (const pid of this.pids) {
      try {
        total += processMemory(pid).rssBytes;
      } catch {
        // The process may have exited; the others still count.
      }
    }
    this.peakBytes = Math.max(this.peakBytes, total);
  }

  /** Takes a last sample, stops, and returns the largest summed RSS seen. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peakBytes;
  }
}

/** CPU ms summed over processes (an ensemble's members). */
export function processesCpuMs(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
}

/** RSS and VmHWM summed over processes; one that has exited counts as 0. */
export function processesMemory(pids: readonly number[]): MemoryUse {
  let rssBytes = 0;
  let peakRssBytes = 0;
  for (const pid of pids) {
    try {
      const m = processMemory(pid);
      rssBytes += m.rssBytes;
      peakRssBytes += m.peakRssBytes;
    } catch {
      // Exited.
    }
  }
  return { rssBytes, peakRssBytes };
}
