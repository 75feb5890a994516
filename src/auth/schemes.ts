/**
 * Authentication schemes: how an `addauth` becomes ids on a connection, which ACL ids are
 * well formed, and whether an authenticated id matches an ACL id (ZooKeeper's providers).
 */
import type { Id } from '../proto/data.js';
import { sha1 } from '../util/sha1.js';

/** `user:base64(sha1("user:password"))`, DigestAuthenticationProvider.generateDigest. */
export function digestId(userPassword: string): string {
  const colon = userPassword.indexOf(':');
  const user = colon < 0 ? userPassword : userPassword.substring(0, colon);
  return `${user}:${sha1(Buffer.from(userPassword, 'utf8')).toString('base64')}`;
}

/** Java's `String.split(sep)`: trailing empty strings dropped. */
function javaSplit(value: string, separator: string): string[] {
  const parts = value.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Parses an IPv4 or IPv6 literal into bytes (IPAuthenticationProvider.addr2Bytes), or null. */
export function addressBytes(address: string): Uint8Array | null {
  if (address.includes(':')) return ipv6Bytes(address);
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^\d{1,3}$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    out[i] = value;
  }
  return out;
}

function ipv6Bytes(address: string): Uint8Array | null {
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const groups = (text: string): string[] => (text === '' ? [] : text.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const group = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    const value = parseInt(group, 16);
    out[i * 2] = value >> 8;
    out[i * 2 + 1] = value & 0xff;
  }
  return out;
}

function masked(bytes: Uint8Array, bits: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/** Parses `addr[/bits]`; null when malformed. */
function ipPattern(expr: string): { bytes: Uint8Array; bits: number } | null {
  const slash = expr.indexOf('/');
  const bytes = addressBytes(slash < 0 ? expr : expr.substring(0, slash));
  if (bytes === null) return null;
  let bits = bytes.length * 8;
  if (slash >= 0) {
    const text = expr.substring(slash + 1);
    if (!/^-?\d+$/.test(text)) return null;
    bits = Number(text);
    if (bits < 0 || bits > bytes.length * 8) return null;
  }
  return { bytes, bits };
}

/** What each scheme contributes; only schemes listed here are known to the server. */
interface Scheme {
  /** Is `id` a well-formed ACL id of this scheme? */
  isValid(id: string): boolean;
  /** Does the connection's id `authId` satisfy the ACL id `aclId`? */
  matches(authId: string, aclId: string): boolean;
  /** May the `auth` ACL scheme expand to this scheme's ids? */
  readonly expandsAuth: boolean;
  /** whoAmI's user for an id. */
  userName(id: string): string | null;
}

const schemes: Record<string, Scheme> = {
  digest: {
    isValid: (id) => javaSplit(id, ':').length === 2,
    matches: (authId, aclId) => authId === aclId,
    expandsAuth: true,
    userName: (id) => javaSplit(id, ':')[0] ?? '',
  },
  ip: {
    isValid: (id) => ipPattern(id) !== null,
    matches: (authId, aclId) => {
      const pattern = ipPattern(aclId);
      const remote = addressBytes(authId);
      if (pattern === null || remote === null || remote.length !== pattern.bytes.length) return false;
      const a = masked(pattern.bytes, pattern.bits);
      const b = masked(remote, pattern.bits);
      return a.every((byte, i) => byte === b[i]);
    },
    expandsAuth: false,
    userName: (id) => id,
  },
};

/**
 * Ids of clients that passed SASL (op 102): the authorization id, matched exactly. Like
 * ZooKeeper's SASLAuthenticationProvider it exists only when configured (authProvider.N).
 */
const sasl: Scheme = {
  isValid: (id) => id !== '',
  matches: (authId, aclId) => authId === aclId,
  expandsAuth: true,
  userName: (id) => id,
};

/** The scheme named `name`; `sasl` only when `withSasl`. */
export function schemeOf(name: string, withSasl = false): Scheme | undefined {
  if (name === 'sasl') return withSasl ? sasl : undefined;
  return Object.prototype.hasOwnProperty.call(schemes, name) ? schemes[name] : undefined;
}

/** What the connection gains from an AuthPacket, or null when authentication fails. */
export function authenticate(scheme: string, auth: Buffer, remoteAddress: string, superDigest: string | undefined): Id[] | null {
  if (scheme === 'digest') {
    const id = digestId(auth.toString('utf8'));
    const ids: Id[] = [];
    if (superDigest !== undefined && id === superDigest) ids.push({ scheme: 'super', id: '' });
    ids.push({ scheme: 'digest', id });
    return ids;
  }
  if (scheme === 'ip') return [{ scheme: 'ip', id: remoteAddress }];
  return null;
}
