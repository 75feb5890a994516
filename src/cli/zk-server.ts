/**
 * `zk-server`: runs and controls a tszk server the way zkServer.sh runs ZooKeeper - the same
 * commands, messages and exit codes, the pid file in dataDir - plus ZooKeeper's data tools.
 *
 *   zk-server [--config <conf-dir>] {start|start-foreground|stop|restart|status|version|print-cmd} [zoo.cfg]
 *   zk-server {snapshot-dump|txnlog-dump|purge} ...          (see data-tools.ts)
 *
 * Without a config file the server serves 127.0.0.1:2181 (TSZK_PORT) with data in ./data
 * (TSZK_DATA_DIR): the quick start. `status` also says why the server is standalone and how to
 * get an ensemble; a config that asks for an ensemble is refused, since this build has no quorum
 * mode, rather than run standalone without anyone noticing.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, peekPaths, type ServerConfig } from '../config/server-config.js';
import type { ModeDecision } from '../config/mode.js';
import { limits } from '../config/limits.js';
import { FULL_VERSION } from '../admin/version.js';
import { AdminServerError, startServer } from '../main/server.js';
import { NOT_SERVING } from '../admin/four-letter.js';
import { loadServerConfig, readConfigText, type LoadedConfig } from '../runtime/config-files.js';
import { ServerLogger } from '../runtime/logger.js';

const USAGE = 'Usage: zk-server [--config <conf-dir>] {start|start-foreground|stop|version|restart|status|print-cmd} [zoo.cfg]\n'
  + '       zk-server {snapshot-dump|txnlog-dump|purge} ...';

/** ZooKeeper's exit codes (server/ExitCode.java). */
const EXIT = { ok: 0, unexpected: 1, invalidConfig: 2, dataDir: 3, adminServer: 4 } as const;
/** Set in the environment of the process `start` spawns. */
const DAEMON_ENV = 'TSZK_DAEMON';
const SCRIPT = fileURLToPath(import.meta.url);

/** The quick-start defaults: loopback, a local data folder, ZooKeeper's sample tickTime. */
function quickStart(): Record<string, string> {
  return {
    tickTime: '2000',
    dataDir: process.env.TSZK_DATA_DIR ?? 'data',
    clientPort: process.env.TSZK_PORT ?? '2181',
    clientPortAddress: '127.0.0.1',
    'admin.serverAddress': '127.0.0.1',
    'admin.serverPort': process.env.TSZK_ADMIN_PORT ?? '8080',
  };
}

/** `[--config <dir>] <command> [cfg]` resolved as zkServer.sh does: a bare name is looked up in the conf dir. */
function parseArgs(argv: string[]): { command: string | undefined; file: string | undefined; rest: string[] } {
  let confDir = process.env.ZOOCFGDIR;
  const args = [...argv];
  if (args[0] === '--config') {
    confDir = args[1];
    args.splice(0, 2);
  }
  const [command, cfg, ...rest] = args;
  let file: string | undefined;
  if (cfg !== undefined) file = confDir !== undefined && !cfg.includes('/') ? join(confDir, cfg) : cfg;
  else if (confDir !== undefined) file = join(confDir, 'zoo.cfg');
  return { command, file, rest };
}

// ---------------------------------------------------------------------------------------------
// start-foreground

function printRefusal(loaded: LoadedConfig): void {
  const { decision } = loaded;
  console.error('Invalid config, exiting abnormally');
  for (const error of decision.errors) console.error(`  ${error}`);
  if (decision.mode === 'quorum' && decision.problems.length > 0) {
    console.error(`  ${decision.reason}, but this server cannot join it:`);
    for (const problem of decision.problems) console.error(`  ${problem}.`);
    console.error('  tszk does not run an ensemble config standalone: each member would serve its own copy of the data (split brain).');
  }
}

/** Quorum mode that cannot work (myid, limits, ports) is refused, as ZooKeeper refuses it. */
function refused(decision: LoadedConfig['decision']): boolean {
  return decision.errors.length > 0 || (decision.mode === 'quorum' && decision.problems.length > 0);
}

function logFileName(): string {
  return `zookeeper-${userInfo().username}-server-${hostname()}`;
}

/** The log directory: ZOO_LOG_DIR or zookeeper.log.dir; a daemon without either logs to <dataDir>/logs. */
function logDirOf(config: ServerConfig, daemon: boolean): string | undefined {
  return config.log.dir ?? (daemon ? join(config.dataDir, 'logs') : undefined);
}

async function startForeground(file: string | undefined): Promise<number> {
  const loaded = loadServerConfig(file, quickStart());
  const { config, decision } = loaded;
  if (refused(decision)) {
    printRefusal(loaded);
    return decision.errors.some((e) => e.startsWith('dataDir') || e.startsWith('dataLogDir')) ? EXIT.dataDir : EXIT.invalidConfig;
  }
  const daemon = process.env[DAEMON_ENV] === '1';
  const logDir = logDirOf(config, daemon);
  const logger = new ServerLogger({
    level: config.log.level,
    console: !daemon || logDir === undefined,
    // ZooKeeper's log lines name an ensemble member: [myid:N].
    ...(decision.mode === 'quorum' && config.myid !== undefined ? { myid: String(config.myid) } : {}),
    ...(logDir !== undefined && {
      file: { dir: logDir, name: config.log.file ?? `${logFileName()}.log`, maxFileBytes: config.log.maxFileBytes, maxBackupIndex: config.log.maxBackupIndex },
    }),
  });
  logger.log('INFO', `Reading configuration from: ${config.file ?? '(quick-start defaults)'}`, 'config');
  let running;
  try {
    running = await startServer(config, logger.log, { mode: decision, adminServerRequired: config.file !== undefined });
  } catch (e) {
    if (e instanceof AdminServerError) {
      logger.log('ERROR', e.message, 'admin');
      console.error(e.message);
      return EXIT.adminServer;
    }
    const message = `Unexpected exception, exiting abnormally: ${(e as Error).message}`;
    logger.log('ERROR', message);
    console.error(message);
    return EXIT.unexpected;
  }
  const stop = (signal: string): void => {
    logger.log('INFO', `${signal}: shutting down`);
    void running.close().then(() => {
      logger.close();
      process.exit(EXIT.ok);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return -1;
}

// ---------------------------------------------------------------------------------------------
// pid file, daemon start, stop

interface Paths {
  readonly pidFile: string;
  readonly dataDir: string;
}

/** dataDir and the pid file, read leniently (stop must work even when the rest of the config does not parse). */
function pathsOf(file: string | undefined): Paths {
  const source = file === undefined ? undefined : readConfigText(file, 'the config file');
  const dataDir = peekPaths(source, source === undefined ? quickStart() : {}).dataDir;
  if (dataDir === undefined || dataDir === '') throw new ConfigError({ file, line: 0, key: 'dataDir' }, 'is not set: the pid file lives in dataDir');
  return { dataDir, pidFile: process.env.ZOOPIDFILE ?? join(dataDir, 'zookeeper_server.pid') };
}

function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The whole answer to a four-letter word, or undefined when nobody answers in time. */
export function askFourLetterWord(host: string, port: number, word: string, timeoutMs = 5_000): Promise<string | undefined> {
  return new Promise((resolveAnswer) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('connect', () => socket.end(word));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      resolveAnswer(hadError || chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8'));
    });
  });
}

function daemonOutFile(config: ServerConfig): string {
  return join(logDirOf(config, true)!, `${logFileName()}.out`);
}

function daemonCommand(config: ServerConfig): string[] {
  return [process.execPath, SCRIPT, 'start-foreground', ...(config.file === undefined ? [] : [resolve(config.file)])];
}

function printModeNotice(decision: ModeDecision): void {
  if (!decision.loud) return;
  console.error('NOTE: this server will run STANDALONE although the config names other servers.');
  console.error(`  Why: ${decision.reason}.`);
  for (const problem of decision.problems) console.error(`  Also: ${problem}.`);
  if (decision.fix !== undefined) console.error(`  Fix: ${decision.fix}.`);
}

async function start(file: string | undefined): Promise<number> {
  if (file !== undefined) console.error(`Using config: ${file}`);
  const loaded = loadServerConfig(file, quickStart());
  const { config, decision } = loaded;
  if (refused(decision)) {
    printRefusal(loaded);
    return decision.errors.some((e) => e.startsWith('dataDir')) ? EXIT.dataDir : EXIT.invalidConfig;
  }
  for (const warning of config.warnings) console.error(`WARN ${warning}`);
  printModeNotice(decision);
  process.stdout.write('Starting zookeeper ... ');
  const paths = pathsOf(file);
  const existing = readPid(paths.pidFile);
  if (existing !== undefined && alive(existing)) {
    console.log(`already running as process ${existing}.`);
    return EXIT.unexpected;
  }
  mkdirSync(paths.dataDir, { recursive: true });
  const outFile = daemonOutFile(config);
  mkdirSync(dirname(outFile), { recursive: true });
  const out = openSync(outFile, 'a');
  const [node, ...args] = daemonCommand(config);
  // Loaded here: start-foreground (the server itself) never needs it, and every module costs start-up time.
  const { spawn } = await import('node:child_process');
  const child = spawn(node!, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, [DAEMON_ENV]: '1', ZOO_LOG_DIR: logDirOf(config, true) },
  });
  closeSync(out);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  if (child.pid === undefined) {
    console.log('SERVER DID NOT START');
    return EXIT.unexpected;
  }
  writeFileSync(paths.pidFile, String(child.pid));
  const ready = await waitServing(config, () => exited);
  child.unref();
  if (ready) {
    console.log('STARTED');
    return EXIT.ok;
  }
  console.log('FAILED TO START');
  if (!exited) child.kill('SIGKILL');
  rmSync(paths.pidFile, { force: true });
  const tail = existsSync(outFile) ? readFileSync(outFile, 'utf8').trimEnd().split('\n').slice(-8) : [];
  for (const line of tail) console.error(`  ${line}`);
  console.error(`  (see ${outFile} and the log in ${logDirOf(config, true)})`);
  return EXIT.unexpected;
}

/** True once srvr answers on the client port (bounded); false when the process exits first. */
async function waitServing(config: ServerConfig, exited: () => boolean): Promise<boolean> {
  const host = config.clientPortAddress === '0.0.0.0' ? '127.0.0.1' : config.clientPortAddress;
  const deadline = Date.now() + limits.daemonStartTimeoutMs;
  if (config.clientPort === 0) {
    // A random port cannot be probed: alive after a second is what zkServer.sh checks.
    await sleep(1000);
    return !exited();
  }
  while (Date.now() < deadline) {
    if (exited()) return false;
    const answer = await askFourLetterWord(host, config.clientPort, 'srvr', 1000);
    // An ensemble member answers, but does not serve, until a quorum has elected a leader.
    if (answer?.includes('Mode: ') === true || answer?.includes(NOT_SERVING) === true) return !exited();
    await sleep(100);
  }
  return false;
}

async function stop(file: string | undefined): Promise<number> {
  if (file !== undefined) console.error(`Using config: ${file}`);
  const paths = pathsOf(file);
  process.stdout.write('Stopping zookeeper ... ');
  if (!existsSync(paths.pidFile)) {
    console.log(`no zookeeper to stop (could not find file ${paths.pidFile})`);
    return EXIT.ok;
  }
  const pid = readPid(paths.pidFile);
  if (pid !== undefined && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + limits.daemonStopTimeoutMs;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  } else {
    console.error(`(process ${pid ?? '?'} from ${paths.pidFile} was not running)`);
  }
  rmSync(paths.pidFile, { force: true });
  console.log('STOPPED');
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------
// status

/** The client port and address as zkServer.sh finds them (clientPort, else this server's line). */
function clientEndpoint(config: ServerConfig): { port: number; address: string } {
  const own = config.servers.find((s) => s.id === config.myid && s.clientPort !== undefined);
  const explicit = config.file === undefined || config.locations.has('clientPortAddress') || (own !== undefined && !config.locations.has('clientPort'));
  return { port: config.clientPort, address: explicit ? config.clientPortAddress : 'localhost' };
}

async function status(file: string | undefined): Promise<number> {
  if (file !== undefined) console.error(`Using config: ${file}`);
  const loaded = loadServerConfig(file, quickStart());
  const { config, decision } = loaded;
  const endpoint = clientEndpoint(config);
  console.log(`Client port found: ${endpoint.port}. Client address: ${endpoint.address}. Client SSL: false.`);
  // zkServer.sh prints "localhost" for an unset address; a wildcard address is reached on loopback.
  const host = endpoint.address === 'localhost' || endpoint.address === '0.0.0.0' ? '127.0.0.1' : endpoint.address;
  const answer = await askFourLetterWord(host, endpoint.port, 'srvr');
  const mode = answer?.split('\n').find((l) => l.includes('Mode'));
  if (mode === undefined) {
    console.log('Error contacting service. It is probably not running.');
    if (answer?.includes(NOT_SERVING) === true) {
      const voters = config.servers.filter((s) => s.type === 'participant');
      console.log(`Why: the server on ${endpoint.address}:${endpoint.port} is running but not serving: as an ensemble member it has no established leader yet`
        + ` (a leader needs ${Math.floor(voters.length / 2) + 1} of the ${voters.length} voting servers ${voters.map((s) => `server.${s.id}`).join(', ')} up and reachable on their election ports).`);
    }
    if (decision.mode === 'quorum' && decision.problems.length > 0) {
      console.log(`Why: ${decision.reason}, but this server cannot join it, so zk-server refuses to start it (it will not run an ensemble config standalone).`);
      for (const problem of decision.problems) console.log(`Also: ${problem}.`);
    }
    for (const error of decision.errors) console.log(`Also: ${error}.`);
    return EXIT.unexpected;
  }
  console.log(mode.trim());
  if (mode.includes('standalone')) {
    if (decision.mode === 'quorum') {
      console.log(`Why standalone: unexpected - ${decision.reason}, but the server answering on ${endpoint.address}:${endpoint.port} runs standalone; it was started with another configuration.`);
    } else {
      console.log(`Why standalone: ${decision.reason}.`);
      for (const problem of decision.problems) console.log(`Also: ${problem}.`);
      if (decision.fix !== undefined) console.log(`${decision.loud ? 'Fix' : 'To run an ensemble'}: ${decision.fix}.`);
    }
  }
  return EXIT.ok;
}

function printCmd(file: string | undefined): number {
  if (file !== undefined) console.error(`Using config: ${file}`);
  const { config } = loadServerConfig(file, quickStart());
  const quoted = daemonCommand(config).map((a, i) => (i === 2 ? a : `"${a}"`)).join(' ');
  console.log(`${quoted} > "${daemonOutFile(config)}" 2>&1 < /dev/null`);
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const [first] = argv;
  // Loaded only when asked for: the server's start does not pay for compiling the data tools.
  if (first === 'snapshot-dump' || first === 'txnlog-dump' || first === 'purge') return (await import('./data-tools.js')).runDataTool(first, argv.slice(1));
  const { command, file } = parseArgs(argv);
  switch (command) {
    case 'version':
      console.log(`Apache ZooKeeper, version ${FULL_VERSION}`);
      return EXIT.ok;
    case 'start-foreground':
      return startForeground(file);
    case 'start':
      return start(file);
    case 'stop':
      return stop(file);
    case 'restart': {
      await stop(file);
      return start(file);
    }
    case 'status':
      return status(file);
    case 'print-cmd':
      return printCmd(file);
    default:
      console.error(USAGE);
      return EXIT.unexpected;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    if (e instanceof ConfigError) {
      console.error(`Invalid config, exiting abnormally: ${e.message}`);
      process.exit(EXIT.invalidConfig);
    }
    console.error(e);
    process.exit(EXIT.unexpected);
  },
);
