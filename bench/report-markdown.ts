/**
 * The Markdown report: the tszk/ZooKeeper ratios against issue 5's targets first, then each
 * server's numbers, the read/write-ratio curve, and the machine and command that produced them.
 */
import { dirname, relative } from 'node:path';
import { ENSEMBLE_INIT_LIMIT_TICKS, ENSEMBLE_SYNC_LIMIT_TICKS, FULL_SIZES, SERVER_SNAP_COUNT, SERVER_TICK_TIME_MS } from './limits.js';
import { median, type BenchReport, type EnsembleSection, type PhaseResult, type ServerResult } from './results.js';

const MIB = 2 ** 20;
const MS_PER_SECOND = 1000;
const SECONDS_PER_MINUTE = 60;
/** A failed phase's message is cut to this length in the table. */
const FAILURE_TEXT_CHARS_MAX = 200;
/** Issue 5's targets, tszk relative to ZooKeeper. */
const TARGET = { throughputMin: 2, cpuMax: 0.5, rssMax: 0.5, p99Max: 1, startupMsMax: 200 } as const;

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const count = (value: number): string => Math.round(value).toLocaleString('en-US');
const mib = (bytes: number): string => (bytes > 0 ? fixed(bytes / MIB, 0) : '–');
const ratio = (a: number, b: number): number => (b > 0 && a > 0 ? a / b : NaN);
const mark = (ok: boolean | undefined): string => (ok === undefined ? '' : ok ? ' ✓' : ' ✗');

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)];
}

function phaseOf(server: ServerResult | undefined, name: string): PhaseResult | undefined {
  const p = server?.phases.find((x) => x.name === name);
  return p === undefined || p.failure !== undefined ? undefined : p;
}

/** Ratio cell with its target mark: higher-is-better when `atLeast`, else lower-is-better. */
function ratioCell(value: number, target: number, atLeast: boolean): string {
  if (!Number.isFinite(value)) return '–';
  return `${fixed(value, 2)}${mark(atLeast ? value >= target : value <= target)}`;
}

function summaryRows(t: ServerResult, z: ServerResult): string[][] {
  const names = [...new Set([...t.phases, ...z.phases].map((p) => p.name))].filter((n) => n !== 'ratio-populate');
  const rows = names.map((name) => {
    const a = phaseOf(t, name);
    const b = phaseOf(z, name);
    return [
      name, count(a?.ops ?? b?.ops ?? 0), a ? count(a.opsPerSecond) : 'failed', b ? count(b.opsPerSecond) : 'failed',
      ratioCell(ratio(a?.opsPerSecond ?? 0, b?.opsPerSecond ?? 0), TARGET.throughputMin, true),
      ratioCell(ratio(a?.latency.p99Ms ?? 0, b?.latency.p99Ms ?? 0), TARGET.p99Max, false),
      ratioCell(ratio(a?.serverCpuUsPerOp ?? 0, b?.serverCpuUsPerOp ?? 0), TARGET.cpuMax, false),
      ratioCell(ratio(a?.serverPeakRssBytes ?? 0, b?.serverPeakRssBytes ?? 0), TARGET.rssMax, false),
    ];
  });
  return rows;
}

function summarySection(section: EnsembleSection): string[] {
  const t = section.servers.find((s) => s.kind === 'tszk');
  const z = section.servers.find((s) => s.kind === 'zookeeper');
  if (t === undefined || z === undefined) return ['### Summary', '', 'Only one server kind ran, so there are no ratios; see its numbers below.', ''];
  const summed = section.size === 1 ? '' : ` Server CPU per op and RSS are summed over the ${section.size} members of each ensemble.`;
  return [
    '### tszk / ZooKeeper',
    '',
    `Ratios are tszk divided by ZooKeeper. Targets (issue 5): throughput ≥ ${TARGET.throughputMin}×, p99 ≤ ${TARGET.p99Max}×, server CPU per op ≤ ${TARGET.cpuMax}×, RSS ≤ ${TARGET.rssMax}×, startup ≤ ${TARGET.startupMsMax} ms. ✓ met, ✗ not met. Peak RSS is the largest sample during the phase.${summed}`,
    '',
    ...table(['phase', 'ops', 'tszk op/s', 'ZooKeeper op/s', 'throughput', 'p99', 'CPU/op', 'peak RSS'], summaryRows(t, z)),
    '',
    ...table(['measure', 'tszk', 'ZooKeeper', 'tszk/ZooKeeper', 'target'], lifecycleRows(t, z)),
    '',
  ];
}

/** Startup, recovery and memory with N znodes: times and sizes, lower is better. */
function lifecycleRows(t: ServerResult, z: ServerResult): string[][] {
  const startA = median(t.startupMs);
  const startB = median(z.startupMs);
  const what = t.ensembleSize === 1 ? 'startup to serving, median ms' : `startup of ${t.ensembleSize} members to all serving under a leader, median ms`;
  const rows = [
    [what, fixed(startA, 0), fixed(startB, 0), fixed(ratio(startA, startB), 2), `≤ ${TARGET.startupMsMax} ms${mark(startA > 0 ? startA <= TARGET.startupMsMax : undefined)}`],
    ['idle RSS, MiB', mib(t.idleRssBytes), mib(z.idleRssBytes), fixed(ratio(t.idleRssBytes, z.idleRssBytes), 2), ''],
  ];
  const a = t.recovery;
  const b = z.recovery;
  if (a !== undefined && b !== undefined) {
    rows.push([`recovery of ${count(a.znodes)} znodes to serving${t.ensembleSize === 1 ? '' : ' (whole ensemble restarted)'}, ms`, fixed(a.startupMs, 0), fixed(b.startupMs, 0), fixed(ratio(a.startupMs, b.startupMs), 2), '']);
    rows.push([`RSS with ${count(a.znodes)} znodes (after recovery), MiB`, mib(a.rssBytes), mib(b.rssBytes), ratioCell(ratio(a.rssBytes, b.rssBytes), TARGET.rssMax, false), `≤ ${TARGET.rssMax}×`]);
  }
  rows.push(['peak RSS over the run (VmHWM), MiB', mib(t.peakRssBytes), mib(z.peakRssBytes), ratioCell(ratio(t.peakRssBytes, z.peakRssBytes), TARGET.rssMax, false), `≤ ${TARGET.rssMax}×`]);
  return rows;
}

function phaseRow(p: PhaseResult): string[] {
  if (p.failure !== undefined) return [p.name, 'FAILED', p.failure.replace(/\|/g, '/').replace(/\n/g, ' ').slice(0, FAILURE_TEXT_CHARS_MAX), '', '', '', '', '', '', '', '', ''];
  const errors = Object.entries(p.errors).map(([code, n]) => `${code}×${n}`).join(' ');
  return [
    p.name + (p.truncated ? ' (truncated)' : ''), count(p.ops), fixed(p.elapsedMs / MS_PER_SECOND, 2), count(p.opsPerSecond),
    fixed(p.latency.p50Ms, 2), fixed(p.latency.p99Ms, 2), fixed(p.latency.maxMs, 1),
    fixed(p.serverCpuUsPerOp, 1), fixed(p.clientCpuUsPerOp, 1), mib(p.serverPeakRssBytes), errors || '0', fixed(p.loadAverage, 1),
  ];
}

function serverSection(server: ServerResult): string[] {
  const members = server.ensembleSize === 1 ? '' : ` ${server.ensembleSize} servers, modes at start: ${server.modes.map((m, i) => `${i + 1} ${m}`).join(', ')}; CPU and RSS summed over them.`;
  const lines = [`### ${server.kind}${server.ensembleSize === 1 ? '' : ` ×${server.ensembleSize}`}`, '', `\`${server.version || 'version unknown'}\`${members}`, ''];
  if (server.failure !== undefined) lines.push(`**Run failed:** ${server.failure}`, '');
  lines.push(`Cold starts (spawn → ${server.ensembleSize === 1 ? 'first successful request' : 'every member answering under a settled leader'}): ${server.startupMs.map((ms) => `${fixed(ms, 0)} ms`).join(', ') || 'none'}; idle RSS ${mib(server.idleRssBytes)} MiB; peak RSS over the run (VmHWM) ${mib(server.peakRssBytes)} MiB.`, '');
  const r = server.recovery;
  if (r !== undefined) {
    lines.push(`Recovery (after read, before delete): restart (SIGTERM, then start) on ${count(r.znodes)} znodes, ${fixed(r.dataDirBytes / MIB, 1)} MiB on disk (${r.snapshotFiles} snapshots, ${r.logFiles} logs): serving after ${fixed(r.startupMs, 0)} ms with ${count(r.recoveredZnodes)} znodes${r.recoveredZnodes === r.znodes ? '' : ' **(MISMATCH)**'}, RSS ${mib(r.rssBytes)} MiB; then an untimed warm-up (10% of the znodes, at most 50,000, read or rewritten) before delete.`, '');
  }
  const header = ['phase', 'ops', 's', 'op/s', 'p50 ms', 'p99 ms', 'max ms', 'server µs CPU/op', 'client µs CPU/op', 'peak RSS MiB', 'errors', 'load avg'];
  lines.push(...table(header, server.phases.map(phaseRow)), '');
  const details = server.phases.filter((p) => Object.keys(p.detail).length > 0);
  for (const p of details) lines.push(`- ${p.name}: ${Object.entries(p.detail).map(([k, v]) => `${k} ${fixed(v, 1)}`).join(', ')}`);
  if (details.length > 0) lines.push('');
  return lines;
}

function curveSection(report: BenchReport, section: EnsembleSection, svgPath: string, markdownPath: string, withChart: boolean): string[] {
  const percents = report.settings.readPercents;
  const servers = section.servers;
  const rows = percents.map((percent) => {
    const values = servers.map((s) => phaseOf(s, `ratio-${percent}`)?.opsPerSecond ?? 0);
    const cells = [String(percent), ...values.map((v) => (v > 0 ? count(v) : 'failed'))];
    if (servers.length === 2) cells.push(ratioCell(ratio(values[0]!, values[1]!), TARGET.throughputMin, true));
    return cells;
  });
  const header = ['read %', ...servers.map((s) => `${s.kind} op/s`), ...(servers.length === 2 ? [`${servers[0]!.kind}/${servers[1]!.kind}`] : [])];
  return [
    '### Read/write ratio (the ZooKeeper paper\'s Figure 5)',
    '',
    `${count(report.settings.ratioOps)} operations per point on ${count(report.settings.ratioKeys)} znodes of 1 KiB, random keys, reads are getData, writes setData.`,
    '',
    ...(withChart ? [`![throughput against read ratio](${relative(dirname(markdownPath), svgPath)})`, ''] : []),
    ...table(header, rows),
    '',
  ];
}

function sizesLine(report: BenchReport): string {
  const s = report.settings;
  const scaled = s.znodes !== FULL_SIZES.znodes ? ` — **scaled down from the published ${count(FULL_SIZES.znodes)}**` : '';
  return `Sizes: ${count(s.znodes)} znodes${scaled} (values of ${s.valueBytes} B), ${count(s.ephemerals)} ephemerals, ${count(s.lockCycles)} lock cycles, ${count(s.watchCycles)} watch cycles, ${count(s.ratioOps)} ops per ratio point.`;
}

function headerSection(report: BenchReport): string[] {
  const m = report.machine;
  const s = report.settings;
  return [
    '# tszk vs Apache ZooKeeper: benchmark report',
    '',
    ...(s.smoke ? ['**Smoke run: every phase is tiny; these numbers are not a measurement.**', ''] : []),
    `Command: \`${report.command}\``,
    '',
    `Run ${report.startedAt}, ${fixed(report.durationMs / MS_PER_SECOND / SECONDS_PER_MINUTE, 1)} min. ${sizesLine(report)}`,
    '',
    `Load: ${s.clients} client worker threads × ${s.sessionsPerClient} sessions × window ${s.window} (pipelined phases); ${s.contenders} lock contenders / watch-cycle loops. Both servers: 127.0.0.1, forceSync on, snapCount ${SERVER_SNAP_COUNT}, same load client; every step runs on one side right after the other (alternating which goes first), so both see the same background load. Standalone ZooKeeper JVM -Xmx${s.zookeeperHeap}.`,
    '',
    ...(s.ensembles.some((n) => n > 1) ? [`Ensembles (${s.ensembles.filter((n) => n > 1).join(', ')} servers per side): loopback pseudo-clusters, one process per member with its own zoo.cfg, dataDir and myid (tickTime ${SERVER_TICK_TIME_MS} ms, initLimit ${ENSEMBLE_INIT_LIMIT_TICKS}, syncLimit ${ENSEMBLE_SYNC_LIMIT_TICKS}), each ZooKeeper member a JVM with -Xmx${s.ensembleZookeeperHeap}; the run starts once every member answers and srvr shows one leader. Client sessions go round-robin over all members (the lock contenders and watch-cycle loops too; a watcher sits on the member after its owner's), so writes reach the leader through followers. Server CPU per op and RSS are summed over the ensemble's processes; recovery restarts the whole ensemble.`, ''] : []),
    '',
    ...table(['machine', ''], [
      ['CPUs', `${m.cpus} × ${m.cpuModel}`], ['memory', `${count(m.memoryMiB)} MiB`], ['kernel', m.kernel], ['node', m.node], ['java', m.java], ['zookeeper package', m.zookeeperPackage], ['tszk source', m.tszkSource],
      ['load average (1 min) at start / end', `${fixed(m.loadAverageAtStart, 2)} / ${fixed(report.loadAverageAtEnd, 2)}`],
    ]),
    '',
    ...report.notes.map((n) => `- ${n}`),
    ...(report.notes.length > 0 ? [''] : []),
  ];
}

function sectionTitle(size: number): string {
  return size === 1 ? 'Standalone: one tszk server vs one ZooKeeper server' : `Ensembles: ${size} tszk servers vs ${size} ZooKeeper servers`;
}

/** tszk/ZooKeeper throughput and CPU-per-op ratios of every phase, one column pair per ensemble size. */
function sizesSection(report: BenchReport): string[] {
  const sections = report.ensembles.filter((e) => e.servers.some((s) => s.kind === 'tszk') && e.servers.some((s) => s.kind === 'zookeeper'));
  if (sections.length < 2) return [];
  const names = [...new Set(sections.flatMap((e) => e.servers.flatMap((s) => s.phases.map((p) => p.name))))].filter((n) => n !== 'ratio-populate');
  const rows = names.map((name) => [name, ...sections.flatMap((e) => {
    const a = phaseOf(e.servers.find((s) => s.kind === 'tszk'), name);
    const b = phaseOf(e.servers.find((s) => s.kind === 'zookeeper'), name);
    return [fixed(ratio(a?.opsPerSecond ?? 0, b?.opsPerSecond ?? 0), 2), fixed(ratio(a?.serverCpuUsPerOp ?? 0, b?.serverCpuUsPerOp ?? 0), 2)];
  })]);
  const header = ['phase', ...sections.flatMap((e) => [`×${e.size} throughput`, `×${e.size} CPU/op`])];
  return ['## tszk / ZooKeeper by number of servers', '', 'Throughput and server CPU per op (summed over the members), tszk divided by ZooKeeper; ×1 is standalone.', '', ...table(header, rows), ''];
}

function ensembleSection(report: BenchReport, section: EnsembleSection, paths: { markdown: string; svg: string }, withChart: boolean): string[] {
  return [
    `## ${sectionTitle(section.size)}`,
    '',
    `This comparison took ${fixed(section.durationMs / MS_PER_SECOND / SECONDS_PER_MINUTE, 1)} min.`,
    '',
    ...summarySection(section),
    // A run without the ratio phase (--phases) has no curve: no table of points that never ran.
    ...(report.settings.phases.includes('ratio') ? curveSection(report, section, paths.svg, paths.markdown, withChart) : []),
    ...section.servers.flatMap(serverSection),
  ];
}

/** The whole Markdown report. */
export function renderMarkdown(report: BenchReport, paths: { markdown: string; svg: string }): string {
  return [
    ...headerSection(report),
    ...sizesSection(report),
    ...report.ensembles.flatMap((section, i) => ensembleSection(report, section, paths, i === 0)),
  ].join('\n');
}
