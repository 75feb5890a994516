/**
 * Runs kazoo's own test suite (Debian python3-kazoo) against any running ZooKeeper-protocol
 * server and reports each test's outcome by pytest node id, so a run against tszk can be
 * compared with the baseline recorded against real ZooKeeper (kazoo_expected.json).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KAZOO_TESTS_DIR = '/usr/lib/python3/dist-packages/kazoo/tests';
/** Folder holding kazoo_peer_shim.py, the pytest plugin that points kazoo's harness at a running server. */
export const KAZOO_SHIM_DIR = '/work/shared/compat';

/** tszk's server entry point, as the compat tests run it (dist/src/cli/zk-server.js). */
export const TSZK_SERVER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'zk-server.js');
/** Java ZooKeeper 3.8 from the Debian jars; log4j so kazoo's log4j.properties sends the log to a file. */
export const ZOOKEEPER_CLASSPATH = ['zookeeper.jar', 'slf4j-api.jar', 'slf4j-log4j12.jar', 'log4j-1.2.jar'].map((jar) => `/usr/share/java/${jar}`).join(':');

/**
 * A cluster kazoo's own harness starts and stops itself (ZookeeperCluster/ManagedZooKeeper),
 * so the tests that stop and restart members run: Java ZooKeeper, or tszk processes through
 * the shim's ManagedTszk.
 */
export interface KazooManagedCluster {
  readonly server: 'zookeeper' | 'tszk';
  /** ZOOKEEPER_CLUSTER_SIZE; default 3. */
  readonly size?: number;
  /** ZOOKEEPER_PORT_OFFSET: server i listens on offset+10i (client), +1 (election), +2 (quorum); see freePortOffset. */
  readonly portOffset: number;
  /** tszk only; default TSZK_SERVER_SCRIPT. */
  readonly serverScript?: string;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A ZOOKEEPER_PORT_OFFSET whose size*10 ports (client, election, quorum, admin per server) are free now. */
export async function freePortOffset(size = 3): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const offset = 20_000 + 10 * Math.floor(Math.random() * 3_000);
    let free = true;
    for (let i = 0; i < size && free; i++) {
      for (let k = 0; k < 4 && free; k++) free = await portFree(offset + 10 * i + k);
    }
    if (free) return offset;
  }
  throw new Error('no free port range for a kazoo-managed cluster');
}

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
  /** Keep the run's temp dir (junit.xml, a managed cluster's server dirs and logs under tmp/); its path is in the result. */
  keepWorkDir?: boolean;
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
  /** Set when keepWorkDir was asked for. */
  workDir?: string;
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

/**
 * pytest's failure sections (`___ Class.test ___` blocks of the FAILURES/ERRORS part) for the
 * given node ids, each cut to `perTestChars`, for an assertion message.
 */
export function failureDetails(raw: string, ids: readonly string[], perTestChars = 4_000): string {
  const start = raw.search(/^=+ (FAILURES|ERRORS) =+$/m);
  if (start < 0) return '';
  const end = raw.slice(start).search(/^-+ generated xml file|^=+ short test summary info =+$/m);
  const body = end < 0 ? raw.slice(start) : raw.slice(start, start + end);
  const sections = body.split(/^(?=_{3,} .+ _{3,}$)/m);
  return ids.map((id) => {
    const [, cls, name] = /::([^:]+)::([^:]+)$/.exec(id) ?? [];
    const title = `${cls}.${name}`;
    const found = sections.filter((s) => s.startsWith('_') && s.split('\n', 1)[0]!.includes(` ${title} `));
    return `--- ${id}\n${found.length === 0 ? '(no failure section)' : found.join('\n').slice(0, perTestChars)}`;
  }).join('\n');
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
export function kazooEnv(target: string | KazooManagedCluster, options: KazooRunOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(KAZOO_|ZOOKEEPER_|TRAVIS|PYTHON|PYTEST_)/.test(key)) env[key] = value;
  }
  if (typeof target === 'string') {
    env.KAZOO_EXTERNAL_HOSTS = target;
  } else {
    // kazoo's harness settings, as its CI sets them for 3.5+ (4lw, reconfigEnabled, super:test).
    env.ZOOKEEPER_VERSION = '3.8.0';
    env.ZOOKEEPER_CLUSTER_SIZE = String(target.size ?? 3);
    env.ZOOKEEPER_PORT_OFFSET = String(target.portOffset);
    // SASL DIGEST-MD5 users from the first test on (test_sasl.py sets the same), as in the
    // standalone baseline; the cluster is then never rebuilt mid-run.
    env.ZOOKEEPER_JAAS_AUTH = 'digest';
    if (target.server === 'zookeeper') env.ZOOKEEPER_CLASSPATH = ZOOKEEPER_CLASSPATH;
    else {
      env.KAZOO_TSZK_SERVER = target.serverScript ?? TSZK_SERVER_SCRIPT;
      env.KAZOO_TSZK_NODE = process.execPath;
    }
  }
  env.PYTHONPATH = options.shimDir ?? KAZOO_SHIM_DIR;
  // Keep pytest from writing bytecode into the system's dist-packages.
  env.PYTHONDONTWRITEBYTECODE = '1';
  if (options.ctl) env.KAZOO_EXTERNAL_CTL = options.ctl;
  return env;
}

/**
 * Runs kazoo's suite against `target`, bounded in time: a running server or servers
 * ("127.0.0.1:2181" or a comma list), or a cluster kazoo's harness manages itself.
 */
export async function runKazooSuite(target: string | KazooManagedCluster, options: KazooRunOptions = {}): Promise<KazooRunResult> {
  const shimDir = options.shimDir ?? KAZOO_SHIM_DIR;
  if (!existsSync(KAZOO_TESTS_DIR)) throw new Error(`kazoo tests not found at ${KAZOO_TESTS_DIR}; run scripts/install-compat-deps.sh`);
  if (!existsSync(join(shimDir, 'kazoo_peer_shim.py'))) throw new Error(`kazoo_peer_shim.py not found in ${shimDir}`);
  const workDir = await mkdtemp(join(tmpdir(), 'tszk-kazoo-'));
  const junitPath = join(workDir, 'junit.xml');
  try {
    // Its own process group, so a timeout kills pytest and anything it started.
    const env = kazooEnv(target, options);
    if (typeof target !== 'string') {
      // The managed servers' working dirs (tempfile.mkdtemp) go with the run's dir, also when pytest is killed.
      env.TMPDIR = join(workDir, 'tmp');
      await mkdir(env.TMPDIR);
      if (target.server === 'tszk') env.KAZOO_TSZK_LOG_DIR = join(workDir, 'logs');
    }
    const child = spawn(options.python ?? '/usr/bin/python3', kazooPytestArgs(junitPath, options), {
      cwd: workDir,
      env,
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
    return { ...outcomes, raw, timedOut, exitCode, ...(options.keepWorkDir ? { workDir } : {}) };
  } finally {
    if (!options.keepWorkDir) await rm(workDir, { recursive: true, force: true });
  }
}
