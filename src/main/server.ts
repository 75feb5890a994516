/**
 * Composition root of a server on Node: the member itself (recovery, pipeline, txn log, snapshots,
 * clocks, quorum host) is assembled by member.ts from Node's ports (node:fs, timers, TCP links);
 * this file adds what operators see: client listener, admin commands and metrics, autopurge, and
 * the log lines they grep for.
 */
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hostname, userInfo, type, arch, release, freemem, totalmem, tmpdir, EOL } from 'node:os';
import { AdminContext, type AdminHost, type QuorumInfo } from '../admin/admin-context.js';
import { FourLetterWords } from '../admin/four-letter.js';
import { FULL_VERSION } from '../admin/version.js';
import { jaasServerUsers } from '../auth/sasl-digest-md5.js';
import { configSystemProperties, type ServerConfig } from '../config/server-config.js';
import type { ModeDecision } from '../config/mode.js';
import { limits } from '../config/limits.js';
import { OpCode } from '../proto/op-code.js';
import type { TxnEntry } from '../proto/txn.js';
import { zxidHex } from '../proto/zxid.js';
import { DataTree } from '../tree/data-tree.js';
import { ZkServer } from '../server/zk-server.js';
import { NodeFileSystem } from '../runtime/node-file-system.js';
import { directorySize } from '../runtime/directory-size.js';
import { compactAfterLoading } from '../runtime/heap-compaction.js';
import { listen } from '../runtime/tcp-listener.js';
import { startAdminServer, startMetricsServer, type HttpEndpoint } from '../runtime/admin-http.js';
import { maxFileDescriptorCount, openFileDescriptorCount } from '../runtime/process-stats.js';
import { formatLogLine, type Logger, type LogLevel } from '../runtime/logger.js';
import { recover } from '../storage/recovery.js';
import { listSnapshots } from '../storage/snapshot.js';
import { joinPath, versionDir } from '../storage/file-names.js';
import { purge } from '../storage/purge.js';
import { ProgressBar } from '../cli/data-tools-progress.js';
import { createRestorer } from './restore.js';
import type { QuorumHost } from './quorum-host.js';
import { startMember } from './member.js';
import { formatMembership } from '../config/membership.js';
import { QuorumTransport } from '../runtime/quorum-transport.js';
import { nodeTimers } from '../runtime/node-timers.js';

export type { Logger, LogLevel } from '../runtime/logger.js';

export interface RunningServer {
  readonly port: number;
  readonly server: ZkServer;
  /** The admin server's port, when it runs. */
  readonly adminPort: number | undefined;
  /** The Prometheus endpoint's port, when it runs. */
  readonly metricsPort: number | undefined;
  /** The ensemble machinery, when this server is a quorum member. */
  readonly quorum: QuorumHost | undefined;
  close(): Promise<void>;
}

/** Console logging in the server's log layout (INFO and below to stdout, WARN and up to stderr). */
export const consoleLogger: Logger = (level, message, component = 'main') => {
  const line = formatLogLine(Date.now(), '', level, component, message);
  if (level === 'WARN' || level === 'ERROR') process.stderr.write(line);
  else process.stdout.write(line);
};

export interface StartOptions {
  /** The mode decision, for the start banner. */
  readonly mode?: ModeDecision;
  /** When the admin server cannot bind: fail (ZooKeeper exits with 4) or only warn (the quick start). */
  readonly adminServerRequired?: boolean;
}

/** Thrown when the admin server cannot start; ZooKeeper exits with code 4 then. */
export class AdminServerError extends Error {
  override name = 'AdminServerError';
}

/** Connection-close reasons that are refusals or protocol errors an operator should see. */
function closeLevel(message: string): LogLevel {
  if (message.endsWith('four-letter word answered')) return 'DEBUG';
  if (/session closed by client|session expired|session moved/.test(message)) return 'INFO';
  return 'WARN';
}

/** Starts a standalone server; resolves once it accepts clients. */
export async function startServer(config: ServerConfig, log: Logger = consoleLogger, options: StartOptions = {}): Promise<RunningServer> {
  const fs = new NodeFileSystem();
  const snapDir = versionDir(config.dataDir);
  const logDir = versionDir(config.dataLogDir);
  for (const warning of config.warnings) log('WARN', warning, 'config');
  announceMode(options.mode, log);

  const saslUsers = config.saslEnabled ? readSaslUsers(config, log) : undefined;
  // node:crypto only for SASL's nonces: a server without SASL does not load it (start-up time).
  const randomBytes = saslUsers === undefined ? undefined : (await import('node:crypto')).randomBytes;
  let lastSyncCount = 0;
  let sessionEvents: SessionEventLog | undefined;
  let lastSnapshot = await newestSnapshotInfo(fs, config.dataDir);
  const member = await startMember(config, options.mode?.mode === 'quorum', {
    fs,
    timers: nodeTimers,
    random: () => Math.random(),
    yieldNow: () => new Promise((resolve) => setImmediate(resolve)),
    peerLinks: (plan, handlers) => new QuorumTransport({ ...handlers, self: plan.self, listen: plan.listen, peers: plan.peers, log: (message) => log('WARN', message, 'quorum') }),
    log,
  }, {
    recover: async (f, c, tree) => {
      const recovered = await recoverWithProgress(f, c, tree);
      const compaction = compactAfterLoading(tree.nodeCount + recovered.txnsReplayed);
      if (compaction !== undefined) {
        const mib = (bytes: number) => Math.round(bytes / 1048576);
        log('INFO', `collected the garbage of recovery in ${Math.round(compaction.tookMs)} ms: memory in use ${mib(compaction.usedBeforeBytes)} -> ${mib(compaction.usedAfterBytes)} MiB`, 'recovery');
      }
      return recovered;
    },
    serverExtras: {
      ...(saslUsers === undefined ? {} : { saslUsers, saslNonce: () => randomBytes!(18).toString('base64') }),
      ...(config.saslSuperUser === undefined ? {} : { saslSuperUser: config.saslSuperUser }),
    },
    onAppend: (entry) => sessionEvents?.onAppend(entry),
    onDurable: (zxid, txnLog) => {
      const s = txnLog.stats;
      if (s.syncCount !== lastSyncCount) {
        lastSyncCount = s.syncCount;
        member.server.stats.fsyncTime.add(Math.round(s.syncDurationMsLast));
        member.server.stats.syncBatchSize.add(s.batchTxnsLast);
        if (s.syncDurationMsLast > config.fsyncWarningThresholdMs) {
          member.server.stats.fsyncThresholdExceedCount++;
          log('WARN', `fsync-ing the write ahead log took ${Math.round(s.syncDurationMsLast)}ms which will adversely effect operation latency. `
            + `File size is ${s.currentFileBytes} bytes. See the ZooKeeper troubleshooting guide (fsync.warningthresholdms=${config.fsyncWarningThresholdMs})`, 'txnlog');
        }
      }
      sessionEvents?.onDurable(zxid);
    },
    onLogFailure: (error) => {
      // A log that cannot be written must not acknowledge anything more: stop serving.
      log('ERROR', `txn log failure, shutting down: ${error.message}`, 'txnlog');
      void shutdown().then(() => process.exit(2));
    },
    duringTick: (run) => (sessionEvents === undefined ? run() : sessionEvents.duringTick(run)),
    // ZooKeeper keeps the membership of the last reconfig in zoo.cfg.dynamic.<version> beside zoo.cfg.
    onMembership: (membership, text) => writeFile(join(config.file === undefined ? config.dataDir : dirname(config.file), `zoo.cfg.dynamic.${membership.version.toString(16)}`), `${text}\n`),
    onSnapshot: (written, tookMs) => {
      member.server.stats.snapshotTime.add(tookMs);
      lastSnapshot = { zxid: written.zxid, timestampSec: Math.floor(Date.now() / 1000) };
      log('INFO', `Snapshot taken in ${tookMs} ms: ${written.path} (${written.nodes} znodes, ${written.bytes} bytes)`, 'snapshot');
    },
  });
  const { server, snapshots, quorum, recovered, recoveryMs } = member;
  const tree = server.tree;
  for (const skipped of recovered.skippedSnapshots) log('WARN', `skipped snapshot ${skipped.file}: ${skipped.reason}`, 'recovery');
  if (recovered.truncated !== undefined) {
    log('WARN', `truncated torn txn log tail: ${recovered.truncated.file} at ${recovered.truncated.atOffset} (${recovered.truncated.bytesDropped} bytes)`, 'recovery');
  }
  log('INFO', `recovered ${tree.nodeCount} znodes, ${recovered.sessions.size} sessions, last zxid ${zxidHex(recovered.lastZxid)} in ${recoveryMs} ms`
    + ` (snapshot ${recovered.snapshotZxid === undefined ? 'none' : zxidHex(recovered.snapshotZxid)}, ${recovered.txnsReplayed} txns replayed)`, 'recovery');
  const stats = server.stats;
  stats.dbInitTime.add(recoveryMs);
  stats.startupTxnsLoaded.add(recovered.txnsReplayed);
  log('INFO', `minSessionTimeout set to ${config.minSessionTimeoutMs} ms, maxSessionTimeout set to ${config.maxSessionTimeoutMs} ms`);
  // ---- session events, seen as their txns pass through the log ----
  sessionEvents = new SessionEventLog(server, log);

  // ---- admin surfaces ----
  let servingSinceMs = Date.now();
  const host: AdminHost = {
    environment: () => environment(),
    systemProperties: () => systemProperties(config),
    dataDirSize: () => directorySize(snapDir),
    logDirSize: () => directorySize(logDir),
    openFileDescriptorCount,
    maxFileDescriptorCount,
    nowMs: () => Date.now(),
    uptimeMs: () => Date.now() - servingSinceMs,
    lastSnapshot: () => lastSnapshot,
    takeSnapshot: async () => {
      const written = await snapshots.takeNow();
      return { path: written.path, zxid: written.zxid, bytes: written.bytes };
    },
    restore: createRestorer({ server, takeSnapshot: () => snapshots.takeNow(), nowMs: () => Date.now(), log }),
  };
  const ctx = quorum === undefined ? new AdminContext(server, config, host, options.mode) : new QuorumAdminContext(server, config, host, options.mode, quorum);
  const four = new FourLetterWords(ctx);
  const listener = await listen(server, {
    host: config.clientPortAddress,
    port: config.clientPort,
    maxClientCnxns: config.maxClientCnxns,
    maxCnxns: config.maxCnxns,
    backlog: config.clientPortListenBacklog,
    keepAlive: config.clientTcpKeepAlive,
    maxFrameBytes: config.juteMaxBuffer + limits.juteMaxBufferExtra,
    fourLetter: (word, extra) => four.answer(word, extra),
    log: (message) => log(closeLevel(message), message, 'cnxn'),
    onAccepted: () => stats.counters.connection_request_count++,
    onRefused: (reason) => {
      stats.counters.connection_rejected++;
      log('WARN', `Connection refused: ${reason}`, 'cnxn');
    },
    onBytesReceived: (bytes) => {
      stats.counters.bytes_received_count += bytes;
    },
  });
  ctx.boundClientPort = listener.port;
  const endpoints: HttpEndpoint[] = [];
  const closeEndpoints = async (): Promise<void> => {
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
  };
  let adminPort: number | undefined;
  let metricsPort: number | undefined;
  try {
    if (config.admin.enabled) {
      try {
        const admin = await startAdminServer(ctx, { address: config.admin.address, port: config.admin.port, commandUrl: config.admin.commandUrl, idleTimeoutMs: config.admin.idleTimeoutMs, log });
        endpoints.push(admin);
        adminPort = admin.port;
      } catch (e) {
        const message = `Problem starting AdminServer on address ${config.admin.address}, port ${config.admin.port} and command URL ${config.admin.commandUrl}: ${(e as Error).message}`
          + ' (set admin.serverPort to a free port, or admin.enableServer=false)';
        if (options.adminServerRequired !== false) throw new AdminServerError(message);
        log('WARN', message, 'admin');
      }
    }
    if (config.prometheus !== undefined) {
      const metrics = await startMetricsServer(ctx, { ...config.prometheus, startedAtMs: Date.now(), log }).catch((e: Error) => {
        throw new Error(`Cannot start /metrics server on ${config.prometheus!.host}:${config.prometheus!.port}: ${e.message} (set metricsProvider.httpPort to a free port)`);
      });
      endpoints.push(metrics);
      metricsPort = metrics.port;
    }
  } catch (e) {
    await closeEndpoints();
    await listener.close();
    await member.close().catch(() => undefined);
    throw e;
  }

  const autopurge = startAutopurge(config, fs, log);
  servingSinceMs = Date.now();
  if (quorum === undefined) log('INFO', `tszk ${FULL_VERSION} serving standalone on ${config.clientPortAddress}:${listener.port}, data in ${config.dataDir}`);
  else log('INFO', `tszk ${FULL_VERSION} ensemble member ${config.myid} serving on ${config.clientPortAddress}:${listener.port} once a leader is established, data in ${config.dataDir}`);

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    closing ??= (async () => {
      autopurge.stop();
      await closeEndpoints();
      await listener.close();
      await member.close();
      await autopurge.idle();
      log('INFO', 'shut down');
    })();
    return closing;
  }
  return { port: listener.port, server, adminPort, metricsPort, quorum, close: shutdown };
}

/** The admin surfaces of an ensemble member: `Mode:` is its role. */
class QuorumAdminContext extends AdminContext {
  constructor(server: ZkServer, config: ServerConfig, host: AdminHost, mode: ModeDecision | undefined, private readonly quorum: QuorumHost) {
    super(server, config, host, mode);
  }

  override get serverState(): string {
    return this.server.readOnly ? 'read-only' : this.quorum.state;
  }

  override get reportedServerId(): bigint {
    return this.config.myid ?? 0n;
  }

  override quorumInfo(): QuorumInfo {
    const q = this.quorum;
    const leaderId = q.leaderId;
    const leader = leaderId === undefined ? undefined : q.membership.servers.find((s) => s.id === leaderId);
    const myid = this.config.myid ?? 0n;
    const self = q.membership.servers.find((s) => s.id === myid);
    return {
      myid, isLeader: q.state === 'leader', leaderId: leaderId ?? -1n, leaderHost: leader?.host ?? '',
      servers: q.membership.servers.map((s) => ({
        id: s.id, type: s.type,
        quorumAddresses: s.addresses.map((a) => `${a.host}:${a.quorumPort}`),
        electionAddresses: s.addresses.map((a) => `${a.host}:${a.electionPort}`),
        clientAddress: s.clientPort === undefined ? '' : `${s.clientAddress ?? '0.0.0.0'}:${s.clientPort}`,
      })),
      voting: self?.type === 'participant',
      zabState: q.zabState,
      syncedObservers: q.learners().observers,
      membershipText: formatMembership(q.membership),
    };
  }

  override quorumMonitorValues(): Array<[string, string | number]> {
    const q = this.quorum;
    const state = q.state;
    const detailed = state === 'looking' ? `looking - ${q.role === 'LOOKING' ? 'election' : 'synchronization'}` : `${q.role.toLowerCase()} - broadcast`;
    const voters = q.membership.servers.filter((s) => s.type === 'participant').length;
    const out: Array<[string, string | number]> = [['peer_state', detailed], ['quorum_size', voters]];
    if (state === 'leader') {
      const learners = q.learners();
      out.push(
        ['learners', learners.followers.length + learners.observers.length],
        ['synced_followers', learners.followers.length],
        ['synced_non_voting_followers', 0],
        ['synced_observers', learners.observers.length],
        ['pending_syncs', 0],
        ['leader_uptime', Date.now() - q.electedAtMs],
      );
    }
    return out;
  }
}

/** The start banner: which mode, and why, loudly when the config mentions other servers. */
function announceMode(mode: ModeDecision | undefined, log: Logger): void {
  if (mode === undefined) return;
  if (mode.mode === 'quorum') {
    log('INFO', `Running as an ensemble member: ${mode.reason}`, 'mode');
    return;
  }
  if (!mode.loud) {
    log('INFO', `Running standalone: ${mode.reason}`, 'mode');
    return;
  }
  log('WARN', '*** RUNNING STANDALONE although the configuration names other servers ***', 'mode');
  log('WARN', `Why: ${mode.reason}`, 'mode');
  for (const problem of mode.problems) log('WARN', `Also: ${problem}`, 'mode');
  if (mode.fix !== undefined) log('WARN', `Fix: ${mode.fix}`, 'mode');
}

/**
 * Logs session lifecycles as ZooKeeper does ("Established session", "Expiring session",
 * session closed), from the createSession/closeSession txns that pass through the log: a
 * closeSession appended while the server's tick runs is an expiry, any other one a client's
 * request. Established and closed are logged once durable (that is when they happened).
 */
class SessionEventLog {
  private inTick = false;
  private readonly pending: Array<{ zxid: bigint; kind: 'create' | 'close'; sessionId: bigint; timeoutMs: number; client: string; expired: boolean }> = [];

  constructor(private readonly server: ZkServer, private readonly log: Logger) {}

  duringTick(run: () => void): void {
    this.inTick = true;
    try {
      run();
    } finally {
      this.inTick = false;
    }
  }

  onAppend(entry: TxnEntry): void {
    const type = entry.body.type;
    if (type !== OpCode.createSession && type !== OpCode.closeSession) return;
    const sessionId = entry.header.clientId;
    const id = `0x${BigInt.asUintN(64, sessionId).toString(16)}`;
    if (type === OpCode.closeSession && this.inTick) {
      const timeoutMs = this.server.sessions.get(sessionId)?.timeoutMs ?? 0;
      this.server.stats.counters.stale_sessions_expired++;
      this.log('INFO', `Expiring session ${id}, timeout of ${timeoutMs}ms exceeded`, 'session');
    }
    if (this.pending.length >= limits.uncommittedTxnsMax) this.pending.shift();
    this.pending.push({
      zxid: entry.header.zxid, kind: type === OpCode.createSession ? 'create' : 'close', sessionId,
      timeoutMs: entry.body.type === OpCode.createSession ? entry.body.timeOut : 0,
      client: type === OpCode.closeSession ? this.clientOf(sessionId) : '', expired: this.inTick,
    });
  }

  onDurable(zxid: bigint): void {
    // Sessions established by the txns just applied are not in an address map built earlier.
    if (this.pending.length > 0 && this.pending[0]!.zxid <= zxid) this.addresses = undefined;
    while (this.pending.length > 0 && this.pending[0]!.zxid <= zxid) {
      const event = this.pending.shift()!;
      const id = `0x${BigInt.asUintN(64, event.sessionId).toString(16)}`;
      if (event.kind === 'create') {
        const client = this.clientOf(event.sessionId);
        this.log('INFO', `Established session ${id} with negotiated timeout ${event.timeoutMs} for client ${client === '' ? '(gone before its session was created)' : client}`, 'session');
      } else {
        this.log('INFO', event.expired ? `Processed session termination for sessionid: ${id} (expired)` : `Session ${id} closed by client ${event.client === '' ? '(disconnected)' : event.client}`, 'session');
      }
    }
  }

  /** Session -> client address, built at most once per event-loop turn (a scan of all connections). */
  private addresses: Map<bigint, string> | undefined;

  private clientOf(sessionId: bigint): string {
    if (this.addresses === undefined) {
      const addresses = new Map<bigint, string>();
      for (const c of this.server.connectionInfos()) addresses.set(c.sessionId, `/${c.link.remoteAddress}:${c.link.remotePort}`);
      this.addresses = addresses;
      setImmediate(() => {
        this.addresses = undefined;
      });
    }
    return this.addresses.get(sessionId) ?? '';
  }
}

/** The newest snapshot on disk, for the admin `last_snapshot` command. */
async function newestSnapshotInfo(fs: NodeFileSystem, dataDir: string): Promise<{ zxid: bigint; timestampSec: number } | undefined> {
  const newest = (await listSnapshots(fs, dataDir)).find((s) => s.suffix === '');
  if (newest === undefined) return undefined;
  try {
    return { zxid: newest.zxid, timestampSec: Math.floor(statSync(joinPath(versionDir(dataDir), newest.name)).mtimeMs / 1000) };
  } catch {
    return undefined;
  }
}

/** setTimeout's largest delay; longer waits are chained. */
const TIMER_DELAY_MAX_MS = 2 ** 31 - 1;

/**
 * Autopurge (DatadirCleanupManager): when autopurge.purgeInterval > 0, purge right away and then
 * every purgeInterval hours, keeping autopurge.snapRetainCount snapshots and the logs they need.
 */
function startAutopurge(config: ServerConfig, fs: NodeFileSystem, log: Logger): { stop(): void; idle(): Promise<void> } {
  const { snapRetainCount, purgeIntervalHours } = config.autopurge;
  log('INFO', `autopurge.snapRetainCount set to ${snapRetainCount}`, 'purge');
  log('INFO', `autopurge.purgeInterval set to ${purgeIntervalHours}`, 'purge');
  if (purgeIntervalHours <= 0) {
    log('INFO', 'Purge task is not scheduled.', 'purge');
    return { stop: () => undefined, idle: () => Promise.resolve() };
  }
  const intervalMs = purgeIntervalHours * 3_600_000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const run = (): void => {
    running = (async () => {
      log('INFO', 'Purge task started.', 'purge');
      try {
        const result = await purge(fs, { dataDir: config.dataDir, dataLogDir: config.dataLogDir }, snapRetainCount);
        for (const path of result.removed) log('INFO', `Removing file: ${path}`, 'purge');
        log('INFO', `Purge task completed: ${result.removed.length} files removed, ${result.retainedSnapshots.length} snapshots kept.`, 'purge');
      } catch (e) {
        log('ERROR', `Purge task failed: ${(e as Error).message}`, 'purge');
      }
    })();
  };
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    const wait = Math.min(delayMs, TIMER_DELAY_MAX_MS);
    timer = setTimeout(() => {
      if (delayMs > wait) return schedule(delayMs - wait);
      run();
      schedule(intervalMs);
    }, wait);
    timer.unref();
  };
  run();
  schedule(intervalMs);
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
    idle: () => running,
  };
}

/** `envi`: ZooKeeper's Environment.list, with Node's answers where ZooKeeper has the JVM's. */
function environment(): Array<[string, string]> {
  const user = userInfo();
  const memory = process.memoryUsage();
  return [
    ['zookeeper.version', FULL_VERSION],
    ['host.name', hostname()],
    ['java.version', process.version],
    ['java.vendor', 'Node.js'],
    ['java.home', process.execPath],
    ['java.class.path', process.argv[1] ?? ''],
    ['java.library.path', ''],
    ['java.io.tmpdir', tmpdir()],
    ['java.compiler', '<NA>'],
    ['os.name', type()],
    ['os.arch', arch()],
    ['os.version', release()],
    ['user.name', user.username],
    ['user.home', user.homedir],
    ['user.dir', process.cwd()],
    ['os.memory.free', `${Math.floor((memory.heapTotal - memory.heapUsed) / 1048576)}MB`],
    ['os.memory.max', `${Math.floor(totalmem() / 1048576)}MB`],
    ['os.memory.total', `${Math.floor(memory.rss / 1048576)}MB`],
  ];
}

/** `system_properties`: what a JVM would list, from Node, plus the zookeeper.* keys of zoo.cfg; sorted. */
function systemProperties(config: ServerConfig): Array<[string, string]> {
  const user = userInfo();
  const props: Array<[string, string]> = [
    ['file.encoding', 'UTF-8'], ['file.separator', '/'], ['java.class.path', process.argv[1] ?? ''],
    ['java.home', process.execPath], ['java.io.tmpdir', tmpdir()], ['java.vendor', 'Node.js'], ['java.version', process.version],
    ['line.separator', EOL], ['os.arch', arch()], ['os.name', type()], ['os.version', release()], ['path.separator', ':'],
    ['user.dir', process.cwd()], ['user.home', user.homedir], ['user.name', user.username],
    ['os.memory.free.system', `${Math.floor(freemem() / 1048576)}MB`],
    ...configSystemProperties(config),
  ];
  return props.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The SASL DIGEST-MD5 users of the JAAS file's Server section (DigestLoginModule's user_<name>). */
function readSaslUsers(config: ServerConfig, log: Logger): Map<string, string> {
  if (config.jaasLoginConfig === undefined) {
    log('WARN', 'SASL is enabled (authProvider) but no JAAS file is configured (jaasLoginConfig): no SASL user can log in');
    return new Map();
  }
  try {
    const users = jaasServerUsers(readFileSync(config.jaasLoginConfig, 'utf8'));
    log('INFO', `SASL DIGEST-MD5 enabled with ${users.size} users from ${config.jaasLoginConfig}`);
    return users;
  } catch (e) {
    log('ERROR', `cannot read the JAAS file ${config.jaasLoginConfig}: ${(e as Error).message}; no SASL user can log in`);
    return new Map();
  }
}

/**
 * Recovery with progress bars on a terminal (a migrated ZooKeeper dataDir can hold millions of
 * znodes): one bar for the snapshot's nodes, a count for the replayed txns. Nothing is drawn
 * when stderr is not a terminal.
 */
async function recoverWithProgress(fs: NodeFileSystem, config: ServerConfig, tree: DataTree): ReturnType<typeof recover> {
  const terminal = { isTTY: process.stderr.isTTY === true, columns: process.stderr.columns, write: (text: string) => void process.stderr.write(text) };
  const bars = {
    snapshot: new ProgressBar(terminal, 'loading snapshot', 0, { nowMs: () => Date.now() }),
    log: new ProgressBar(terminal, 'replaying txns', 0, { nowMs: () => Date.now() }),
  };
  try {
    return await recover(fs, { dataDir: config.dataDir, dataLogDir: config.dataLogDir }, tree, (phase, done, total) => {
      if (phase === 'log') bars.snapshot.finish();
      bars[phase].setTotal(total);
      bars[phase].update(done);
    });
  } finally {
    bars.snapshot.finish();
    bars.log.finish();
  }
}
