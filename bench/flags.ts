/**
 * `npm run bench -- [flags]`: sizes default to the published stress test's (issue 5); `--smoke`
 * makes every phase tiny for CI. Parsed once into a frozen Settings value.
 */
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CLIENTS_MAX,
  CONTENDERS_MAX,
  DEFAULT_CLIENTS,
  DEFAULT_CONTENDERS,
  DEFAULT_READ_PERCENTS,
  DEFAULT_SESSIONS_PER_CLIENT,
  DEFAULT_VALUE_BYTES,
  DEFAULT_WINDOW,
  DEFAULT_ZOOKEEPER_HEAP,
  ENSEMBLE_ZOOKEEPER_HEAP,
  FULL_SIZES,
  PHASE_TIME_LIMIT_MS,
  SESSIONS_PER_CLIENT_MAX,
  SMOKE_PHASE_TIME_LIMIT_MS,
  SMOKE_SIZES,
  WINDOW_MAX,
  ZNODES_MAX,
} from './limits.js';
import type { ServerKind } from './server-process.js';

/** Ensemble sizes `--ensemble` accepts (1 = standalone; odd sizes, as deployed). */
export const ENSEMBLE_SIZES = [1, 3, 5, 7] as const;

/**
 * The phases, in the order they run. set/read/recovery/delete need the znodes create made.
 * recovery comes after read so that read runs on a warm server (a restarted JVM is cold).
 */
export const PHASES = ['create', 'set', 'read', 'recovery', 'delete', 'ephemerals', 'lock', 'watch-cycle', 'ratio'] as const;
export type PhaseName = (typeof PHASES)[number];
const NEEDS_CREATE: readonly PhaseName[] = ['set', 'recovery', 'read', 'delete'];
const SERVER_KINDS: readonly ServerKind[] = ['tszk', 'zookeeper'];
const PERCENT_MAX = 100;
/** Largest value in a request: below jute.maxbuffer (1 MiB) with room for the path. */
const VALUE_BYTES_MAX = 1_000_000;
const STARTUP_RUNS_MAX = 20;

export interface Settings {
  readonly smoke: boolean;
  readonly znodes: number;
  readonly ephemerals: number;
  readonly lockCycles: number;
  readonly watchCycles: number;
  readonly ratioKeys: number;
  readonly ratioOps: number;
  readonly readPercents: readonly number[];
  readonly startupRuns: number;
  readonly valueBytes: number;
  readonly clients: number;
  readonly sessionsPerClient: number;
  readonly window: number;
  readonly contenders: number;
  readonly servers: readonly ServerKind[];
  readonly phases: readonly PhaseName[];
  readonly phaseTimeLimitMs: number;
  readonly outMarkdown: string;
  readonly outJson: string;
  readonly outSvg: string;
  readonly dataDirBase: string;
  readonly zookeeperHeap: string;
  /** -Xmx of each ZooKeeper JVM in an ensemble. */
  readonly ensembleZookeeperHeap: string;
  /** Ensemble sizes to compare, in order: 1 = standalone, 3/5/7 = that many members per server kind. */
  readonly ensembles: readonly number[];
  /** Cold starts of each ensemble (--startup-runs; 0 under --smoke unless given: the run's own start is reported). */
  readonly ensembleStartupRuns: number;
  readonly tszkNodeArgs: readonly string[];
  readonly keepData: boolean;
  /** Free text for the report (what was measured, e.g. the commit of a clean copy). */
  readonly note: string;
}

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'out');

export const USAGE = `Usage: npm run bench -- [flags]

Sizes (defaults: the published ZooKeeper stress test; --smoke: a few hundred ops per phase)
  --znodes N          znodes created, set, read, deleted; recovered after a restart (${FULL_SIZES.znodes})
  --ephemerals N      ephemerals watched by another session, creator disconnects (${FULL_SIZES.ephemerals})
  --lock-cycles N     exclusive lock acquired and released (${FULL_SIZES.lockCycles})
  --watch-cycles N    create ephemeral / watch / delete / event cycles (${FULL_SIZES.watchCycles})
  --ratio-keys N      1 KiB znodes of the read/write-ratio curve (${FULL_SIZES.ratioKeys})
  --ratio-ops N       operations per point of the curve (${FULL_SIZES.ratioOps})
  --read-percents L   points of the curve (${DEFAULT_READ_PERCENTS.join(',')})
  --startup-runs N    cold starts on an empty data dir, median reported (${FULL_SIZES.startupRuns}; ensembles under --smoke: 0)
  --value-bytes N     value size of create/set (${DEFAULT_VALUE_BYTES})
  --smoke             every phase tiny (CI); explicit size flags still win
Load
  --clients N         load client worker threads (${DEFAULT_CLIENTS})
  --sessions N        pipelined sessions per client (${DEFAULT_SESSIONS_PER_CLIENT})
  --window N          requests in flight per session (${DEFAULT_WINDOW})
  --contenders N      lock contenders / concurrent watch-cycle loops (${DEFAULT_CONTENDERS})
  --phase-time-limit-ms N   a phase stops issuing after this long (${PHASE_TIME_LIMIT_MS})
Servers
  --servers L         tszk,zookeeper (both; ZooKeeper is skipped when not installed)
  --ensemble L        servers per side, one comparison each: 1 (standalone, the default), 3, 5, 7; e.g. 1,3
                      (an ensemble on loopback per server kind; sessions spread over every member)
  --phases L          ${PHASES.join(',')}
  --zookeeper-heap S  -Xmx of the ZooKeeper JVM (${DEFAULT_ZOOKEEPER_HEAP}; each ensemble member: ${ENSEMBLE_ZOOKEEPER_HEAP})
  --tszk-node-args S  extra node flags for the tszk server, space separated (e.g. "--cpu-prof --cpu-prof-dir=bench/out/prof")
  --data-dir D        where data dirs are made (${tmpdir()})
  --keep-data         do not remove the data dirs (each server's console is in its dir, console.log)
  --note TEXT         a line for the report (e.g. which build was measured)
Output
  --out-md F  --out-json F  --out-svg F   (bench/out/report.md, report.json, read-ratio.svg)
Numbers accept 100k, 1M, 1_000_000.`;

/** "100k" -> 100000, "1M" -> 1000000, "1_000" -> 1000. */
export function parseCount(text: string, flag: string, max: number): number {
  const match = /^(\d[\d_]*)([kKmM]?)$/.exec(text.trim());
  if (match === null) throw new Error(`${flag}: not a count: ${text}`);
  const base = Number(match[1]!.replaceAll('_', ''));
  const unit = match[2]!.toLowerCase();
  const value = unit === 'k' ? base * 1_000 : unit === 'm' ? base * 1_000_000 : base;
  if (!Number.isSafeInteger(value) || value > max) throw new Error(`${flag}: ${text} is above the bound ${max}`);
  return value;
}

function parseList<T extends string>(text: string, flag: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`${flag}: unknown ${item} (one of ${allowed.join(', ')})`);
  return items as T[];
}

function parseEnsembles(text: string): number[] {
  const sizes = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const size = Number(s);
    if (!(ENSEMBLE_SIZES as readonly number[]).includes(size)) throw new Error(`--ensemble: ${s} is not one of ${ENSEMBLE_SIZES.join(', ')}`);
    return size;
  });
  if (sizes.length === 0) throw new Error('--ensemble needs at least one size');
  return [...new Set(sizes)];
}

function parsePercents(text: string): number[] {
  return text.split(',').map((s) => {
    const value = parseCount(s, '--read-percents', PERCENT_MAX);
    return value;
  });
}

/** Flags as key -> raw value ('' for switches). */
function collect(argv: readonly string[]): Map<string, string> {
  const switches = new Set(['--smoke', '--keep-data', '--help']);
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!name.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    if (switches.has(name)) raw.set(name, '');
    else if (eq > 0) raw.set(name, arg.slice(eq + 1));
    else if (i + 1 < argv.length) raw.set(name, argv[++i]!);
    else throw new Error(`${name} needs a value`);
  }
  return raw;
}

function startupRuns(flag: string | undefined, smoke: boolean): { startupRuns: number; ensembleStartupRuns: number } {
  const sizes = smoke ? SMOKE_SIZES : FULL_SIZES;
  if (flag === undefined) return { startupRuns: sizes.startupRuns, ensembleStartupRuns: smoke ? 0 : sizes.startupRuns };
  const runs = parseCount(flag, '--startup-runs', STARTUP_RUNS_MAX);
  return { startupRuns: runs, ensembleStartupRuns: runs };
}

function heaps(flag: string | undefined): { zookeeperHeap: string; ensembleZookeeperHeap: string } {
  return { zookeeperHeap: flag ?? DEFAULT_ZOOKEEPER_HEAP, ensembleZookeeperHeap: flag ?? ENSEMBLE_ZOOKEEPER_HEAP };
}

/** Settings from the command line, or 'help'. Throws on a bad flag. */
export function parseFlags(argv: readonly string[]): Settings | 'help' {
  const raw = collect(argv);
  if (raw.has('--help')) return 'help';
  const smoke = raw.has('--smoke');
  const sizes = smoke ? SMOKE_SIZES : FULL_SIZES;
  const take = (flag: string): string | undefined => {
    const value = raw.get(flag);
    raw.delete(flag);
    return value;
  };
  const count = (flag: string, fallback: number, max: number, min = 1): number => {
    const text = take(flag);
    const value = text === undefined ? fallback : parseCount(text, flag, max);
    if (value < min) throw new Error(`${flag} must be at least ${min}`);
    return value;
  };
  const phases = parseList(take('--phases') ?? PHASES.join(','), '--phases', PHASES);
  if (phases.some((p) => NEEDS_CREATE.includes(p)) && !phases.includes('create')) phases.unshift('create');
  const settings: Settings = {
    smoke,
    znodes: count('--znodes', sizes.znodes, ZNODES_MAX),
    ephemerals: count('--ephemerals', sizes.ephemerals, ZNODES_MAX),
    lockCycles: count('--lock-cycles', sizes.lockCycles, ZNODES_MAX),
    watchCycles: count('--watch-cycles', sizes.watchCycles, ZNODES_MAX),
    ratioKeys: count('--ratio-keys', sizes.ratioKeys, ZNODES_MAX),
    ratioOps: count('--ratio-ops', sizes.ratioOps, ZNODES_MAX),
    readPercents: parsePercents(take('--read-percents') ?? DEFAULT_READ_PERCENTS.join(',')),
    ...startupRuns(take('--startup-runs'), smoke),
    valueBytes: count('--value-bytes', DEFAULT_VALUE_BYTES, VALUE_BYTES_MAX, 0),
    clients: count('--clients', DEFAULT_CLIENTS, CLIENTS_MAX),
    sessionsPerClient: count('--sessions', DEFAULT_SESSIONS_PER_CLIENT, SESSIONS_PER_CLIENT_MAX),
    window: count('--window', DEFAULT_WINDOW, WINDOW_MAX),
    contenders: count('--contenders', DEFAULT_CONTENDERS, CONTENDERS_MAX),
    servers: parseList(take('--servers') ?? SERVER_KINDS.join(','), '--servers', SERVER_KINDS),
    phases: PHASES.filter((p) => phases.includes(p)),
    phaseTimeLimitMs: count('--phase-time-limit-ms', smoke ? SMOKE_PHASE_TIME_LIMIT_MS : PHASE_TIME_LIMIT_MS, PHASE_TIME_LIMIT_MS),
    outMarkdown: resolve(take('--out-md') ?? join(OUT_DIR, 'report.md')),
    outJson: resolve(take('--out-json') ?? join(OUT_DIR, 'report.json')),
    outSvg: resolve(take('--out-svg') ?? join(OUT_DIR, 'read-ratio.svg')),
    dataDirBase: resolve(take('--data-dir') ?? tmpdir()),
    ...heaps(take('--zookeeper-heap')),
    ensembles: parseEnsembles(take('--ensemble') ?? '1'),
    tszkNodeArgs: (take('--tszk-node-args') ?? '').split(' ').filter((s) => s.length > 0),
    keepData: take('--keep-data') !== undefined,
    note: take('--note') ?? '',
  };
  take('--smoke');
  const unknown = [...raw.keys()];
  if (unknown.length > 0) throw new Error(`unknown flag ${unknown.join(', ')}`);
  if (!/^\d+[kmgKMG]?$/.test(settings.zookeeperHeap)) throw new Error(`--zookeeper-heap: not a JVM size: ${settings.zookeeperHeap}`);
  return Object.freeze(settings);
}
