/**
 * `npm run bench`: ZooKeeper's published stress workloads and the paper's read/write curve,
 * against tszk and real Apache ZooKeeper 3.8 in the same run with the same load client.
 * Writes a Markdown report, a JSON report and an SVG chart; progress goes to stderr.
 * A benchmark, never a timed assertion: the exit code only says whether every phase ran.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadavg } from 'node:os';
import { renderChart, SERIES_COLORS } from './chart-svg.js';
import { parseFlags, USAGE, type Settings } from './flags.js';
import { describeMachine } from './machine.js';
import { Progress } from './progress.js';
import { renderMarkdown } from './report-markdown.js';
import type { BenchReport, EnsembleSection, ServerResult } from './results.js';
import { stopAllServers, zookeeperInstalled } from './server-process.js';
import { benchServers } from './suite.js';
import { refuseNewDirs, removeAllDirs } from './temp-dirs.js';

const EXIT_BAD_FLAGS = 2;
const EXIT_PHASE_FAILED = 1;
const EXIT_INTERRUPTED = 130;

/** An argument as a shell would need it, so that the recorded command can be pasted back. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** "tszk" standalone, "tszk ×3" for an ensemble. */
export function sideLabel(server: ServerResult): string {
  return server.ensembleSize === 1 ? server.kind : `${server.kind} ×${server.ensembleSize}`;
}

function chart(report: BenchReport): string {
  const series = report.ensembles.flatMap((e) => e.servers).map((server, i) => ({
    label: sideLabel(server),
    color: SERIES_COLORS[i % SERIES_COLORS.length]!,
    points: server.phases
      .filter((p) => p.readPercent !== undefined && p.failure === undefined)
      .map((p) => [p.readPercent!, p.opsPerSecond] as const),
  }));
  const m = report.machine;
  const subtitle = `${report.settings.ratioOps.toLocaleString('en-US')} ops/point, 1 KiB values, ${m.cpus} CPUs, node ${m.node}, ${m.java}`;
  return renderChart('Throughput against read ratio', subtitle, series);
}

async function writeReports(report: BenchReport, settings: Settings): Promise<void> {
  for (const file of [settings.outJson, settings.outMarkdown, settings.outSvg]) await mkdir(dirname(file), { recursive: true });
  await writeFile(settings.outJson, JSON.stringify(report, null, 2) + '\n');
  await writeFile(settings.outSvg, chart(report));
  await writeFile(settings.outMarkdown, renderMarkdown(report, { markdown: settings.outMarkdown, svg: settings.outSvg }));
}

function plannedServers(settings: Settings, notes: string[]): Settings['servers'] {
  if (!settings.servers.includes('zookeeper') || zookeeperInstalled()) return settings.servers;
  notes.push('Apache ZooKeeper is not installed (Debian package `zookeeper`): tszk ran alone, there are no ratios.');
  return settings.servers.filter((k) => k !== 'zookeeper');
}

function onInterrupt(settings: Settings, progress: Progress): void {
  const stop = (signal: string): void => {
    progress.note(`${signal}: stopping servers${settings.keepData ? '' : ' and removing data dirs'}`);
    refuseNewDirs();
    void stopAllServers()
      .then(() => (settings.keepData ? undefined : removeAllDirs()))
      .finally(() => process.exit(EXIT_INTERRUPTED));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

function failed(servers: readonly ServerResult[]): boolean {
  return servers.some((s) => s.failure !== undefined || s.phases.some((p) => p.failure !== undefined));
}

async function main(argv: readonly string[]): Promise<number> {
  let settings: Settings | 'help';
  try {
    settings = parseFlags(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT_BAD_FLAGS;
  }
  if (settings === 'help') {
    console.log(USAGE);
    return 0;
  }
  const progress = new Progress();
  onInterrupt(settings, progress);
  const notes: string[] = settings.note === '' ? [] : [settings.note];
  if (settings.smoke) notes.push('Smoke sizes (--smoke): this run checks that the harness works; its numbers mean nothing.');
  notes.push('The machine is shared (other engineers run tests concurrently): compare the load averages, and expect run-to-run noise of 10–20%.');
  const machine = describeMachine();
  const startedMs = Date.now();
  const kinds = plannedServers(settings, notes);
  const ensembles: EnsembleSection[] = [];
  for (const size of settings.ensembles) {
    const sectionStartMs = Date.now();
    progress.note(size === 1 ? 'standalone servers' : `ensembles of ${size} servers`);
    const servers = await benchServers(kinds, size, settings, progress);
    ensembles.push({ size, servers, durationMs: Date.now() - sectionStartMs });
  }
  const servers = ensembles.flatMap((e) => e.servers);
  const report: BenchReport = {
    command: ['npm run bench --', ...argv.map(shellQuote)].join(' ').replace(/ --$/, ''),
    startedAt: new Date(startedMs).toISOString(),
    durationMs: Date.now() - startedMs,
    machine,
    loadAverageAtEnd: loadavg()[0] ?? 0,
    settings,
    servers: ensembles[0]?.servers ?? [],
    ensembles,
    notes,
  };
  await writeReports(report, settings);
  progress.note(`wrote ${settings.outMarkdown}, ${settings.outJson}, ${settings.outSvg}`);
  return failed(servers) ? EXIT_PHASE_FAILED : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(error);
    await stopAllServers();
    process.exit(EXIT_PHASE_FAILED);
  },
);
