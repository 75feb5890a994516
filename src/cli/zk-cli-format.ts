/**
 * zkCli's output formats, as ZooKeeper 3.8 prints them: StatPrinter's eleven lines with
 * java.util.Date.toString dates, jute's CSV form of an ACL id, permission letters, Java's
 * List.toString, the ACL parser's warnings and CliWrapperException's error messages.
 */
import type { Acl, Id, Stat } from '../proto/data.js';
import { Perms } from '../proto/defs.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** The local time zone's abbreviation as Java prints it (exact for UTC, Intl's short name otherwise). */
function zoneName(date: Date, timeZone: string | undefined): string {
  const resolved = timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (resolved === 'UTC' || resolved === 'Etc/UTC' || resolved === 'Etc/Universal') return 'UTC';
  if (resolved === 'GMT' || resolved === 'Etc/GMT') return 'GMT';
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: resolved, timeZoneName: 'short' }).formatToParts(date);
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? resolved;
}

/** `EEE MMM dd HH:mm:ss zzz yyyy` in the local time zone, like java.util.Date.toString. */
export function javaDate(epochMs: bigint | number, timeZone?: string): string {
  const date = new Date(Number(epochMs));
  const fields = new Intl.DateTimeFormat('en-US', {
    timeZone: timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: string) => fields.find((p) => p.type === type)?.value ?? '';
  const weekday = WEEKDAYS.includes(get('weekday')) ? get('weekday') : WEEKDAYS[date.getUTCDay()]!;
  const month = MONTHS[Number(get('month')) - 1] ?? '???';
  const time = `${pad2(Number(get('hour')))}:${pad2(Number(get('minute')))}:${pad2(Number(get('second')))}`;
  return `${weekday} ${month} ${pad2(Number(get('day')))} ${time} ${zoneName(date, timeZone)} ${get('year')}`;
}

/** Long.toHexString: two's complement for negatives. */
export function javaHex(value: bigint): string {
  return BigInt.asUintN(64, value).toString(16);
}

/** StatPrinter.print, one string per line. */
export function statLines(stat: Stat, timeZone?: string): string[] {
  return [
    `cZxid = 0x${javaHex(stat.czxid)}`,
    `ctime = ${javaDate(stat.ctime, timeZone)}`,
    `mZxid = 0x${javaHex(stat.mzxid)}`,
    `mtime = ${javaDate(stat.mtime, timeZone)}`,
    `pZxid = 0x${javaHex(stat.pzxid)}`,
    `cversion = ${stat.cversion}`,
    `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`,
    `ephemeralOwner = 0x${javaHex(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`,
    `numChildren = ${stat.numChildren}`,
  ];
}

/** ZKUtil.getPermString: letters in the order c, d, r, w, a. */
export function permString(perms: number): string {
  let text = '';
  if (perms & Perms.CREATE) text += 'c';
  if (perms & Perms.DELETE) text += 'd';
  if (perms & Perms.READ) text += 'r';
  if (perms & Perms.WRITE) text += 'w';
  if (perms & Perms.ADMIN) text += 'a';
  return text;
}

/** jute's CSV string: a leading quote, and \0 \n \r , } % escaped as %XX. */
function csvString(value: string): string {
  const escapes: Record<string, string> = { '\0': '%00', '\n': '%0A', '\r': '%0D', ',': '%2C', '}': '%7D', '%': '%25' };
  return "'" + value.replace(/[\0\n\r,}%]/g, (c) => escapes[c]!);
}

/** Id.toString (a jute record printed as CSV, ending with a newline). */
export function idToString(id: Id): string {
  return `${csvString(id.scheme)},${csvString(id.id)}\n`;
}

/** getAcl's lines for one ACL entry: the CSV id (with its newline) then `: perms`. */
export function aclLines(acl: Acl): string[] {
  return [...idToString(acl.id).split('\n').slice(0, -1), `: ${permString(acl.perms)}`];
}

/** Java's List.toString: `[a, b]`. */
export function javaList(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

/** AclParser.parse: the ACL list and the warnings it prints on stderr for bad entries. */
export function parseAcl(text: string): { acl: Acl[]; warnings: string[] } {
  const acl: Acl[] = [];
  const warnings: string[] = [];
  for (const entry of javaSplit(text, ',')) {
    const first = entry.indexOf(':');
    const last = entry.lastIndexOf(':');
    if (first === -1 || first === last) {
      warnings.push(`${entry} does not have the form scheme:id:perm`);
      continue;
    }
    let perms = 0;
    for (const letter of entry.slice(last + 1)) {
      const bit = ({ r: Perms.READ, w: Perms.WRITE, c: Perms.CREATE, d: Perms.DELETE, a: Perms.ADMIN } as Record<string, number>)[letter];
      if (bit === undefined) warnings.push(`Unknown perm type: ${letter}`);
      else perms |= bit;
    }
    acl.push({ perms, id: { scheme: entry.slice(0, first), id: entry.slice(first + 1, last) } });
  }
  return { acl, warnings };
}

/** String.split(regex) for a literal separator: trailing empty strings are dropped. */
export function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 1 && parts.at(-1) === '') parts.pop();
  if (parts.length === 1 && parts[0] === '' && text.length > 0) return [];
  return parts;
}

/** KeeperException.getCodeMessage. */
function codeMessage(code: number): string {
  const messages: Record<number, string> = {
    [ErrorCode.OK]: 'ok',
    [ErrorCode.SYSTEMERROR]: 'SystemError',
    [ErrorCode.RUNTIMEINCONSISTENCY]: 'RuntimeInconsistency',
    [ErrorCode.DATAINCONSISTENCY]: 'DataInconsistency',
    [ErrorCode.CONNECTIONLOSS]: 'ConnectionLoss',
    [ErrorCode.MARSHALLINGERROR]: 'MarshallingError',
    [ErrorCode.NEWCONFIGNOQUORUM]: 'NewConfigNoQuorum',
    [ErrorCode.RECONFIGINPROGRESS]: 'ReconfigInProgress',
    [ErrorCode.UNIMPLEMENTED]: 'Unimplemented',
    [ErrorCode.OPERATIONTIMEOUT]: 'OperationTimeout',
    [ErrorCode.BADARGUMENTS]: 'BadArguments',
    [ErrorCode.APIERROR]: 'APIError',
    [ErrorCode.NONODE]: 'NoNode',
    [ErrorCode.NOAUTH]: 'NoAuth',
    [ErrorCode.BADVERSION]: 'BadVersion',
    [ErrorCode.NOCHILDRENFOREPHEMERALS]: 'NoChildrenForEphemerals',
    [ErrorCode.NODEEXISTS]: 'NodeExists',
    [ErrorCode.INVALIDACL]: 'InvalidACL',
    [ErrorCode.AUTHFAILED]: 'AuthFailed',
    [ErrorCode.NOTEMPTY]: 'Directory not empty',
    [ErrorCode.SESSIONEXPIRED]: 'Session expired',
    [ErrorCode.INVALIDCALLBACK]: 'Invalid callback',
    [ErrorCode.SESSIONMOVED]: 'Session moved',
    [ErrorCode.NOTREADONLY]: 'Not a read-only call',
    [ErrorCode.EPHEMERALONLOCALSESSION]: 'Ephemeral node on local session',
    [ErrorCode.NOWATCHER]: 'No such watcher',
    [ErrorCode.RECONFIGDISABLED]: 'Reconfig is disabled',
    [ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH]: 'Session closed because client failed to authenticate',
    [ErrorCode.QUOTAEXCEEDED]: 'Quota has exceeded',
    [ErrorCode.THROTTLEDOP]: 'Op throttled due to high load',
  };
  return messages[code] ?? `Unknown error ${code}`;
}

/** KeeperException.getMessage: `KeeperErrorCode = <message>[ for <path>]`. */
export function keeperMessage(err: KeeperError): string {
  const text = `KeeperErrorCode = ${codeMessage(err.code)}`;
  return err.path === undefined || err.path === '' ? text : `${text} for ${err.path}`;
}

/** CliWrapperException's message for a KeeperError (a missing path prints as `null`). */
export function cliErrorMessage(err: KeeperError): string {
  const path = err.path ?? 'null';
  switch (err.code) {
    case ErrorCode.NONODE:
      return `Node does not exist: ${path}`;
    case ErrorCode.NOCHILDRENFOREPHEMERALS:
      return `Ephemerals cannot have children: ${path}`;
    case ErrorCode.NODEEXISTS:
      return `Node already exists: ${path}`;
    case ErrorCode.NOTEMPTY:
      return `Node not empty: ${path}`;
    case ErrorCode.NOTREADONLY:
      return `Not a read-only call: ${path}`;
    case ErrorCode.INVALIDACL:
      return `Acl is not valid : ${path}`;
    case ErrorCode.NOAUTH:
      return `Insufficient permission : ${path}`;
    case ErrorCode.BADARGUMENTS:
      return `Arguments are not valid : ${path}`;
    case ErrorCode.BADVERSION:
      return `version No is not valid : ${path}`;
    case ErrorCode.RECONFIGINPROGRESS:
      return 'Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)';
    case ErrorCode.NEWCONFIGNOQUORUM:
      return (
        'No quorum of new config is connected and up-to-date with the leader of last commmitted config - ' +
        'try invoking reconfiguration after new servers are connected and synced'
      );
    case ErrorCode.QUOTAEXCEEDED:
      return `Quota has exceeded : ${path}`;
    default:
      return keeperMessage(err);
  }
}

/** java.lang.String.hashCode. */
function javaStringHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

/**
 * The iteration order of a java.util.Properties (Java 9+: a ConcurrentHashMap of initial
 * capacity 8, so 16 bins until it holds 12 entries) over `keys`, given in insertion order:
 * by bin (spread hash & (n - 1)), insertion order within a bin. Exact while no bin treeifies
 * and no resize reorders a bin (a dozen or so entries).
 */
function propertiesOrder(keys: readonly string[]): string[] {
  let bins = 16;
  while (keys.length >= bins - (bins >>> 2)) bins <<= 1;
  const bin = (key: string) => {
    const h = javaStringHash(key);
    return ((h ^ (h >>> 16)) & 0x7fffffff) & (bins - 1);
  };
  return keys.map((key, index) => ({ key, index, bin: bin(key) })).sort((a, b) => a.bin - b.bin || a.index - b.index).map((e) => e.key);
}

/**
 * ConfigUtils.getClientConfigStr: `version host:port,...` from /zookeeper/config's text, the
 * servers in the order Java's Properties iterates them (not id order).
 */
export function clientConfigString(config: string): string {
  const entries = new Map<string, string>();
  for (const raw of config.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.search(/[=:]/);
    if (eq < 0) continue;
    entries.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  let version = '';
  const addresses: string[] = [];
  for (const key of propertiesOrder([...entries.keys()])) {
    const value = entries.get(key)!;
    if (key === 'version') version = value;
    if (!key.startsWith('server.')) continue;
    const semicolon = value.indexOf(';');
    if (semicolon < 0) continue;
    const client = value.slice(semicolon + 1);
    const colon = client.lastIndexOf(':');
    addresses.push(colon < 0 ? `0.0.0.0:${client}` : `${client.slice(0, colon)}:${client.slice(colon + 1)}`);
  }
  return `${version} ${addresses.join(',')}`;
}
