/**
 * What the four-letter words, the HTTP admin commands and the metrics endpoint are built from:
 * the server's state, its configuration, and what only the runtime knows (the environment,
 * directory sizes, file descriptors, the clock, the snapshots on disk).
 */
import type { ServerConfig } from '../config/server-config.js';
import type { ModeDecision } from '../config/mode.js';
import type { ZkServer } from '../server/zk-server.js';

/** ZooTrace's default text trace mask: client requests, server packets, sessions, warnings. */
export const DEFAULT_TRACE_MASK = 306n;

/** What the runtime supplies. */
export interface AdminHost {
  /** `envi` lines, in order. */
  environment(): Array<[string, string]>;
  /** `system_properties`, sorted by name. */
  systemProperties(): Array<[string, string]>;
  /** Bytes in dataDir/version-2 and dataLogDir/version-2. */
  dataDirSize(): number;
  logDirSize(): number;
  /** -1 when the platform cannot tell. */
  openFileDescriptorCount(): number;
  maxFileDescriptorCount(): number;
  /** Wall clock, ms. */
  nowMs(): number;
  /** Milliseconds since the server started serving. */
  uptimeMs(): number;
  /** The newest snapshot on disk: its zxid and modification time in seconds. */
  lastSnapshot(): { zxid: bigint; timestampSec: number } | undefined;
  /** Takes a snapshot now (admin `snapshot`); resolves with its file. */
  takeSnapshot(): Promise<{ path: string; zxid: bigint; bytes: number }>;
  /**
   * Replaces the live tree and sessions with a snapshot's (admin `restore`): validates all of it
   * BEFORE changing anything, and resolves once the restored tree is the newest snapshot on disk.
   * Rejects for a body that is not a snapshot. Absent where restore is not available.
   */
  restore?(snapshot: Buffer): Promise<{ lastZxid: bigint }>;
}

/**
 * ZooKeeper's RateLimiter(rate 1, interval): one call is allowed, then none until more than
 * `intervalMs` has passed since the window last restarted.
 */
export class RateLimiter {
  private windowStartMs: number;
  private remaining = 1;

  constructor(private readonly intervalMs: number, nowMs: number) {
    this.windowStartMs = nowMs;
  }

  allow(nowMs: number): boolean {
    if (nowMs > this.windowStartMs + this.intervalMs) {
      this.remaining = 1;
      this.windowStartMs = nowMs;
    }
    if (this.remaining === 0) return false;
    this.remaining--;
    return true;
  }
}

/** What an ensemble member tells the admin commands about itself and its ensemble. */
export interface QuorumInfo {
  readonly myid: bigint;
  readonly isLeader: boolean;
  /** The leader followed (or this server when leading); -1 when there is none. */
  readonly leaderId: bigint;
  /** The leader's host, '' when there is none. */
  readonly leaderHost: string;
  /** The membership in effect. */
  readonly servers: ReadonlyArray<{ id: bigint; quorumAddresses: string[]; electionAddresses: string[]; clientAddress: string; type: 'participant' | 'observer' }>;
  readonly voting: boolean;
  /** election, discovery, synchronization or broadcast. */
  readonly zabState: string;
  /** A leader's synced observers. */
  readonly syncedObservers: readonly bigint[];
  /** The membership as /zookeeper/config holds it (server lines, then version=<hex>). */
  readonly membershipText: string;
}

/** Shared by every admin surface; the trace mask set with stmk is seen by gtmk and the HTTP commands. */
export class AdminContext {
  traceMask = DEFAULT_TRACE_MASK;
  /** When the admin `snapshot` command last ran (rate limit: admin.rateLimiterIntervalInMS). */
  lastAdminSnapshotMs: number | undefined;
  /** Admin `restore`'s own limiter (RestoreCommand's RateLimiter, admin.rateLimiterIntervalInMS). */
  readonly restoreLimiter: RateLimiter;
  /** The port the client listener is bound to (clientPort=0 picks one); `conf` reports it, as ZooKeeper. */
  boundClientPort: number | undefined;

  /** The client port as `conf` and `configuration` report it. */
  get clientPort(): number {
    return this.boundClientPort ?? this.config.clientPort;
  }

  constructor(
    readonly server: ZkServer,
    readonly config: ServerConfig,
    readonly host: AdminHost,
    readonly mode: ModeDecision | undefined = undefined,
  ) {
    this.restoreLimiter = new RateLimiter(config.admin.rateLimiterIntervalMs, host.nowMs());
  }

  /** `Mode:` as srvr prints it. */
  get serverState(): string {
    return 'standalone';
  }

  /** ZooKeeper's node count includes the root twice ("" and "/"). */
  get nodeCount(): number {
    return this.server.tree.nodeCount + 1;
  }

  /** An ensemble member's view for the leader, voting_view, zabstate and observers commands; none standalone. */
  quorumInfo(): QuorumInfo | undefined {
    return undefined;
  }

  /** An ensemble member's extra `mntr` values (peer_state, quorum_size, a leader's learners); none standalone. */
  quorumMonitorValues(): Array<[string, string | number]> {
    return [];
  }

  /** The id `conf` and `configuration` report: 0 for a standalone server, as ZooKeeperServer.getServerId. */
  get reportedServerId(): bigint {
    return 0n;
  }
}
