/**
 * The server's configuration, parsed once from zoo.cfg into a frozen typed value. Keys and
 * defaults are ZooKeeper's; like ZooKeeper, a key may also be given with a `zookeeper.` prefix.
 */
import { limits } from './limits.js';
import { parseProperties } from './properties.js';

export interface ServerConfig {
  readonly tickTimeMs: number;
  readonly dataDir: string;
  readonly dataLogDir: string;
  readonly clientPort: number;
  readonly clientPortAddress: string;
  readonly maxClientCnxns: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly snapCount: number;
  readonly fourLetterWhitelist: ReadonlySet<string>;
  readonly superDigest: string | undefined;
  readonly extendedTypesEnabled: boolean;
  readonly skipAcl: boolean;
  readonly reconfigEnabled: boolean;
  readonly forceSync: boolean;
  readonly juteMaxBuffer: number;
  readonly containerCheckIntervalMs: number;
  readonly serverId: bigint;
  /** Keys the server did not recognise (warned about, not fatal). */
  readonly unknownKeys: readonly string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Every four-letter word the server knows. */
export const FOUR_LETTER_WORDS = [
  'ruok', 'srvr', 'stat', 'conf', 'cons', 'crst', 'srst', 'dump', 'envi', 'mntr',
  'wchs', 'wchc', 'wchp', 'dirs', 'isro', 'hash', 'gtmk', 'stmk',
] as const;

const known = new Set([
  'tickTime', 'dataDir', 'dataLogDir', 'clientPort', 'clientPortAddress', 'maxClientCnxns',
  'minSessionTimeout', 'maxSessionTimeout', 'snapCount', '4lw.commands.whitelist',
  'DigestAuthenticationProvider.superDigest', 'extendedTypesEnabled', 'skipACL', 'reconfigEnabled',
  'forceSync', 'jute.maxbuffer', 'znode.container.checkIntervalMs', 'serverId',
  // Accepted for compatibility; their features arrive with later work.
  'initLimit', 'syncLimit', 'autopurge.snapRetainCount', 'autopurge.purgeInterval', 'admin.enableServer',
  'admin.serverPort', 'admin.serverAddress', 'standaloneEnabled', 'preAllocSize', 'globalOutstandingLimit',
  'metricsProvider.className', 'metricsProvider.httpPort', 'audit.enable', 'maxCnxns', 'electionAlg',
]);

export interface ConfigSource {
  /** Where the text came from, for messages. */
  readonly file: string;
  readonly text: string;
}

/** Parses zoo.cfg text with defaults for anything left out. */
export function parseServerConfig(source: ConfigSource | undefined, overrides: Record<string, string> = {}): ServerConfig {
  const values = new Map<string, { value: string; line: number }>();
  for (const p of source === undefined ? [] : parseProperties(source.text)) {
    const key = p.key.startsWith('zookeeper.') && !known.has(p.key) ? p.key.slice('zookeeper.'.length) : p.key;
    values.set(key, { value: p.value, line: p.line });
  }
  for (const [key, value] of Object.entries(overrides)) values.set(key, { value, line: 0 });
  const where = (key: string): string => {
    const line = values.get(key)?.line ?? 0;
    return line > 0 && source !== undefined ? `${source.file}:${line}: ${key}` : key;
  };
  const int = (key: string, fallback: number, min = 0): number => {
    const entry = values.get(key);
    if (entry === undefined) return fallback;
    if (!/^-?\d+$/.test(entry.value)) throw new ConfigError(`${where(key)}: expected an integer, got "${entry.value}"`);
    const value = Number(entry.value);
    if (value < min) throw new ConfigError(`${where(key)}: must be at least ${min}, got ${value}`);
    return value;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const entry = values.get(key);
    if (entry === undefined) return fallback;
    const v = entry.value.toLowerCase();
    if (v === 'true' || v === 'yes') return true;
    if (v === 'false' || v === 'no') return false;
    throw new ConfigError(`${where(key)}: expected true or false, got "${entry.value}"`);
  };
  const str = (key: string, fallback: string): string => values.get(key)?.value ?? fallback;

  const tickTimeMs = int('tickTime', 3000, 1);
  const dataDir = str('dataDir', '');
  if (dataDir === '') throw new ConfigError(`${source?.file ?? 'config'}: dataDir is not set`);
  const minSessionTimeoutMs = int('minSessionTimeout', tickTimeMs * 2, 0) || tickTimeMs * 2;
  const maxSessionTimeoutMs = int('maxSessionTimeout', tickTimeMs * 20, 0) || tickTimeMs * 20;
  if (minSessionTimeoutMs > maxSessionTimeoutMs) {
    throw new ConfigError(`minSessionTimeout (${minSessionTimeoutMs}) must not be larger than maxSessionTimeout (${maxSessionTimeoutMs})`);
  }
  const whitelist = str('4lw.commands.whitelist', 'srvr,ruok,isro')
    .split(',').map((w) => w.trim()).filter((w) => w !== '');
  const clientPort = int('clientPort', 2181, 0);
  if (clientPort > 65535) throw new ConfigError(`${where('clientPort')}: not a port number: ${clientPort}`);
  return Object.freeze({
    tickTimeMs,
    dataDir,
    dataLogDir: str('dataLogDir', dataDir),
    clientPort,
    clientPortAddress: str('clientPortAddress', '0.0.0.0'),
    maxClientCnxns: int('maxClientCnxns', 60, 0),
    minSessionTimeoutMs,
    maxSessionTimeoutMs,
    snapCount: int('snapCount', 100_000, 2),
    fourLetterWhitelist: new Set(whitelist.includes('*') ? FOUR_LETTER_WORDS : whitelist),
    superDigest: values.get('DigestAuthenticationProvider.superDigest')?.value,
    extendedTypesEnabled: bool('extendedTypesEnabled', false),
    skipAcl: bool('skipACL', false),
    reconfigEnabled: bool('reconfigEnabled', false),
    forceSync: bool('forceSync', true),
    juteMaxBuffer: int('jute.maxbuffer', limits.juteMaxBuffer, 1),
    containerCheckIntervalMs: int('znode.container.checkIntervalMs', 60_000, 1),
    serverId: BigInt(int('serverId', 1, 0)),
    unknownKeys: [...values.keys()].filter((k) => !known.has(k)),
  });
}
