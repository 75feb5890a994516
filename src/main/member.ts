/**
 * One server assembled from its ports, with no IO of its own: recover the tree from the
 * FileSystem, build the client pipeline (ZkServer) on it, open the group-committed txn log,
 * schedule snapshots, run the session and container clocks, and, in an ensemble, start the
 * quorum host as the pipeline's commit stage. Production (server.ts: node:fs, Node timers, TCP
 * links) and the simulator (test/sim: a simulated disk, clock and network) both call
 * `startMember`, so the simulator exercises the production wiring.
 *
 * Not here: client listeners, admin surfaces, logging of session lifecycles, autopurge — what
 * only an operator sees.
 */
import { limits } from '../config/limits.js';
import type { ServerConfig } from '../config/server-config.js';
import { formatMembership, parseMembershipText, type Membership } from '../config/membership.js';
import type { FileSystem } from '../ports/file-system.js';
import type { PeerLinkHandlers, PeerLinks } from '../ports/peer-links.js';
import type { TimerHandle, TimerPort } from '../ports/timers.js';
import { CONFIG_NODE } from '../proto/defs.js';
import type { TxnEntry } from '../proto/txn.js';
import { DataTree } from '../tree/data-tree.js';
import { ZkServer, type ServerOptions } from '../server/zk-server.js';
import { recover, type RecoveryResult } from '../storage/recovery.js';
import { TxnLog } from '../storage/txn-log.js';
import { writeSnapshot } from '../storage/snapshot.js';
import { joinPath, versionDir } from '../storage/file-names.js';
import { zxidHex } from '../proto/zxid.js';
import type { Envelope } from '../zab/peer.js';
import type { Logger } from '../runtime/logger.js';
import { QuorumHost } from './quorum-host.js';
import { quorumPlan, staticMembership, type QuorumPlan } from './quorum-plan.js';
import { SnapshotScheduler } from './snapshot-scheduler.js';

/** The effects a member runs on. */
export interface MemberPorts {
  readonly fs: FileSystem;
  readonly timers: TimerPort;
  /** Uniform in [0, 1): snapshot scheduling jitter. */
  readonly random: () => number;
  /** Lets a long snapshot write give the event loop a turn. */
  readonly yieldNow: () => Promise<void>;
  /** Opens the links to the other members of `plan` (ensemble members only). */
  readonly peerLinks: (plan: QuorumPlan, handlers: PeerLinkHandlers<Envelope>) => PeerLinks<Envelope>;
  readonly log: Logger;
}

/** Hooks for what production adds around the pipeline (logging, metrics). */
export interface MemberHooks {
  /** Recovery, when the caller shows progress; defaults to storage's `recover`. */
  readonly recover?: (fs: FileSystem, config: ServerConfig, tree: DataTree) => Promise<RecoveryResult>;
  /** The ZkServer options the config does not give (SASL users and nonces). */
  readonly serverExtras?: Partial<Pick<ServerOptions, 'saslUsers' | 'saslSuperUser' | 'saslNonce'>>;
  /** A standalone server's txn about to be logged. */
  readonly onAppend?: (entry: TxnEntry) => void;
  /** The log made everything up to `zxid` durable (after the pipeline heard of it). */
  readonly onDurable?: (zxid: bigint, txnLog: TxnLog) => void;
  /** The log failed; the member no longer acknowledges anything. */
  readonly onLogFailure?: (error: Error) => void;
  /** Wraps each session tick (to tell expiries from client closes). */
  readonly duringTick?: (run: () => void) => void;
  /** A committed membership, to write where operators look for it. */
  readonly onMembership?: (membership: Membership, text: string) => Promise<void>;
  /** A snapshot was written (path, zxid, nodes, bytes) and how long it took. */
  readonly onSnapshot?: (written: { path: string; zxid: bigint; nodes: number; bytes: number }, tookMs: number) => void;
  /** An ensemble member applied a committed txn while serving (the simulator's history checks). */
  readonly onApplied?: (entry: TxnEntry) => void;
  /** Replaces the quorum plan zoo.cfg gives (the simulator's addresses and timing). */
  readonly plan?: (config: ServerConfig, membership: Membership) => QuorumPlan;
}

/** A running member. */
export interface Member {
  readonly server: ZkServer;
  readonly txnLog: TxnLog;
  readonly snapshots: SnapshotScheduler;
  /** The ensemble machinery, when this member is in one. */
  readonly quorum: QuorumHost | undefined;
  readonly recovered: RecoveryResult;
  readonly recoveryMs: number;
  /** Stops the clocks, leaves the ensemble and closes the log (unless it failed). */
  close(): Promise<void>;
}

/** Recovers and starts one server; in an ensemble (`quorum`), it serves once a leader is established. */
export async function startMember(config: ServerConfig, quorum: boolean, ports: MemberPorts, hooks: MemberHooks = {}): Promise<Member> {
  const { fs, timers, log } = ports;
  await fs.mkdirp(versionDir(config.dataDir));
  await fs.mkdirp(versionDir(config.dataLogDir));

  const recoveryStartedMs = timers.nowMs();
  // An ensemble member's /zookeeper/config holds the membership (QuorumPeer sets it on the tree).
  const configNode = quorum ? Buffer.from(formatMembership(staticMembership(config)), 'utf8') : undefined;
  const tree = new DataTree(configNode);
  const recoverInto = hooks.recover ?? ((f: FileSystem, c: ServerConfig, t: DataTree) => recover(f, { dataDir: c.dataDir, dataLogDir: c.dataLogDir }, t));
  const recovered = await recoverInto(fs, config, tree);
  const recoveryMs = timers.nowMs() - recoveryStartedMs;

  const server = new ZkServer(tree, {
    tickTimeMs: config.tickTimeMs,
    minSessionTimeoutMs: config.minSessionTimeoutMs,
    maxSessionTimeoutMs: config.maxSessionTimeoutMs,
    // Session ids carry the server id in their top byte, so members never hand out the same one.
    serverId: quorum ? (config.myid ?? config.serverId) : config.serverId,
    superDigest: config.superDigest,
    extendedTypesEnabled: config.extendedTypesEnabled,
    skipAcl: config.skipAcl,
    enforceQuota: config.enforceQuota,
    reconfigEnabled: config.reconfigEnabled,
    maxRequestBytes: config.juteMaxBuffer + limits.juteMaxBufferExtra,
    ...hooks.serverExtras,
  }, { nowMs: () => timers.nowMs() });
  server.restoreSessions(recovered.sessions);

  let failed: Error | undefined;
  let host: QuorumHost | undefined;
  const txnLog = await TxnLog.open(fs, config.dataLogDir, {
    nowMs: () => timers.monotonicMs(),
    forceSync: config.forceSync,
    onDurable: (zxid) => {
      if (host !== undefined) host.onDurable(zxid);
      else server.onDurable(zxid);
      hooks.onDurable?.(zxid, txnLog);
    },
    onError: (error) => {
      // A log that cannot be written must not acknowledge anything more.
      failed = error;
      hooks.onLogFailure?.(error);
    },
  });

  const snapDir = versionDir(config.dataDir);
  const snapshots = new SnapshotScheduler(ports.random, config.snapCount, config.snapSizeLimitBytes, () => txnLog.stats.bytesWritten, () => {
    txnLog.roll();
    const view = server.tree.beginSnapshot();
    const sessions = [...server.sessions.all()].map((s) => ({ id: s.id, timeoutMs: s.timeoutMs }));
    const startedMs = timers.nowMs();
    log('INFO', `Snapshotting: ${zxidHex(view.zxid)} to ${joinPath(snapDir, `snapshot.${view.zxid.toString(16)}`)}`, 'snapshot');
    return writeSnapshot(fs, config.dataDir, view, sessions, { yieldEvery: limits.snapshotNodesPerSlice, yieldFn: ports.yieldNow })
      .then((written) => {
        hooks.onSnapshot?.(written, timers.nowMs() - startedMs);
        return written;
      })
      .catch((e: Error) => {
        log('ERROR', `snapshot failed: ${e.message}`, 'snapshot');
        throw e;
      });
  });
  const rollIfBig = (): void => {
    if (config.txnLogSizeLimitBytes > 0 && txnLog.stats.currentFileBytes > config.txnLogSizeLimitBytes) txnLog.roll();
  };

  if (!quorum) {
    server.attachLog({
      append: (entry) => {
        hooks.onAppend?.(entry);
        txnLog.append(entry);
        rollIfBig();
        snapshots.onTxn();
      },
    });
  } else {
    const plan = (hooks.plan ?? quorumPlan)(config, membershipInEffect(tree, config, timers, log));
    server.stopServing('this server has not joined its ensemble yet');
    host = await QuorumHost.start({
      ...plan,
      fs, timers, dataDir: config.dataDir, dataLogDir: config.dataLogDir, server, txnLog,
      links: (handlers) => ports.peerLinks(plan, handlers),
      snapshotZxid: recovered.snapshotZxid,
      reload: async () => {
        const fresh = new DataTree(configNode);
        const again = await recover(fs, { dataDir: config.dataDir, dataLogDir: config.dataLogDir }, fresh);
        return { tree: fresh, sessions: again.sessions };
      },
      snapshotNow: () => snapshots.takeNow(),
      ...(hooks.onMembership === undefined ? {} : { onMembership: hooks.onMembership }),
      // QuorumPeer: a grace period of max(2 s, tickTime) before deciding it is partitioned.
      ...(config.readOnlyModeEnabled ? { readOnlyAfterMs: Math.max(2000, config.tickTimeMs) } : {}),
      onApplied: (entry) => {
        rollIfBig();
        snapshots.onTxn();
        hooks.onApplied?.(entry);
      },
      log,
    });
  }

  const clocks: TimerHandle[] = [
    timers.setInterval(Math.max(1, Math.floor(config.tickTimeMs / 2)), () => (hooks.duringTick ?? ((run) => run()))(() => server.tick())),
    timers.setInterval(config.containerCheckIntervalMs, () => server.checkContainers()),
  ];
  let closing: Promise<void> | undefined;
  return {
    server, txnLog, snapshots, quorum: host, recovered, recoveryMs,
    close: () => {
      closing ??= (async () => {
        for (const clock of clocks) timers.clear(clock);
        await host?.stop();
        if (failed === undefined) await txnLog.close();
        await snapshots.idle();
      })();
      return closing;
    },
  };
}

/**
 * The membership an ensemble member starts with: the one a committed reconfig left in
 * /zookeeper/config (recovered from the snapshot and log) when it is newer than zoo.cfg's,
 * else zoo.cfg's, which then goes into /zookeeper/config.
 */
function membershipInEffect(tree: DataTree, config: ServerConfig, timers: TimerPort, log: Logger): Membership {
  const fromConfig = staticMembership(config);
  const data = tree.getNode(CONFIG_NODE)?.data;
  if (data !== null && data !== undefined && data.length > 0) {
    try {
      const recovered = parseMembershipText(data.toString('utf8'));
      if (recovered.version > 0n) {
        log('INFO', `membership from the last committed reconfig (version ${recovered.version.toString(16)}): ${recovered.servers.map((s) => `server.${s.id}`).join(', ')}`, 'quorum');
        return recovered;
      }
    } catch (e) {
      log('WARN', `ignoring unreadable /zookeeper/config: ${(e as Error).message}`, 'quorum');
    }
  }
  tree.setConfigData(Buffer.from(formatMembership(fromConfig), 'utf8'), 0n, BigInt(timers.nowMs()));
  return fromConfig;
}
