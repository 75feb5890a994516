/**
 * Connect strings as the Java client reads them: `host[:port][,host[:port]...][/chroot]`,
 * IPv6 hosts in brackets (`[::1]:2181`), default port 2181, a chroot of `/` meaning none.
 */
import { InvalidArgumentError, validatePath } from './paths.js';

/** The port a host without one is given (ZooKeeper's default client port). */
export const DEFAULT_PORT = 2181;

/** One server address from a connect string. */
export interface HostAddress {
  readonly host: string;
  readonly port: number;
}

/** A parsed connect string. */
export interface ConnectString {
  readonly hosts: readonly HostAddress[];
  /** The chroot prefix without a trailing slash, or null. */
  readonly chroot: string | null;
}

function parsePort(text: string, whole: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`invalid port in connect string: ${whole}`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new InvalidArgumentError(`port out of range in connect string: ${whole}`);
  return port;
}

function parseHost(entry: string): HostAddress {
  const trimmed = entry.trim();
  if (trimmed.startsWith('[')) {
    const close = trimmed.indexOf(']');
    if (close < 0) throw new InvalidArgumentError(`unclosed IPv6 address in connect string: ${entry}`);
    const host = trimmed.slice(1, close);
    const rest = trimmed.slice(close + 1);
    if (rest === '' || rest === ':') return { host, port: DEFAULT_PORT };
    if (!rest.startsWith(':')) throw new InvalidArgumentError(`invalid IPv6 address in connect string: ${entry}`);
    return { host, port: parsePort(rest.slice(1), entry) };
  }
  const colon = trimmed.lastIndexOf(':');
  if (colon < 0) return { host: trimmed, port: DEFAULT_PORT };
  const portText = trimmed.slice(colon + 1);
  return { host: trimmed.slice(0, colon), port: portText === '' ? DEFAULT_PORT : parsePort(portText, entry) };
}

/** Parses `connectString`; throws InvalidArgumentError for an empty host list or a bad chroot. */
export function parseConnectString(connectString: string): ConnectString {
  const slash = connectString.indexOf('/');
  let chroot: string | null = null;
  let hostPart = connectString;
  if (slash >= 0) {
    const path = connectString.slice(slash);
    hostPart = connectString.slice(0, slash);
    if (path.length > 1) {
      validatePath(path);
      chroot = path;
    }
  }
  const hosts = hostPart
    .split(',')
    .filter((entry) => entry.trim() !== '')
    .map(parseHost);
  if (hosts.length === 0 || hosts.some((h) => h.host === '')) {
    throw new InvalidArgumentError(`A HostProvider may not be empty: ${connectString}`);
  }
  return { hosts, chroot };
}

/** `host:port` as zkCli prints it (IPv6 in brackets). */
export function formatHost(address: HostAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
