/**
 * Four-letter words on the client port, in ZooKeeper's text formats (zktop, kazoo and the Go
 * client parse them). Built from the server's state; the runtime supplies what only it knows.
 */
import type { ServerConfig } from '../config/server-config.js';
import { FOUR_LETTER_WORDS } from '../config/server-config.js';
import { zxidHex } from '../proto/zxid.js';
import type { ZkServer } from '../server/zk-server.js';

/** The ZooKeeper release whose behaviour tszk reproduces (kazoo reads it from `envi`). */
export const ZOOKEEPER_VERSION = '3.8.0';
export const TSZK_VERSION = '0.1.0';
export const FULL_VERSION = `${ZOOKEEPER_VERSION}-tszk-${TSZK_VERSION}, built on 11/23/2026 00:00 GMT`;

/** What the runtime knows: environment lines, directory sizes. */
export interface AdminHost {
  environment(): Array<[string, string]>;
  dataDirSize(): number;
  logDirSize(): number;
}

const known = new Set<string>(FOUR_LETTER_WORDS);

/** Java's Double.toString for the values we print (always a decimal point). */
function javaDouble(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(Math.round(value * 10000) / 10000);
}

export class FourLetterWords {
  private traceMask = 0n;

  constructor(
    private readonly server: ZkServer,
    private readonly config: ServerConfig,
    private readonly host: AdminHost,
  ) {}

  /** The answer to `word`, or undefined when it is not a four-letter word. */
  answer(word: string): string | undefined {
    if (!known.has(word)) return undefined;
    if (!this.config.fourLetterWhitelist.has(word)) return `${word} is not executed because it is not in the whitelist.\n`;
    switch (word) {
      case 'ruok': return 'imok';
      case 'srvr': return this.srvr(false);
      case 'stat': return this.srvr(true);
      case 'conf': return this.conf();
      case 'cons': return this.cons();
      case 'crst': return 'Connection stats reset.\n';
      case 'srst':
        this.server.stats.reset();
        return 'Server stats reset.\n';
      case 'dump': return this.dump();
      case 'envi': return 'Environment:\n' + this.host.environment().map(([k, v]) => `${k}=${v}\n`).join('');
      case 'mntr': return this.mntr();
      case 'wchs': return this.wchs();
      case 'wchc': return this.wchc();
      case 'wchp': return this.wchp();
      case 'dirs': return `datadir_size: ${this.host.dataDirSize()}\nlogdir_size: ${this.host.logDirSize()}\n`;
      case 'isro': return 'rw';
      case 'hash': return '';
      case 'gtmk': return `${this.traceMask}\n`;
      case 'stmk': return `${this.traceMask}\n`;
      default: return undefined;
    }
  }

  private srvr(withClients: boolean): string {
    const s = this.server;
    let out = `Zookeeper version: ${FULL_VERSION}\n`;
    if (withClients) {
      out += 'Clients:\n';
      for (const c of s.connectionInfos()) {
        out += ` /${c.link.remoteAddress}:${c.link.remotePort}[1](queued=${c.queued},recved=${c.stats.received},sent=${c.stats.sent})\n`;
      }
      out += '\n';
    }
    out += `Latency min/avg/max: ${s.stats.latencyMinMs}/${javaDouble(s.stats.latencyAvgMs)}/${s.stats.latencyMaxMs}\n`;
    out += `Received: ${s.stats.packetsReceived}\n`;
    out += `Sent: ${s.stats.packetsSent}\n`;
    out += `Connections: ${s.connectionCount()}\n`;
    out += `Outstanding: ${s.outstandingRequests}\n`;
    out += `Zxid: ${zxidHex(s.lastProcessedZxid)}\n`;
    out += 'Mode: standalone\n';
    // ZooKeeper's node map holds the root twice ("" and "/"), so its count is one higher.
    out += `Node count: ${s.tree.nodeCount + 1}\n`;
    return out;
  }

  private conf(): string {
    const c = this.config;
    return [
      `clientPort=${c.clientPort}`,
      'secureClientPort=-1',
      `dataDir=${c.dataDir}/version-2`,
      `dataDirSize=${this.host.dataDirSize()}`,
      `dataLogDir=${c.dataLogDir}/version-2`,
      `dataLogSize=${this.host.logDirSize()}`,
      `tickTime=${c.tickTimeMs}`,
      `maxClientCnxns=${c.maxClientCnxns}`,
      `minSessionTimeout=${c.minSessionTimeoutMs}`,
      `maxSessionTimeout=${c.maxSessionTimeoutMs}`,
      'clientPortListenBacklog=-1',
      `serverId=${c.serverId}`,
      '',
    ].join('\n');
  }

  private cons(): string {
    let out = '';
    for (const c of this.server.connectionInfos()) {
      out += ` /${c.link.remoteAddress}:${c.link.remotePort}[1](queued=${c.queued},recved=${c.stats.received},sent=${c.stats.sent},`
        + `sid=0x${BigInt.asUintN(64, c.sessionId).toString(16)},lop=${c.stats.lastOp},est=${c.stats.establishedMs},to=${c.timeoutMs},`
        + `lzxid=${zxidHex(c.stats.lastZxid)},lresp=${c.stats.establishedMs},llat=${c.stats.lastLatencyMs})\n\n`;
    }
    return out + '\n';
  }

  private dump(): string {
    const s = this.server;
    let out = 'SessionTracker dump:\n';
    const sessions = [...s.sessions.all()];
    out += `Session Sets (${sessions.length})/(${sessions.length}):\n`;
    for (const session of sessions) out += `\t0x${BigInt.asUintN(64, session.id).toString(16)}\n`;
    out += 'ephemeral nodes dump:\n';
    const owners = s.tree.ephemeralOwners();
    out += `Sessions with Ephemerals (${owners.size}):\n`;
    for (const [id, paths] of owners) {
      out += `0x${BigInt.asUintN(64, id).toString(16)}:\n`;
      for (const p of paths) out += `\t${p}\n`;
    }
    out += 'Connections dump:\n';
    return out;
  }

  private mntr(): string {
    const s = this.server;
    const lines: Array<[string, string | number]> = [
      ['zk_version', FULL_VERSION],
      ['zk_server_state', 'standalone'],
      ['zk_avg_latency', javaDouble(s.stats.latencyAvgMs)],
      ['zk_max_latency', s.stats.latencyMaxMs],
      ['zk_min_latency', s.stats.latencyMinMs],
      ['zk_packets_received', s.stats.packetsReceived],
      ['zk_packets_sent', s.stats.packetsSent],
      ['zk_num_alive_connections', s.connectionCount()],
      ['zk_outstanding_requests', s.outstandingRequests],
      ['zk_znode_count', s.tree.nodeCount + 1],
      ['zk_watch_count', s.watches.watchCount],
      ['zk_ephemerals_count', s.tree.ephemeralCount],
      ['zk_approximate_data_size', s.tree.approximateDataSize],
      ['zk_global_sessions', s.sessions.size],
      ['zk_local_sessions', 0],
      ['zk_last_proposal_size', -1],
      ['zk_max_proposal_size', -1],
      ['zk_min_proposal_size', -1],
    ];
    return lines.map(([k, v]) => `${k}\t${v}\n`).join('');
  }

  private wchs(): string {
    const w = this.server.watches;
    return `${w.dataPathsByWatcher().size} connections watching ${w.dataWatchersByPath().size} paths\nTotal watches:${w.dataWatchCount}\n`;
  }

  private wchc(): string {
    let out = '';
    const sessionOf = new Map<number, bigint>();
    for (const c of this.server.connectionInfos()) sessionOf.set(c.link.id, c.sessionId);
    for (const [watcher, paths] of this.server.watches.dataPathsByWatcher()) {
      out += `0x${BigInt.asUintN(64, sessionOf.get(watcher) ?? 0n).toString(16)}\n`;
      for (const p of paths) out += `\t${p}\n`;
    }
    return out + '\n';
  }

  private wchp(): string {
    let out = '';
    const sessionOf = new Map<number, bigint>();
    for (const c of this.server.connectionInfos()) sessionOf.set(c.link.id, c.sessionId);
    for (const [path, watchers] of this.server.watches.dataWatchersByPath()) {
      out += `${path}\n`;
      for (const w of watchers) out += `\t0x${BigInt.asUintN(64, sessionOf.get(w) ?? 0n).toString(16)}\n`;
    }
    return out + '\n';
  }
}
