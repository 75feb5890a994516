/** The machine a run measured, for the report: results mean nothing without it. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryMiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly java: string;
  readonly zookeeperPackage: string;
  /** `git describe` of the tszk tree measured (with -dirty when it had local changes). */
  readonly tszkSource: string;
  /** 1-minute load average when the run started: other work on the machine is noise. */
  readonly loadAverageAtStart: number;
}

const MIB = 1024 * 1024;
/** dist/bench/machine.js -> the repository (or the copy) it was built in. */
const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The first line a command prints on stdout or stderr (java -version uses stderr). */
function firstLine(file: string, args: string[], fallback = 'not installed'): string {
  const result = spawnSync(file, args, { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return fallback;
  const text = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return text.split('\n')[0]?.trim() ?? '';
}

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

/** Describes this machine. */
export function describeMachine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpuModel(),
    memoryMiB: Math.round(totalmem() / MIB),
    kernel: release(),
    node: process.version,
    java: firstLine('java', ['-version']),
    zookeeperPackage: firstLine('dpkg-query', ['-W', '-f=${Version}', 'zookeeper']),
    tszkSource: firstLine('git', ['-C', REPOSITORY_ROOT, 'describe', '--always', '--dirty'], 'unknown (not a git checkout)'),
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
}
