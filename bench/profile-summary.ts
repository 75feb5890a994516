/**
 * `node dist/bench/profile-summary.js <file.cpuprofile> [options]`: what bounds a phase. Prints
 * the functions with the most self time, self time per source file, and the share of GC and
 * idle, from a V8 CPU profile (`node --cpu-prof`, e.g. the tszk server run with
 * `--tszk-node-args`). Options: `--report report.json --phase NAME [--server tszk]` counts only
 * the samples inside that phase's timed window (report and profile share CLOCK_MONOTONIC µs);
 * `--from-us T --to-us T` gives the window by hand; `--top N`; `--callers NAME [--depth N]`
 * shows which call paths a function's self time came through.
 */
import { readFileSync } from 'node:fs';
import { PROFILE_TOP_FUNCTIONS } from './limits.js';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface Line {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly gcMs: number;
  readonly functions: readonly Line[];
  readonly files: readonly Line[];
}

const US_PER_MS = 1000;
/** Frames shown above a function with --callers. */
const CALLER_DEPTH = 4;
const PERCENT = 100;
const IDLE = '(idle)';
const GC = '(garbage collector)';

function shortFile(url: string): string {
  if (url === '') return '(native)';
  const marker = url.indexOf('/dist/');
  return marker >= 0 ? url.slice(marker + 1) : url.replace(/^file:\/\//, '');
}

function functionKey(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  return frame.url === '' ? name : `${name} ${shortFile(frame.url)}:${frame.lineNumber + 1}`;
}

function top(totals: Map<string, number>, busyUs: number, count: number): Line[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: us / US_PER_MS, percent: busyUs > 0 ? (us * PERCENT) / busyUs : 0 }));
}

/** A time window on the profile's clock (µs); samples outside it are ignored. */
export interface Window {
  readonly fromUs: number;
  readonly toUs: number;
}

const EVERYTHING: Window = { fromUs: -Infinity, toUs: Infinity };

/** Self time per sampled node, counting only samples inside `window`. */
function selfTimes(profile: CpuProfile, window: Window): Map<number, number> {
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= window.fromUs && at <= window.toUs) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  return selfUs;
}

/** Self time per function and per file; percentages are of the busy (non-idle) time. */
export function summarize(profile: CpuProfile, count = PROFILE_TOP_FUNCTIONS, window = EVERYTHING): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = selfTimes(profile, window);
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let gcUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id);
    if (frame === undefined) continue;
    totalUs += us;
    if (frame.functionName === IDLE) {
      idleUs += us;
      continue;
    }
    if (frame.functionName === GC) gcUs += us;
    functions.set(functionKey(frame), (functions.get(functionKey(frame)) ?? 0) + us);
    files.set(shortFile(frame.url), (files.get(shortFile(frame.url)) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  return { totalMs: totalUs / US_PER_MS, idleMs: idleUs / US_PER_MS, gcMs: gcUs / US_PER_MS, functions: top(functions, busyUs, count), files: top(files, busyUs, count) };
}

function render(file: string, s: ProfileSummary): string {
  const busy = s.totalMs - s.idleMs;
  const lines = [
    `${file}: ${s.totalMs.toFixed(0)} ms profiled, ${busy.toFixed(0)} ms busy (${((busy * PERCENT) / Math.max(1, s.totalMs)).toFixed(0)}%), GC ${s.gcMs.toFixed(0)} ms (${((s.gcMs * PERCENT) / Math.max(1, busy)).toFixed(1)}% of busy)`,
    '',
    'self ms   % busy  function',
    ...s.functions.map((l) => `${l.ms.toFixed(0).padStart(7)}  ${l.percent.toFixed(1).padStart(6)}  ${l.name}`),
    '',
    'self ms   % busy  file',
    ...s.files.map((l) => `${l.ms.toFixed(0).padStart(7)}  ${l.percent.toFixed(1).padStart(6)}  ${l.name}`),
  ];
  return lines.join('\n');
}

/** Self time of functions named `name`, by the call path above them (`depth` frames). */
export function callers(profile: CpuProfile, name: string, depth: number, window = EVERYTHING): Line[] {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const totals = new Map<string, number>();
  let all = 0;
  for (const [id, us] of selfTimes(profile, window)) {
    if (byId.get(id)?.functionName !== name) continue;
    const chain: string[] = [];
    for (let at = parent.get(id); at !== undefined && chain.length < depth; at = parent.get(at)) chain.push(functionKey(byId.get(at)!));
    const key = chain.join(' < ');
    totals.set(key, (totals.get(key) ?? 0) + us);
    all += us;
  }
  return top(totals, all, PROFILE_TOP_FUNCTIONS);
}

interface PhaseWindow {
  readonly name: string;
  readonly monotonicStartUs: number;
  readonly monotonicEndUs: number;
}

/** The timed window of `phase` on `server` in a JSON report. */
function phaseWindow(reportFile: string, server: string, phase: string): Window {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { servers: Array<{ kind: string; phases: PhaseWindow[] }> };
  const found = report.servers.find((s) => s.kind === server)?.phases.find((p) => p.name === phase);
  if (found === undefined || found.monotonicEndUs <= 0) throw new Error(`${reportFile}: no timed phase ${phase} for ${server}`);
  return { fromUs: found.monotonicStartUs, toUs: found.monotonicEndUs };
}

function option(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

function main(argv: readonly string[]): number {
  const file = argv[0];
  if (file === undefined || file.startsWith('--')) {
    console.error('Usage: node dist/bench/profile-summary.js <file.cpuprofile> [--report report.json --phase NAME [--server tszk]] [--from-us T] [--to-us T] [--top N] [--callers NAME [--depth N]]');
    return 2;
  }
  const report = option(argv, '--report');
  const phase = option(argv, '--phase');
  const fromUs = Number(option(argv, '--from-us') ?? -Infinity);
  const toUs = Number(option(argv, '--to-us') ?? Infinity);
  const window = report !== undefined && phase !== undefined ? phaseWindow(report, option(argv, '--server') ?? 'tszk', phase) : { fromUs, toUs };
  const count = Number(option(argv, '--top') ?? PROFILE_TOP_FUNCTIONS);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const title = phase === undefined ? file : `${file} [${phase}]`;
  const callersOf = option(argv, '--callers');
  if (callersOf !== undefined) {
    const lines = callers(profile, callersOf, Number(option(argv, '--depth') ?? CALLER_DEPTH), window);
    console.log([`${title}: callers of ${callersOf}`, ...lines.map((l) => `${l.ms.toFixed(0).padStart(7)}  ${l.percent.toFixed(1).padStart(6)}%  ${l.name}`)].join('\n'));
    return 0;
  }
  console.log(render(title, summarize(profile, count, window)));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
