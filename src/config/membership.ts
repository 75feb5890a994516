/**
 * An ensemble's membership as a value: the `server.N` lines and the config version, in the text
 * form ZooKeeper keeps in /zookeeper/config (QuorumVerifier.toString):
 *
 *   server.1=host:2888:3888:participant;0.0.0.0:2181
 *   ...
 *   version=100000003
 *
 * and the changes a reconfig request asks for (ReconfigRequest: joining, leaving, or a whole new
 * member list). Pure: errors are ConfigErrors naming what is wrong.
 */
import { ConfigError, type ConfigLocation } from './config-error.js';
import { parseServerLine, type QuorumServer } from './quorum-servers.js';

export interface Membership {
  readonly servers: readonly QuorumServer[];
  /** The zxid of the reconfig that made it; 0 for a static config. */
  readonly version: bigint;
}

export function votersOf(m: Membership): Set<bigint> {
  return new Set(m.servers.filter((s) => s.type === 'participant').map((s) => s.id));
}

export function observersOf(m: Membership): Set<bigint> {
  return new Set(m.servers.filter((s) => s.type === 'observer').map((s) => s.id));
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** One `server.N=...` line as ZooKeeper writes it. */
export function serverLine(s: QuorumServer): string {
  const addresses = s.addresses.map((a) => `${bracket(a.host)}:${a.quorumPort}:${a.electionPort}`).join('|');
  const client = s.clientPort === undefined ? '' : `;${bracket(s.clientAddress ?? '0.0.0.0')}:${s.clientPort}`;
  return `server.${s.id}=${addresses}:${s.type}${client}`;
}

/** The /zookeeper/config text: the server lines in id order, then `version=<hex>`. */
export function formatMembership(m: Membership): string {
  const lines = [...m.servers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(serverLine);
  return `${lines.join('\n')}\nversion=${m.version.toString(16)}`;
}

const SERVER_KEY = /^server\.(\d+)$/;

/** One `server.N=value` entry of a reconfig request or a config text. */
function parseEntry(entry: string, where: ConfigLocation): QuorumServer {
  const eq = entry.indexOf('=');
  const key = eq < 0 ? '' : entry.slice(0, eq).trim();
  const match = SERVER_KEY.exec(key);
  if (match === null) throw new ConfigError(where, `expected server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort], got "${entry}"`);
  return parseServerLine(BigInt(match[1]!), entry.slice(eq + 1).trim(), { ...where, key }, true);
}

/** Parses /zookeeper/config's text (or a dynamic config file). */
export function parseMembershipText(text: string, file = '/zookeeper/config'): Membership {
  const servers: QuorumServer[] = [];
  let version = 0n;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = { file, line: i + 1, key: line.split('=')[0]!.trim() };
    if (line.startsWith('version=')) {
      const hex = line.slice('version='.length).trim();
      if (!/^[0-9a-fA-F]+$/.test(hex)) throw new ConfigError(where, `expected a hex version, got "${hex}"`);
      version = BigInt(`0x${hex}`);
      continue;
    }
    servers.push(parseEntry(line, where));
  }
  return { servers, version };
}

/** What a reconfig request asks for (ReconfigRequest's fields; null when absent). */
export interface ReconfigChange {
  readonly joining: string | null;
  readonly leaving: string | null;
  readonly newMembers: string | null;
}

const REQUEST: ConfigLocation = { file: undefined, line: 0, key: 'reconfig' };

function entries(list: string): string[] {
  return list.split(',').map((e) => e.trim()).filter((e) => e !== '');
}

/**
 * The membership after `change` (ZooKeeper's PrepRequestProcessor for reconfig): a bulk list
 * replaces everything; otherwise leaving ids go and joining lines are added or replace a
 * member with the same id. The version is the caller's to set (the reconfig txn's zxid).
 */
export function applyReconfig(current: Membership, change: ReconfigChange): QuorumServer[] {
  if (change.newMembers !== null && change.newMembers.trim() !== '') {
    if ((change.joining ?? '') !== '' || (change.leaving ?? '') !== '') throw new ConfigError(REQUEST, 'a bulk reconfig (new members) cannot be combined with joining or leaving servers');
    const servers = entries(change.newMembers).map((e) => parseEntry(e, REQUEST));
    return uniqueIds(servers);
  }
  const byId = new Map(current.servers.map((s) => [s.id, s]));
  for (const id of entries(change.leaving ?? '')) {
    if (!/^\d+$/.test(id)) throw new ConfigError(REQUEST, `expected a server id to remove, got "${id}"`);
    byId.delete(BigInt(id));
  }
  for (const e of entries(change.joining ?? '')) {
    const server = parseEntry(e, REQUEST);
    byId.set(server.id, server);
  }
  return [...byId.values()];
}

function uniqueIds(servers: QuorumServer[]): QuorumServer[] {
  const seen = new Set<bigint>();
  for (const s of servers) {
    if (seen.has(s.id)) throw new ConfigError(REQUEST, `server.${s.id} is listed twice`);
    seen.add(s.id);
  }
  return servers;
}

/** True when `members` holds a majority of the voters of `m`. */
export function isQuorumOf(m: Membership | readonly QuorumServer[], members: ReadonlySet<bigint>): boolean {
  const servers = 'servers' in m ? m.servers : m;
  const voters = servers.filter((s) => s.type === 'participant');
  let count = 0;
  for (const v of voters) if (members.has(v.id)) count++;
  return voters.length > 0 && count * 2 > voters.length;
}
