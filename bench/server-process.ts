/**
 * Starts the two servers under test as child processes on 127.0.0.1, with the same zoo.cfg
 * settings, on a data dir the caller owns (so a restart recovers what the last run wrote).
 * Startup time is measured from spawn to the first successful request. Every process started
 * here is stopped: by its handle, by `stopAllServers` on Ctrl-C, or SIGKILLed at exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { OpCode } from '../src/proto/op-code.js';
import { SERVER_SNAP_COUNT, SERVER_TICK_TIME_MS, STARTUP_POLL_INTERVAL_MS, STARTUP_TIMEOUT_MS, STOP_TIMEOUT_MS } from './limits.js';
import { LoadSession } from './load-session.js';
import { existsBody } from './requests.js';
import { serverEntry } from '../src/cli/server-entry.js';
import { freePort } from '../test/support/free-port.js';

export { freePort };

export type ServerKind = 'tszk' | 'zookeeper';

export const HOST = '127.0.0.1';
const LOG_TAIL_CHARS = 16 * 1024;
/** Each server's console, in its data dir. */
const CONSOLE_FILE = 'console.log';
const POLL_CONNECT_TIMEOUT_MS = 1_000;
/** The Debian package's jars; zookeeper.jar's manifest Class-Path brings jute, netty and the rest. */
const ZOOKEEPER_JARS = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-api.jar', '/usr/share/java/slf4j-simple.jar'];
/** What `zk-server` runs: the bundle when current (scripts/bundle.mjs), as users start it. */
const TSZK_SERVER_SCRIPT = serverEntry(join(dirname(fileURLToPath(import.meta.url)), '..'));

export interface LaunchOptions {
  readonly kind: ServerKind;
  readonly dataDir: string;
  readonly port: number;
  /** Extra node flags for tszk (e.g. --cpu-prof). */
  readonly tszkNodeArgs: readonly string[];
  /** -Xmx for the ZooKeeper JVM. */
  readonly zookeeperHeap: string;
  /** More zoo.cfg lines (an ensemble member's server.N lines, initLimit, syncLimit). */
  readonly extraConfig?: readonly string[];
  /** Poll for the first reply this often (default STARTUP_POLL_INTERVAL_MS); ensembles poll slower. */
  readonly pollIntervalMs?: number;
  /** Label for errors and progress (e.g. "tszk server 2"). */
  readonly label?: string;
  /** Polled while waiting: a reason stops the wait (another member of the ensemble failed). */
  readonly giveUp?: () => string | undefined;
}

export interface ServerProcess {
  readonly kind: ServerKind;
  readonly pid: number;
  readonly port: number;
  /** Spawn to first successful request, ms. */
  readonly startupMs: number;
  logTail(): string;
  /** True once the process has exited (crashed, or stopped). */
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL if it lingers. */
  stop(): Promise<void>;
}

/** True when the Debian ZooKeeper jars are installed. */
export function zookeeperInstalled(): boolean {
  return ZOOKEEPER_JARS.every((jar) => existsSync(jar));
}

const live = new Set<ChildProcess>();
let closed = false;
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Stops every server still running and refuses to start more (Ctrl-C, fatal error). */
export async function stopAllServers(): Promise<void> {
  closed = true;
  await Promise.all([...live].map((child) => stopChild(child)));
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid !== undefined && !exited(child)) {
    child.kill('SIGTERM');
    if (!(await waitExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitExit(child, STOP_TIMEOUT_MS);
    }
  }
  live.delete(child);
}

function configLines(options: LaunchOptions): string[] {
  return [
    `tickTime=${SERVER_TICK_TIME_MS}`,
    `dataDir=${options.dataDir}`,
    `clientPort=${options.port}`,
    `clientPortAddress=${HOST}`,
    'maxClientCnxns=0',
    `snapCount=${SERVER_SNAP_COUNT}`,
    '4lw.commands.whitelist=*',
    // No AdminServer (port 8080 by default): ensemble members would collide on it.
    'admin.enableServer=false',
    ...(options.extraConfig ?? []),
  ];
}

function command(options: LaunchOptions, cfgPath: string): { file: string; args: string[] } {
  if (options.kind === 'tszk') {
    return { file: process.execPath, args: [...options.tszkNodeArgs, TSZK_SERVER_SCRIPT, 'start-foreground', cfgPath] };
  }
  const jvm = [
    `-Xmx${options.zookeeperHeap}`,
    '-Dfile.encoding=UTF-8',
    // log4j is not on the classpath; skip registering its MBean.
    '-Dzookeeper.jmx.log4j.disable=true',
    '-cp',
    ZOOKEEPER_JARS.join(':'),
    'org.apache.zookeeper.server.quorum.QuorumPeerMain',
    cfgPath,
  ];
  return { file: 'java', args: jvm };
}

/** One request on a fresh session: true when the server answers it. */
async function answers(port: number): Promise<boolean> {
  let session: LoadSession | undefined;
  try {
    session = await LoadSession.open(HOST, port, POLL_CONNECT_TIMEOUT_MS);
    const reply = await session.call(OpCode.exists, existsBody('/'), POLL_CONNECT_TIMEOUT_MS);
    return reply.err === 0;
  } catch {
    return false;
  } finally {
    await session?.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Spawns the server and resolves once it answers a request; the clock runs from spawn. */
export async function launchServer(options: LaunchOptions): Promise<ServerProcess> {
  if (closed) throw new Error('interrupted: no new servers');
  const cfgPath = join(options.dataDir, 'zoo.cfg');
  await writeFile(cfgPath, configLines(options).join('\n') + '\n');
  const { file, args } = command(options, cfgPath);
  const spawnedMs = performance.now();
  const child = spawn(file, args, { cwd: options.dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let tail = '';
  // The whole console goes to the data dir too: with --keep-data a stall can be read afterwards.
  const consoleFile = createWriteStream(join(options.dataDir, CONSOLE_FILE), { flags: 'a' });
  consoleFile.on('error', () => undefined);
  child.once('close', () => consoleFile.end());
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
    consoleFile.write(chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  const deadline = spawnedMs + STARTUP_TIMEOUT_MS;
  let gaveUp: string | undefined;
  while (performance.now() < deadline && spawnError === undefined && !exited(child) && (gaveUp = options.giveUp?.()) === undefined) {
    if (await answers(options.port)) {
      const startupMs = performance.now() - spawnedMs;
      return { kind: options.kind, pid: child.pid!, port: options.port, startupMs, logTail: () => tail, hasExited: () => exited(child), stop: () => stopChild(child) };
    }
    await sleep(options.pollIntervalMs ?? STARTUP_POLL_INTERVAL_MS);
  }
  await stopChild(child);
  const why = spawnError?.message ?? gaveUp ?? (exited(child) ? `exited with ${child.exitCode ?? child.signalCode}` : `no answer within ${STARTUP_TIMEOUT_MS} ms`);
  throw new Error(`${options.label ?? options.kind} did not start on ${HOST}:${options.port} (${why})\n${tail}`);
}
