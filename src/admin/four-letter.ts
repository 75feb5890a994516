/**
 * Four-letter words on the client port, in ZooKeeper 3.8's exact text formats (zktop, kazoo and
 * the Go client parse them; the formats were compared with a running ZooKeeper 3.8). Built from
 * the AdminContext; the connection layer calls `answer` with the first four bytes and whatever
 * followed them (stmk's 8-byte mask).
 */
import { FOUR_LETTER_WORDS } from '../config/server-config.js';
import { zxidHex } from '../proto/zxid.js';
import type { AdminContext } from './admin-context.js';
import { javaDouble } from './json.js';
import { mntrText } from './monitor.js';
import { FULL_VERSION } from './version.js';
import {
  connectionRows, ephemeralsBySession, environmentOf, resetConnectionStats, sessionHex, sessionExpiryBuckets, versionDir, watchesByPath, watchesBySession,
} from './views.js';

export { FULL_VERSION, ZOOKEEPER_VERSION, TSZK_VERSION } from './version.js';
export type { AdminHost } from './admin-context.js';

/** The bytes telnet sends for Ctrl-C (IAC IP IAC DO); ZooKeeper knows them as "telnet close". */
const TELNET_CLOSE = '\xff\xf4\xff\xfd';

const known = new Set<string>(FOUR_LETTER_WORDS);

/** Java's Date.toString: `Mon Nov 23 19:44:25 UTC 2026`, in local time. */
export function javaDateString(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  const zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((part) => part.type === 'timeZoneName')?.value ?? 'UTC';
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone} ${d.getFullYear()}`;
}

/** AbstractFourLetterCommand.ZK_NOT_SERVING. */
export const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';
/** The words that need a running server (the others answer from configuration or the process). */
const NOT_SERVING_WORDS = new Set(['srvr', 'stat', 'conf', 'cons', 'crst', 'srst', 'dump', 'mntr', 'wchs', 'wchc', 'wchp', 'dirs']);

export class FourLetterWords {
  constructor(private readonly ctx: AdminContext) {}

  /**
   * The answer to `word` (the first four bytes as latin1), or undefined when it is not a
   * four-letter word and the bytes are a normal connection. `extra` is what followed.
   */
  answer(word: string, extra: Buffer = Buffer.alloc(0)): string | undefined {
    if (word === TELNET_CLOSE) return this.ctx.config.fourLetterWhitelist.size === FOUR_LETTER_WORDS.length ? '' : 'telnet close is not executed because it is not in the whitelist.\n';
    if (!known.has(word)) return undefined;
    if (!this.ctx.config.fourLetterWhitelist.has(word)) return `${word} is not executed because it is not in the whitelist.\n`;
    const s = this.ctx.server;
    // An ensemble member between roles has no server to ask (ZooKeeper's ZK_NOT_SERVING).
    if (!s.serving && !s.readOnly) {
      if (word === 'isro') return 'null';
      if (word === 'hash') return NOT_SERVING;
      if (NOT_SERVING_WORDS.has(word)) return `${NOT_SERVING}\n`;
    }
    switch (word) {
      case 'ruok': return 'imok';
      case 'srvr': return this.srvr(false);
      case 'stat': return this.srvr(true);
      case 'conf': return this.conf();
      case 'cons': return this.cons();
      case 'crst':
        resetConnectionStats(this.ctx);
        return 'Connection stats reset.\n';
      case 'srst':
        s.stats.reset();
        return 'Server stats reset.\n';
      case 'dump': return this.dump();
      case 'envi': return 'Environment:\n' + environmentOf(this.ctx).map(([k, v]) => `${k}=${v}\n`).join('');
      case 'mntr': return mntrText(this.ctx);
      case 'wchs': return this.wchs();
      case 'wchc': return this.wchc();
      case 'wchp': return this.wchp();
      case 'dirs': return `datadir_size: ${this.ctx.host.dataDirSize()}\nlogdir_size: ${this.ctx.host.logDirSize()}\n`;
      case 'isro': return s.readOnly ? 'ro' : 'rw';
      // DigestCommand: `<Long.toHexString(zxid)>: <signed digest>` per history entry, oldest first.
      case 'hash': return s.tree.digestHistory().map((e) => `${BigInt.asUintN(64, e.zxid).toString(16)}: ${e.digest}\n`).join('');
      case 'gtmk': return `${this.ctx.traceMask}`;
      case 'stmk': return this.stmk(extra);
      default: return undefined;
    }
  }

  /** ZooKeeper reads a 64-bit big-endian mask after `stmk`; without all 8 bytes it answers nothing. */
  private stmk(extra: Buffer): string {
    if (extra.length < 8) return '';
    this.ctx.traceMask = extra.readBigInt64BE(0);
    return `${this.ctx.traceMask}`;
  }

  private srvr(withClients: boolean): string {
    const s = this.ctx.server;
    let out = `Zookeeper version: ${FULL_VERSION}\n`;
    if (withClients) {
      out += 'Clients:\n';
      for (const c of connectionRows(this.ctx)) out += ` /${c.address}[${c.interestOps}](queued=${c.queued},recved=${c.stats.received},sent=${c.stats.sent})\n`;
      out += '\n';
    }
    out += `Latency min/avg/max: ${s.stats.latencyMinMs}/${javaDouble(s.stats.latencyAvgMs)}/${s.stats.latencyMaxMs}\n`;
    out += `Received: ${s.stats.packetsReceived}\n`;
    out += `Sent: ${s.stats.packetsSent}\n`;
    out += `Connections: ${s.connectionCount()}\n`;
    out += `Outstanding: ${s.outstandingRequests}\n`;
    out += `Zxid: ${zxidHex(s.lastProcessedZxid)}\n`;
    out += `Mode: ${this.ctx.serverState}\n`;
    out += `Node count: ${this.ctx.nodeCount}\n`;
    return out;
  }

  private conf(): string {
    const c = this.ctx.config;
    return [
      `clientPort=${this.ctx.clientPort}`,
      'secureClientPort=-1',
      `dataDir=${versionDir(c.dataDir)}`,
      `dataDirSize=${this.ctx.host.dataDirSize()}`,
      `dataLogDir=${versionDir(c.dataLogDir)}`,
      `dataLogSize=${this.ctx.host.logDirSize()}`,
      `tickTime=${c.tickTimeMs}`,
      `maxClientCnxns=${c.maxClientCnxns}`,
      `minSessionTimeout=${c.minSessionTimeoutMs}`,
      `maxSessionTimeout=${c.maxSessionTimeoutMs}`,
      `clientPortListenBacklog=${c.clientPortListenBacklog}`,
      `serverId=${this.ctx.reportedServerId}`,
      '',
    ].join('\n') + this.quorumConf();
  }

  /** QuorumZooKeeperServer.dumpConf's lines: the limits, this member's ports and the membership. */
  private quorumConf(): string {
    const q = this.ctx.quorumInfo();
    if (q === undefined) return '';
    const c = this.ctx.config;
    const self = q.servers.find((s) => s.id === q.myid);
    const ports = (addresses: readonly string[] | undefined): string => (addresses ?? []).map((a) => a.slice(a.lastIndexOf(':') + 1)).join('|');
    return [
      `initLimit=${c.initLimit}`, `syncLimit=${c.syncLimit}`, 'electionAlg=3',
      `electionPort=${ports(self?.electionAddresses)}`, `quorumPort=${ports(self?.quorumAddresses)}`,
      `peerType=${self?.type === 'observer' ? 1 : 0}`, 'membership: ', q.membershipText,
    ].join('\n');
  }

  /** One line per connection (ServerCnxn.dumpConnectionInfo), then a blank line. */
  private cons(): string {
    let out = '';
    for (const c of connectionRows(this.ctx)) {
      const st = c.stats;
      out += ` /${c.address}[${c.interestOps}](queued=${c.queued},recved=${st.received},sent=${st.sent},sid=0x${sessionHex(c.sessionId)},lop=${st.lastOp},est=${st.establishedMs},to=${c.timeoutMs}`;
      if (st.lastCxid >= 0) out += `,lcxid=0x${st.lastCxid.toString(16)}`;
      out += `,lzxid=0x${BigInt.asUintN(64, st.lastZxid).toString(16)},lresp=${st.lastResponseMs},llat=${st.lastLatencyMs},minlat=${st.latencyMinMs},avglat=${st.latencyAvgMs},maxlat=${st.latencyMaxMs})\n`;
    }
    return out + '\n';
  }

  private dump(): string {
    const buckets = sessionExpiryBuckets(this.ctx);
    const sessionCount = buckets.reduce((n, b) => n + b.sessions.length, 0);
    let out = 'SessionTracker dump:\n';
    out += `Session Sets (${buckets.length})/(${sessionCount}):\n`;
    for (const bucket of buckets) {
      out += `${bucket.sessions.length} expire at ${javaDateString(bucket.expiresAtMs)}:\n`;
      for (const id of bucket.sessions) out += `\t0x${sessionHex(id)}\n`;
    }
    const owners = ephemeralsBySession(this.ctx);
    out += 'ephemeral nodes dump:\n';
    out += `Sessions with Ephemerals (${owners.length}):\n`;
    for (const [id, paths] of owners) {
      out += `0x${sessionHex(id)}:\n`;
      for (const p of paths) out += `\t${p}\n`;
    }
    // NIOServerCnxnFactory's connection expiry queue: a connection expires with its session.
    const rows = connectionRows(this.ctx);
    const byExpiry = new Map<number, typeof rows>();
    for (const row of rows) {
      const at = this.ctx.server.sessions.get(row.sessionId)?.expiresAtMs ?? 0;
      byExpiry.set(at, [...(byExpiry.get(at) ?? []), row]);
    }
    out += 'Connections dump:\n';
    out += `Connections Sets (${byExpiry.size})/(${rows.length}):\n`;
    for (const at of [...byExpiry.keys()].sort((a, b) => a - b)) {
      const group = byExpiry.get(at)!;
      out += `${group.length} expire at ${javaDateString(at)}:\n`;
      for (const row of group) out += `\tip: /${row.address} sessionId: 0x${sessionHex(row.sessionId)}\n`;
    }
    return out;
  }

  private wchs(): string {
    const w = this.ctx.server.watches;
    return `${w.dataPathsByWatcher().size} connections watching ${w.dataWatchersByPath().size} paths\nTotal watches:${w.dataWatchCount}\n`;
  }

  private wchc(): string {
    let out = '';
    for (const [session, paths] of watchesBySession(this.ctx)) {
      out += `0x${sessionHex(session)}\n`;
      for (const p of paths) out += `\t${p}\n`;
    }
    return out + '\n';
  }

  private wchp(): string {
    let out = '';
    for (const [path, sessions] of watchesByPath(this.ctx)) {
      out += `${path}\n`;
      for (const id of sessions) out += `\t0x${sessionHex(id)}\n`;
    }
    return out + '\n';
  }
}
