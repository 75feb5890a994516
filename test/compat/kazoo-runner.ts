/**
 * Runs kazoo's own test suite (Debian python3-kazoo) against any running ZooKeeper-protocol
 * server and reports each test's outcome by pytest node id, so a run against tszk can be
 * compared with the baseline recorded against real ZooKeeper (kazoo_expected.json).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

export const KAZOO_TESTS_DIR = '/usr/lib/python3/dist-packages/kazoo/tests';
/** Folder holding kazoo_peer_shim.py, the pytest plugin that points kazoo's harness at a running server. */
export const KAZOO_SHIM_DIR = '/work/shared/compat';

export interface KazooRunOptions {
  /** Hard bound on the whole run; pytest is killed after it. Default 20 minutes. */
  timeoutMs?: number;
  /** pytest-timeout per test, seconds. Default 60. */
  perTestTimeoutS?: number;
  /** Script called as `ctl stop IDX` / `ctl start IDX`; without it server-restart tests skip. */
  ctl?: string;
  /** Extra pytest arguments, e.g. ['-k', 'test_client'] or node ids to narrow the run. */
  extraArgs?: string[];
  /** Test paths or node ids; defaults to the whole suite. */
  targets?: string[];
  shimDir?: string;
  python?: string;
}

export interface KazooRunResult {
  passed: string[];
  failed: string[];
  skipped: string[];
  /** pytest's console output (verbose, with the -rA summary). */
  raw: string;
  /** True when the hard bound killed pytest; the lists then hold what finished. */
  timedOut: boolean;
  exitCode: number | null;
}

/** Node ids are relative to dist-packages, e.g. `kazoo/tests/test_lock.py::TestLock::test_x`. */
const ROOT_DIR = dirname(dirname(KAZOO_TESTS_DIR));
const RAW_BYTES_MAX = 8 * 1024 * 1024;

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-fA-F]+));/g, (_, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[name] ?? '';
  });
}

/** junit's classname is the node id's path with dots; find where the module ends on disk. */
function nodeIdOf(classname: string, name: string): string {
  const parts = classname.split('.');
  for (let i = parts.length; i > 0; i--) {
    const modulePath = parts.slice(0, i).join('/') + '.py';
    if (existsSync(join(ROOT_DIR, modulePath))) return [modulePath, ...parts.slice(i), name].join('::');
  }
  return `${classname}::${name}`;
}

function attribute(tag: string, name: string): string {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? unescapeXml(match[1] ?? '') : '';
}

/** Outcomes from pytest's junit xml: failure or error anywhere in a testcase makes it failed. */
export function parseJunitXml(xml: string): Pick<KazooRunResult, 'passed' | 'failed' | 'skipped'> {
  const outcome = new Map<string, 'passed' | 'failed' | 'skipped'>();
  const testcase = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (let m = testcase.exec(xml); m !== null; m = testcase.exec(xml)) {
    const tag = m[1] ?? '';
    const body = m[3] ?? '';
    const id = nodeIdOf(attribute(tag, 'classname'), attribute(tag, 'name'));
    const result = /<(failure|error)\b/.test(body) ? 'failed' : /<skipped\b/.test(body) ? 'skipped' : 'passed';
    // A teardown error is a second testcase entry for the same id; failure wins.
    if (outcome.get(id) !== 'failed') outcome.set(id, result);
  }
  const pick = (kind: string) => [...outcome].filter(([, r]) => r === kind).map(([id]) => id).sort();
  return { passed: pick('passed'), failed: pick('failed'), skipped: pick('skipped') };
}

/**
 * Fallback when pytest was killed before writing junit: the `-v` progress lines. Their paths are
 * relative to pytest's working directory, so they are re-rooted at dist-packages.
 */
export function parseVerboseOutput(raw: string, cwd: string): Pick<KazooRunResult, 'passed' | 'failed' | 'skipped'> {
  const outcome = new Map<string, 'passed' | 'failed' | 'skipped'>();
  const line = /^(\S+?)(::\S+) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b/gm;
  for (let m = line.exec(raw); m !== null; m = line.exec(raw)) {
    const id = relative(ROOT_DIR, resolve(cwd, m[1] ?? '')) + (m[2] ?? '');
    const status = m[3] ?? '';
    const result = status === 'PASSED' || status === 'XPASS' ? 'passed' : status === 'SKIPPED' || status === 'XFAIL' ? 'skipped' : 'failed';
    if (outcome.get(id) !== 'failed') outcome.set(id, result);
  }
  const pick = (kind: string) => [...outcome].filter(([, r]) => r === kind).map(([id]) => id).sort();
  return { passed: pick('passed'), failed: pick('failed'), skipped: pick('skipped') };
}

/** The pytest command line (without the interpreter), shared by the baseline and every run. */
export function kazooPytestArgs(junitPath: string, options: KazooRunOptions = {}): string[] {
  return [
    '-m', 'pytest',
    '-p', 'kazoo_peer_shim',
    '-p', 'no:cacheprovider',
    // No ini file from the machine may change the run; node ids are relative to dist-packages.
    '-c', '/dev/null',
    '--rootdir', ROOT_DIR,
    `--timeout=${options.perTestTimeoutS ?? 60}`,
    '-v', '-rA',
    `--junitxml=${junitPath}`,
    ...(options.extraArgs ?? []),
    ...(options.targets ?? [KAZOO_TESTS_DIR]),
  ];
}

/** The environment of a run: only what the shim reads, none of the caller's ZooKeeper settings. */
export function kazooEnv(hostPort: string, options: KazooRunOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(KAZOO_|ZOOKEEPER_|TRAVIS|PYTHON|PYTEST_)/.test(key)) env[key] = value;
  }
  env.KAZOO_EXTERNAL_HOSTS = hostPort;
  env.PYTHONPATH = options.shimDir ?? KAZOO_SHIM_DIR;
  // Keep pytest from writing bytecode into the system's dist-packages.
  env.PYTHONDONTWRITEBYTECODE = '1';
  if (options.ctl) env.KAZOO_EXTERNAL_CTL = options.ctl;
  return env;
}

/** Runs kazoo's suite against `hostPort` ("127.0.0.1:2181" or a comma list), bounded in time. */
export async function runKazooSuite(hostPort: string, options: KazooRunOptions = {}): Promise<KazooRunResult> {
  const shimDir = options.shimDir ?? KAZOO_SHIM_DIR;
  if (!existsSync(KAZOO_TESTS_DIR)) throw new Error(`kazoo tests not found at ${KAZOO_TESTS_DIR}; run scripts/install-compat-deps.sh`);
  if (!existsSync(join(shimDir, 'kazoo_peer_shim.py'))) throw new Error(`kazoo_peer_shim.py not found in ${shimDir}`);
  const workDir = await mkdtemp(join(tmpdir(), 'tszk-kazoo-'));
  const junitPath = join(workDir, 'junit.xml');
  try {
    // Its own process group, so a timeout kills pytest and anything it started.
    const child = spawn(options.python ?? '/usr/bin/python3', kazooPytestArgs(junitPath, options), {
      cwd: workDir,
      env: kazooEnv(hostPort, options),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let raw = '';
    const keep = (chunk: Buffer) => {
      raw += chunk.toString('utf8');
      if (raw.length > RAW_BYTES_MAX) raw = raw.slice(-RAW_BYTES_MAX);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    const onExit = () => killGroup('SIGKILL');
    process.once('exit', onExit);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      let killTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), 5_000);
      }, options.timeoutMs ?? 20 * 60_000);
      child.on('error', (err) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        reject(err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        resolve(code);
      });
    });
    process.removeListener('exit', onExit);

    const xml = existsSync(junitPath) ? await readFile(junitPath, 'utf8') : '';
    const outcomes = xml.includes('<testcase') ? parseJunitXml(xml) : parseVerboseOutput(raw, workDir);
    return { ...outcomes, raw, timedOut, exitCode };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
