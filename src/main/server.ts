/**
 * Composition root of a standalone server: recover the tree from disk, wire the pipeline to the
 * txn log, listen for clients, run the clocks (session expiry, containers, snapshots).
 */
import { hostname, userInfo, type, arch, release, freemem, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FourLetterWords, FULL_VERSION } from '../admin/four-letter.js';
import type { ServerConfig } from '../config/server-config.js';
import { limits } from '../config/limits.js';
import { DataTree } from '../tree/data-tree.js';
import { ZkServer } from '../server/zk-server.js';
import { NodeFileSystem } from '../runtime/node-file-system.js';
import { directorySize } from '../runtime/directory-size.js';
import { listen } from '../runtime/tcp-listener.js';
import { recover } from '../storage/recovery.js';
import { TxnLog } from '../storage/txn-log.js';
import { writeSnapshot } from '../storage/snapshot.js';

export interface RunningServer {
  readonly port: number;
  readonly server: ZkServer;
  close(): Promise<void>;
}

export type Logger = (level: 'INFO' | 'WARN' | 'ERROR', message: string) => void;

export const consoleLogger: Logger = (level, message) => {
  const line = `${new Date().toISOString()} [${level}] ${message}`;
  if (level === 'INFO') console.log(line);
  else console.error(line);
};

/** Starts a standalone server; resolves once it accepts clients. */
export async function startServer(config: ServerConfig, log: Logger = consoleLogger): Promise<RunningServer> {
  const fs = new NodeFileSystem();
  const snapDir = join(config.dataDir, 'version-2');
  const logDir = join(config.dataLogDir, 'version-2');
  await fs.mkdirp(snapDir);
  await fs.mkdirp(logDir);
  for (const key of config.unknownKeys) log('WARN', `unknown configuration key ${key} ignored`);

  const startedMs = Date.now();
  const tree = new DataTree();
  const recovered = await recover(fs, { dataDir: config.dataDir, dataLogDir: config.dataLogDir }, tree);
  if (recovered.truncated !== undefined) {
    log('WARN', `truncated torn txn log tail: ${recovered.truncated.file} at ${recovered.truncated.atOffset} (${recovered.truncated.bytesDropped} bytes)`);
  }
  log('INFO', `recovered ${tree.nodeCount} znodes, ${recovered.sessions.size} sessions, last zxid 0x${recovered.lastZxid.toString(16)} in ${Date.now() - startedMs} ms`);

  const server = new ZkServer(tree, {
    tickTimeMs: config.tickTimeMs,
    minSessionTimeoutMs: config.minSessionTimeoutMs,
    maxSessionTimeoutMs: config.maxSessionTimeoutMs,
    serverId: config.serverId,
    superDigest: config.superDigest,
    extendedTypesEnabled: config.extendedTypesEnabled,
    skipAcl: config.skipAcl,
    reconfigEnabled: config.reconfigEnabled,
    maxRequestBytes: config.juteMaxBuffer + limits.juteMaxBufferExtra,
  }, { nowMs: () => Date.now() });
  server.restoreSessions(recovered.sessions);

  let fatal: Error | undefined;
  const txnLog = await TxnLog.open(fs, config.dataLogDir, {
    nowMs: () => Date.now(),
    onDurable: (zxid) => server.onDurable(zxid),
    onError: (error) => {
      // A log that cannot be written must not acknowledge anything more: stop serving.
      fatal = error;
      log('ERROR', `txn log failure, shutting down: ${error.message}`);
      void shutdown().then(() => process.exit(2));
    },
  });

  const snapshots = new SnapshotScheduler(config.snapCount, () => {
    txnLog.roll();
    const view = tree.beginSnapshot();
    const sessions = [...server.sessions.all()].map((s) => ({ id: s.id, timeoutMs: s.timeoutMs }));
    const started = Date.now();
    return writeSnapshot(fs, config.dataDir, view, sessions, { yieldEvery: limits.snapshotNodesPerSlice, yieldFn: () => new Promise((r) => setImmediate(r)) })
      .then((written) => log('INFO', `snapshot ${written.path} (${written.nodes} znodes) written in ${Date.now() - started} ms`))
      .catch((e: Error) => log('ERROR', `snapshot failed: ${e.message}`));
  });
  server.attachLog({
    append: (entry) => {
      txnLog.append(entry);
      snapshots.onTxn();
    },
  });

  const four = new FourLetterWords(server, config, {
    environment: () => environment(config),
    dataDirSize: () => directorySize(snapDir),
    logDirSize: () => directorySize(logDir),
  });
  const listener = await listen(server, {
    host: config.clientPortAddress,
    port: config.clientPort,
    maxClientCnxns: config.maxClientCnxns,
    maxFrameBytes: config.juteMaxBuffer + limits.juteMaxBufferExtra,
    fourLetter: (word) => four.answer(word),
    log: (message) => log('INFO', message),
  });
  const tick = setInterval(() => server.tick(), Math.max(1, Math.floor(config.tickTimeMs / 2)));
  const containers = setInterval(() => server.checkContainers(), config.containerCheckIntervalMs);
  log('INFO', `tszk ${FULL_VERSION} serving standalone on ${config.clientPortAddress}:${listener.port}, data in ${config.dataDir}`);

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    closing ??= (async () => {
      clearInterval(tick);
      clearInterval(containers);
      await listener.close();
      if (fatal === undefined) await txnLog.close();
      await snapshots.idle();
    })();
    return closing;
  }
  return { port: listener.port, server, close: shutdown };
}

/** Snapshots every snapCount/2 + random(snapCount/2) txns, one at a time (ZooKeeper's SyncRequestProcessor). */
class SnapshotScheduler {
  private count = 0;
  private threshold: number;
  private running: Promise<void> | undefined;

  constructor(
    private readonly snapCount: number,
    private readonly take: () => Promise<void>,
  ) {
    this.threshold = this.nextThreshold();
  }

  private nextThreshold(): number {
    const half = Math.max(1, Math.floor(this.snapCount / 2));
    return half + Math.floor(Math.random() * half);
  }

  onTxn(): void {
    if (++this.count < this.threshold || this.running !== undefined) return;
    this.count = 0;
    this.threshold = this.nextThreshold();
    this.running = this.take().finally(() => {
      this.running = undefined;
    });
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}

function environment(config: ServerConfig): Array<[string, string]> {
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
    ['user.name', userInfo().username],
    ['user.home', userInfo().homedir],
    ['user.dir', process.cwd()],
    ['os.memory.free', `${Math.floor(freemem() / 1048576)}MB`],
    ['os.memory.max', `${Math.floor(totalmem() / 1048576)}MB`],
    ['os.memory.total', `${Math.floor(process.memoryUsage().rss / 1048576)}MB`],
    ['tszk.dataDir', config.dataDir],
  ];
}
