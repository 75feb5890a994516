/**
 * The ensemble's membership lines, as ZooKeeper writes them (QuorumPeer.QuorumServer):
 *
 *   server.<id>=<addr>[|<addr>...][;[<clientHost>:]<clientPort>]
 *   addr := <host>:<quorumPort>:<electionPort>[:participant|observer]
 *   host := name | ipv4 | [ipv6]
 *
 * plus `group.<g>=<id>:<id>...` and `weight.<id>=<n>` for hierarchical quorums. Pure: errors
 * are thrown as ConfigError naming the file, line and key.
 */
import { ConfigError, type ConfigLocation } from './config-error.js';

/** One address of a server (more than one only with multiAddress.enabled). */
export interface ServerAddress {
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
}

/** A `server.N` line. */
export interface QuorumServer {
  readonly id: bigint;
  /** The first address; `addresses` holds all of them. */
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly addresses: readonly ServerAddress[];
  readonly type: 'participant' | 'observer';
  /** From `;[host:]port`; the host defaults to 0.0.0.0 as in ZooKeeper. */
  readonly clientAddress: string | undefined;
  readonly clientPort: number | undefined;
  /** Where the line is, for messages. */
  readonly where: ConfigLocation;
}

/** `group.<g>` lines: the servers of each group (hierarchical quorums). */
export interface QuorumGroup {
  readonly id: bigint;
  readonly members: readonly bigint[];
}

const FORMAT = 'host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]';

/** Splits `host:port[:...]`, keeping `[ipv6]` hosts whole (ConfigUtils.getHostAndPort). */
export function splitHostAndPorts(text: string): string[] {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return [text];
    const host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest === '') return [host];
    if (!rest.startsWith(':')) return [text];
    return [host, ...rest.slice(1).split(':')];
  }
  return text.split(':');
}

function port(where: ConfigLocation, text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(where, `expected ${what} as a number in ${FORMAT}, got "${text}"`);
  const value = Number(text.trim());
  if (value < 1 || value > 65535) throw new ConfigError(where, `${what} ${value} is not a port number (1-65535)`);
  return value;
}

/** Parses the value of `server.<id>`. */
export function parseServerLine(id: bigint, value: string, where: ConfigLocation, multiAddressEnabled: boolean): QuorumServer {
  const parts = value.split(';');
  if (parts.length > 2) throw new ConfigError(where, `expected ${FORMAT}, got "${value}" (more than one ';')`);
  const addressTexts = parts[0]!.split('|').map((a) => a.trim());
  if (addressTexts.length > 1 && !multiAddressEnabled) {
    throw new ConfigError(where, `several addresses separated by '|' need multiAddress.enabled=true, got "${value}"`);
  }
  let type: 'participant' | 'observer' | undefined;
  const addresses: ServerAddress[] = [];
  for (const text of addressTexts) {
    const fields = splitHostAndPorts(text);
    if (fields.length < 3 || fields.length > 4 || fields[0] === '') {
      throw new ConfigError(where, `expected ${FORMAT}, got "${value}"`);
    }
    const quorumPort = port(where, fields[1]!, 'the quorum port');
    const electionPort = port(where, fields[2]!, 'the election port');
    if (quorumPort === electionPort) {
      throw new ConfigError(where, `the quorum port and the election port must differ, both are ${quorumPort} (usually 2888 and 3888)`);
    }
    if (fields.length === 4) {
      const t = fields[3]!.trim().toLowerCase();
      if (t !== 'participant' && t !== 'observer') throw new ConfigError(where, `expected participant or observer after the ports, got "${fields[3]}"`);
      if (type !== undefined && type !== t) throw new ConfigError(where, `all addresses of one server must have the same role, got ${type} and ${t}`);
      type = t;
    }
    addresses.push({ host: fields[0]!.trim(), quorumPort, electionPort });
  }
  let clientAddress: string | undefined;
  let clientPort: number | undefined;
  if (parts.length === 2) {
    const client = splitHostAndPorts(parts[1]!.trim());
    if (client.length > 2 || client[0] === '') throw new ConfigError(where, `expected [clientHost:]clientPort after ';', got "${parts[1]}"`);
    clientPort = port(where, client[client.length - 1]!, 'the client port');
    clientAddress = client.length === 2 ? client[0]! : '0.0.0.0';
  }
  const first = addresses[0]!;
  return {
    id, host: first.host, quorumPort: first.quorumPort, electionPort: first.electionPort, addresses,
    type: type ?? 'participant', clientAddress, clientPort, where,
  };
}

/** Parses `group.<g>=1:2:3`. */
export function parseGroupLine(id: bigint, value: string, where: ConfigLocation): QuorumGroup {
  const members = value.split(':').map((m) => m.trim());
  if (members.length === 0 || members.some((m) => !/^\d+$/.test(m))) {
    throw new ConfigError(where, `expected server ids separated by ':' (group.1=1:2:3), got "${value}"`);
  }
  return { id, members: members.map((m) => BigInt(m)) };
}
