/**
 * Starts real Apache ZooKeeper 3.8 (the Debian package) as a loopback-only standalone server, so
 * tests and tools can compare tszk with the reference. Every wait is bounded and the JVM is
 * always stopped, including when the test process exits early.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { freePort } from './free-port.js';

export { freePort };
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The jars on disk; zookeeper.jar's manifest Class-Path pulls in jute, netty and the rest. */
const JARS = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-api.jar', '/usr/share/java/slf4j-simple.jar'];
/** super:test, the super user kazoo's suite and our tests authenticate as. */
export const SUPER_DIGEST_TEST = 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=';

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 3;
const LOG_TAIL_BYTES = 16 * 1024;

export interface ReferenceZooKeeperOptions {
  /** Sets -Dzookeeper.extendedTypesEnabled=true (TTL nodes). */
  extendedTypes?: boolean;
  /** user:base64(sha1(user:password)); defaults to super:test. */
  superDigest?: string;
  tickTime?: number;
  /**
   * SASL DIGEST-MD5 as kazoo's own harness configures it: users super/super_secret and
   * jaasuser/jaas_password, SASLAuthenticationProvider registered.
   */
  sasl?: boolean;
}

export interface ReferenceZooKeeper {
  readonly port: number;
  readonly host: '127.0.0.1';
  readonly dataDir: string;
  /** The last lines the JVM printed, for diagnosing a failed test. */
  logTail(): string;
  stop(): Promise<void>;
}

/** True when the Debian ZooKeeper jars and java are installed. */
export function referenceZooKeeperAvailable(): boolean {
  return JARS.every((jar) => existsSync(jar));
}

/** Sends a four-letter word and returns the whole plain-text answer (the server then closes). */
export function fourLetterWord(host: string, port: number, cmd: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`${cmd}: no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.end(cmd));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** A loopback port nobody listens on right now (a later bind may still race; start retries). */

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** JVMs still running, killed synchronously if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackForExit(child: ChildProcess): void {
  live.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/** Resolves true once `child` exits, false if it is still running after `timeoutMs`. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function killJvm(child: ChildProcess): Promise<void> {
  // Never spawned (java missing): there is nothing to wait for.
  if (child.pid === undefined) {
    live.delete(child);
    return;
  }
  child.kill('SIGTERM');
  if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
    child.kill('SIGKILL');
    await waitForExit(child, STOP_TIMEOUT_MS);
  }
  live.delete(child);
}

async function startOnce(options: ReferenceZooKeeperOptions): Promise<ReferenceZooKeeper> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tszk-zkref-'));
  const port = await freePort();
  const config = [
    `tickTime=${options.tickTime ?? 2000}`,
    `dataDir=${dataDir}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'admin.enableServer=false',
    '4lw.commands.whitelist=*',
    'maxClientCnxns=0',
    ...(options.sasl ? ['authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider'] : []),
  ];
  const cfgPath = join(dataDir, 'zoo.cfg');
  await writeFile(cfgPath, config.join('\n') + '\n');
  const jaasPath = join(dataDir, 'jaas.conf');
  if (options.sasl) {
    await writeFile(jaasPath, [
      'Server {',
      '  org.apache.zookeeper.server.auth.DigestLoginModule required',
      '  user_super="super_secret"',
      '  user_jaasuser="jaas_password";',
      '};',
      '',
    ].join('\n'));
  }

  const jvmArgs = [
    '-Xmx512m',
    // Digest auth decodes credentials with the default charset; pin it as kazoo's harness does.
    '-Dfile.encoding=UTF-8',
    ...(options.sasl ? [`-Djava.security.auth.login.config=${jaasPath}`] : []),
    `-Dzookeeper.DigestAuthenticationProvider.superDigest=${options.superDigest ?? SUPER_DIGEST_TEST}`,
    // log4j is not on the classpath; skip registering its MBean.
    '-Dzookeeper.jmx.log4j.disable=true',
    ...(options.extendedTypes ? ['-Dzookeeper.extendedTypesEnabled=true'] : []),
    '-cp',
    JARS.join(':'),
    'org.apache.zookeeper.server.quorum.QuorumPeerMain',
    cfgPath,
  ];
  const child = spawn('java', jvmArgs, { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  trackForExit(child);

  // The pipes must be drained or the JVM blocks once its log fills them.
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-LOG_TAIL_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));

  const cleanup = async () => {
    await killJvm(child);
    await rm(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) break;
    // ruok says imok as soon as the port is open; srvr shows whether requests are served yet.
    const ruok = await fourLetterWord('127.0.0.1', port, 'ruok', 1_000).catch(() => '');
    const srvr = ruok === 'imok' ? await fourLetterWord('127.0.0.1', port, 'srvr', 1_000).catch(() => '') : '';
    if (srvr.includes('Mode: standalone')) {
      let stopped = false;
      return {
        port,
        host: '127.0.0.1',
        dataDir,
        logTail: () => tail,
        async stop() {
          if (stopped) return;
          stopped = true;
          await cleanup();
        },
      };
    }
    await sleep(100);
  }
  await cleanup();
  throw new Error(
    `reference ZooKeeper did not answer ruok on 127.0.0.1:${port} ` +
      `(${spawnError ? spawnError.message : `exit ${child.exitCode ?? child.signalCode ?? 'none'}`})\n${tail}`,
  );
}

/**
 * Starts a fresh standalone ZooKeeper 3.8 in a new temp dir on a free 127.0.0.1 port and waits
 * until `ruok` answers `imok` and `srvr` reports it serving. Retries a few times because the free
 * port may be taken in between.
 */
export async function startReferenceZooKeeper(options: ReferenceZooKeeperOptions = {}): Promise<ReferenceZooKeeper> {
  if (!referenceZooKeeperAvailable()) {
    throw new Error(`reference ZooKeeper not installed (need ${JARS.join(', ')}); run scripts/install-compat-deps.sh`);
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
