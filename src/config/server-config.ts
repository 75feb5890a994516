/**
 * The server's configuration, parsed once from zoo.cfg (plus the dynamic config file and
 * dataDir/myid when present) into a frozen typed value. Keys and defaults are ZooKeeper 3.8's
 * (QuorumPeerConfig, ZooKeeperServer, the system properties ZooKeeper reads); like ZooKeeper, a
 * key may also carry the `zookeeper.` prefix of its system property.
 *
 * Every error names the file, the line and the key and says what was expected; keys ZooKeeper
 * has but tszk does not act on, and keys nobody knows, become warnings, never errors.
 */
import { limits } from './limits.js';
import { parseProperties } from './properties.js';
import { ConfigError, type ConfigLocation, type ConfigWarning, formatWarning } from './config-error.js';
import { parseGroupLine, parseServerLine, type QuorumGroup, type QuorumServer } from './quorum-servers.js';

export { ConfigError } from './config-error.js';
export type { ConfigLocation, ConfigWarning } from './config-error.js';
export type { QuorumServer, QuorumGroup, ServerAddress } from './quorum-servers.js';

/** ZooKeeper's metrics providers, by the class name zoo.cfg gives. */
export const DEFAULT_METRICS_PROVIDER = 'org.apache.zookeeper.metrics.impl.DefaultMetricsProvider';
export const PROMETHEUS_METRICS_PROVIDER = 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';
/** PurgeTxnLog refuses to keep fewer snapshots than this. */
export const MIN_SNAP_RETAIN_COUNT = 3;

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface AdminServerConfig {
  readonly enabled: boolean;
  readonly address: string;
  readonly port: number;
  readonly commandUrl: string;
  readonly idleTimeoutMs: number;
  /** Interval between two `snapshot` commands (admin.rateLimiterIntervalInMS). */
  readonly rateLimiterIntervalMs: number;
  readonly snapshotEnabled: boolean;
  readonly restoreEnabled: boolean;
}

export interface PrometheusConfig {
  readonly host: string;
  readonly port: number;
  readonly exportJvmInfo: boolean;
}

export interface LogConfig {
  /** ZOO_LOG_DIR, else zookeeper.log.dir; undefined: no log file unless the server is a daemon. */
  readonly dir: string | undefined;
  /** zookeeper.log.file; undefined: zookeeper-<user>-server-<host>.log. */
  readonly file: string | undefined;
  readonly level: LogLevel;
  /** The file rolls when it would grow past this. */
  readonly maxFileBytes: number;
  /** Rolled files kept (name.1 ... name.N). */
  readonly maxBackupIndex: number;
}

export interface ServerConfig {
  /** The zoo.cfg this came from; undefined for the built-in quick-start defaults. */
  readonly file: string | undefined;
  /** zoo.cfg exactly as read (the admin `initial_configuration` command returns it). */
  readonly text: string;
  readonly tickTimeMs: number;
  readonly dataDir: string;
  readonly dataLogDir: string;
  readonly clientPort: number;
  readonly clientPortAddress: string;
  readonly clientPortListenBacklog: number;
  readonly maxClientCnxns: number;
  /** All connections together; 0 means no limit. */
  readonly maxCnxns: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly snapCount: number;
  /** zookeeper.commitLogCount: committed txns a leader keeps for DIFF; a learner further behind gets a snapshot. */
  readonly commitLogCount: number;
  /** snapSizeLimitInKb in bytes; 0 when off. */
  readonly snapSizeLimitBytes: number;
  /** txnLogSizeLimitInKb in bytes; 0 when off. */
  readonly txnLogSizeLimitBytes: number;
  readonly fourLetterWhitelist: ReadonlySet<string>;
  readonly superDigest: string | undefined;
  /** SASL (op 102, DIGEST-MD5): on when an authProvider.N names ZooKeeper's SASLAuthenticationProvider. */
  readonly saslEnabled: boolean;
  /** The JAAS file whose `Server` section lists the SASL users (java.security.auth.login.config). */
  readonly jaasLoginConfig: string | undefined;
  /** A SASL user that is super (zookeeper.superUser). */
  readonly saslSuperUser: string | undefined;
  readonly extendedTypesEnabled: boolean;
  readonly skipAcl: boolean;
  /** Hard quota limits refuse writes with QUOTAEXCEEDED (zookeeper.enforceQuota). */
  readonly enforceQuota: boolean;
  readonly reconfigEnabled: boolean;
  /** readonlymode.enabled: an ensemble member cut off from its quorum serves read-only clients. */
  readonly readOnlyModeEnabled: boolean;
  /** zookeeper.forceSync: false writes the txn log without waiting for the disk (not crash-safe). */
  readonly forceSync: boolean;
  readonly juteMaxBuffer: number;
  readonly containerCheckIntervalMs: number;
  readonly clientTcpKeepAlive: boolean;
  /** The id session ids are made from: 1 standalone (as ZooKeeper's standalone), else myid. */
  readonly serverId: bigint;
  /** dataDir/myid, when the file exists. */
  readonly myid: bigint | undefined;
  /** fsync.warningthresholdms: a slower fsync is logged as a warning. */
  readonly fsyncWarningThresholdMs: number;
  readonly autopurge: { readonly snapRetainCount: number; readonly purgeIntervalHours: number };
  readonly admin: AdminServerConfig;
  readonly metricsProviderClassName: string;
  /** Set when metricsProvider.className is the Prometheus provider. */
  readonly prometheus: PrometheusConfig | undefined;
  readonly log: LogConfig;
  // ---- ensemble settings: parsed now, used by quorum mode ----
  readonly initLimit: number;
  readonly syncLimit: number;
  readonly connectToLearnerMasterLimit: number;
  readonly electionAlg: number;
  readonly peerType: 'participant' | 'observer';
  readonly standaloneEnabled: boolean;
  readonly dynamicConfigFile: string | undefined;
  readonly quorumListenOnAllIPs: boolean;
  readonly multiAddressEnabled: boolean;
  readonly observerMasterPort: number | undefined;
  readonly servers: readonly QuorumServer[];
  readonly groups: readonly QuorumGroup[];
  readonly weights: ReadonlyMap<bigint, number>;
  /** Where each setting came from (for messages about it later). */
  readonly locations: ReadonlyMap<string, ConfigLocation>;
  /** Every key's raw value (the `zookeeper.` prefix dropped where tszk knows the key). */
  readonly values: ReadonlyMap<string, string>;
  /** Keys the server did not recognise (also among `warnings`). */
  readonly unknownKeys: readonly string[];
  /** Everything the operator should read: unknown keys, keys tszk ignores, adjusted values. */
  readonly warnings: readonly string[];
}

/** Every four-letter word the server knows. */
export const FOUR_LETTER_WORDS = [
  'ruok', 'srvr', 'stat', 'conf', 'cons', 'crst', 'srst', 'dump', 'envi', 'mntr',
  'wchs', 'wchc', 'wchp', 'dirs', 'isro', 'hash', 'gtmk', 'stmk',
] as const;

/** A config file's name and text. */
export interface ConfigSource {
  readonly file: string;
  readonly text: string;
}

/** Files besides zoo.cfg that the configuration depends on, read by the caller. */
export interface ConfigInputs {
  /** The dynamicConfigFile's text, when zoo.cfg names one. */
  readonly dynamic?: ConfigSource;
  /** dataDir/myid, when it exists. */
  readonly myid?: ConfigSource;
  /** Environment variables (ZOO_LOG_DIR). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

type Kind = 'applied' | 'ensemble' | 'ignored';

/**
 * The keys tszk recognises. `applied` keys change what the server does; `ensemble` keys are
 * parsed for quorum mode; `ignored` keys are ZooKeeper's but have no meaning here (a JVM, TLS).
 */
const KEYS: Record<string, Kind> = {
  tickTime: 'applied', dataDir: 'applied', dataLogDir: 'applied', clientPort: 'applied', clientPortAddress: 'applied',
  clientPortListenBacklog: 'applied', maxClientCnxns: 'applied', maxCnxns: 'applied', minSessionTimeout: 'applied',
  maxSessionTimeout: 'applied', snapCount: 'applied', commitLogCount: 'applied', snapSizeLimitInKb: 'applied', txnLogSizeLimitInKb: 'applied',
  '4lw.commands.whitelist': 'applied', 'DigestAuthenticationProvider.superDigest': 'applied',
  extendedTypesEnabled: 'applied', skipACL: 'applied', reconfigEnabled: 'applied', forceSync: 'applied',
  'jute.maxbuffer': 'applied', 'znode.container.checkIntervalMs': 'applied', clientTcpKeepAlive: 'applied',
 serverId: 'applied', 'readonlymode.enabled': 'applied', 'fsync.warningthresholdms': 'applied', enforceQuota: 'applied',
  'java.security.auth.login.config': 'applied', jaasLoginConfig: 'applied', superUser: 'applied',
  'autopurge.snapRetainCount': 'applied', 'autopurge.purgeInterval': 'applied',
  'admin.enableServer': 'applied', 'admin.serverAddress': 'applied', 'admin.serverPort': 'applied',
  'admin.commandURL': 'applied', 'admin.idleTimeout': 'applied', 'admin.rateLimiterIntervalInMS': 'applied',
  'admin.snapshot.enabled': 'applied', 'admin.restore.enabled': 'applied',
  'metricsProvider.className': 'applied', 'metricsProvider.httpHost': 'applied', 'metricsProvider.httpPort': 'applied',
  'metricsProvider.exportJvmInfo': 'applied',
  'log.dir': 'applied', 'log.file': 'applied', 'log.threshold': 'applied', 'log.maxfilesize': 'applied',
  'log.maxbackupindex': 'applied',
  initLimit: 'ensemble', syncLimit: 'ensemble', connectToLearnerMasterLimit: 'ensemble', electionAlg: 'ensemble',
  peerType: 'ensemble', standaloneEnabled: 'ensemble', dynamicConfigFile: 'ensemble', quorumListenOnAllIPs: 'ensemble',
  'multiAddress.enabled': 'ensemble', 'multiAddress.reachabilityCheckTimeoutMs': 'ensemble',
  'multiAddress.reachabilityCheckEnabled': 'ensemble', observerMasterPort: 'ensemble', syncEnabled: 'ensemble',
  leaderServes: 'ensemble', cnxTimeout: 'ensemble', quorumCnxnTimeoutMs: 'ensemble',
  maxTimeToWaitForEpoch: 'ensemble', electionPortBindRetry: 'ensemble', 'quorum.cnxn.threads.size': 'ensemble',
  tcpKeepAlive: 'ensemble', oraclePath: 'ensemble',
  preAllocSize: 'ignored', globalOutstandingLimit: 'ignored', 'snapshot.trust.empty': 'ignored',
  'digest.enabled': 'ignored', 'audit.enable': 'ignored', serverCnxnFactory: 'ignored',
  'znode.container.maxPerMinute': 'ignored', 'jvm.pause.info-threshold.ms': 'ignored',
  'jvm.pause.warn-threshold.ms': 'ignored', 'jvm.pause.sleep.time.ms': 'ignored', 'jvm.pause.monitor': 'ignored',
  localSessionsEnabled: 'ignored', localSessionsUpgradingEnabled: 'ignored', 'snapshot.compression.method': 'ignored',
  secureClientPort: 'ignored', secureClientPortAddress: 'ignored', sslQuorum: 'ignored', portUnification: 'ignored',
  sslQuorumReloadCertFiles: 'ignored', 'admin.portUnification': 'ignored',
  'admin.forceHttps': 'ignored', 'admin.needClientAuth': 'ignored',
};

/** Why an `ignored` key does nothing here, for its warning. */
function ignoredReason(key: string): string {
  if (/^(secureClient|ssl|portUnification|admin\.(portUnification|forceHttps|needClientAuth))/.test(key)) return 'TLS is not supported by tszk';
  if (key.startsWith('jvm.pause')) return 'there is no JVM to monitor';
  if (key === 'snapshot.compression.method') return 'tszk writes uncompressed snapshots (it reads what ZooKeeper wrote)';
  if (key.startsWith('localSessions')) return 'local sessions are not supported by tszk';
  return 'tszk does not use it';
}

/** Prefixes ZooKeeper accepts families of keys under (server.N, ssl.*, quorum.auth.*, ...). */
function familyOf(key: string): string | undefined {
  if (/^(server|group|weight)\.\d+$/.test(key)) return 'membership';
  if (/^authProvider\.\w+$/.test(key)) return 'applied';
  if (/^(ssl|quorum\.auth|quorum\.sasl|kerberos|sasl)\./.test(key) || key.startsWith('ssl.quorum')) return 'ignored';
  if (key.startsWith('metricsProvider.')) return 'metrics';
  return undefined;
}

interface Entry {
  readonly value: string;
  readonly where: ConfigLocation;
}

/** The keys, with ZooKeeper's `zookeeper.` prefix dropped where that makes a key tszk knows. */
function collect(source: ConfigSource | undefined, overrides: Record<string, string>): { values: Map<string, Entry>; duplicates: ConfigWarning[] } {
  const values = new Map<string, Entry>();
  const duplicates: ConfigWarning[] = [];
  for (const p of source === undefined ? [] : parseProperties(source.text)) {
    let key = p.key;
    if (key.startsWith('zookeeper.') && KEYS[key] === undefined) key = key.slice('zookeeper.'.length);
    const where = { file: source?.file, line: p.line, key };
    const previous = values.get(key);
    if (previous !== undefined) {
      duplicates.push({ where, message: `given again (first on line ${previous.where.line}); the last value wins, as in ZooKeeper` });
    }
    values.set(key, { value: p.value, where });
  }
  for (const [key, value] of Object.entries(overrides)) values.set(key, { value, where: { file: undefined, line: 0, key } });
  return { values, duplicates };
}

/** dataDir and dynamicConfigFile as zoo.cfg gives them, so the caller can read myid and the dynamic file first. */
export function peekPaths(source: ConfigSource | undefined, overrides: Record<string, string> = {}): { dataDir: string | undefined; dynamicConfigFile: string | undefined } {
  const { values } = collect(source, overrides);
  return { dataDir: values.get('dataDir')?.value, dynamicConfigFile: values.get('dynamicConfigFile')?.value };
}

/** Sizes as logback writes them: 1024, 10KB, 10MB, 1GB. */
function parseSize(text: string): number | undefined {
  const match = /^(\d+)\s*(KB|MB|GB|K|M|G|B)?$/i.exec(text.trim());
  if (match === null) return undefined;
  const unit = (match[2] ?? 'B').toUpperCase()[0];
  const factor = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1;
  return Number(match[1]) * factor;
}

/** Parses zoo.cfg text (undefined: built-in defaults only) with defaults for anything left out. */
export function parseServerConfig(source: ConfigSource | undefined, overrides: Record<string, string> = {}, inputs: ConfigInputs = {}): ServerConfig {
  const { values, duplicates } = collect(source, overrides);
  const warnings: ConfigWarning[] = [...duplicates];
  const file = source?.file;
  const here = (key: string): ConfigLocation => values.get(key)?.where ?? { file, line: 0, key };
  const fail = (key: string, message: string): never => {
    throw new ConfigError(here(key), message);
  };

  const int = (key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const entry = values.get(key);
    if (entry === undefined) return fallback;
    if (!/^-?\d+$/.test(entry.value)) fail(key, `expected an integer, got "${entry.value}"`);
    const value = Number(entry.value);
    if (value < min) fail(key, `must be at least ${min}, got ${value}`);
    if (value > max) fail(key, `must be at most ${max}, got ${value}`);
    return value;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const entry = values.get(key);
    if (entry === undefined) return fallback;
    const v = entry.value.toLowerCase();
    if (v === 'true' || v === 'yes') return true;
    if (v === 'false' || v === 'no') return false;
    return fail(key, `expected true or false (or yes/no), got "${entry.value}"`);
  };
  const str = (key: string, fallback: string): string => values.get(key)?.value ?? fallback;
  const portNumber = (key: string, fallback: number, allowZero: boolean): number => {
    const value = int(key, fallback, allowZero ? 0 : 1);
    if (value > 65535) fail(key, `expected a port number (${allowZero ? 0 : 1}-65535), got ${value}`);
    return value;
  };
  const size = (key: string, fallback: number): number => {
    const entry = values.get(key);
    if (entry === undefined) return fallback;
    const value = parseSize(entry.value);
    if (value === undefined || value < 1) return fail(key, `expected a size such as 10MB or 1048576, got "${entry.value}"`);
    return value;
  };

  // ---- keys nobody knows, keys with no effect here ----
  const unknownKeys: string[] = [];
  for (const [key, entry] of values) {
    const kind = KEYS[key] ?? familyOf(key);
    if (kind === undefined) {
      unknownKeys.push(key);
      warnings.push({ where: entry.where, message: 'unknown key, ignored (ZooKeeper would only turn it into the system property zookeeper.' + key + ')' });
    } else if (kind === 'ignored' && !isHarmlessDefault(key, entry.value)) {
      warnings.push({ where: entry.where, message: `accepted but not used: ${ignoredReason(key)}` });
    }
  }

  // ---- the basics ----
  const tickTimeMs = int('tickTime', 3000, 1);
  const dataDir = str('dataDir', '');
  if (dataDir === '') throw new ConfigError({ file, line: 0, key: 'dataDir' }, 'is not set: add dataDir=<directory for snapshots and myid> to the config');
  const minRaw = int('minSessionTimeout', -1, -1);
  const maxRaw = int('maxSessionTimeout', -1, -1);
  const minSessionTimeoutMs = minRaw <= 0 ? tickTimeMs * 2 : minRaw;
  const maxSessionTimeoutMs = maxRaw <= 0 ? tickTimeMs * 20 : maxRaw;
  if (minSessionTimeoutMs > maxSessionTimeoutMs) {
    fail(values.has('minSessionTimeout') ? 'minSessionTimeout' : 'maxSessionTimeout',
      `minSessionTimeout (${minSessionTimeoutMs} ms) must not be larger than maxSessionTimeout (${maxSessionTimeoutMs} ms)`);
  }
  const whitelist = parseWhitelist(str('4lw.commands.whitelist', 'srvr,ruok,isro'), here('4lw.commands.whitelist'), warnings);

  // ---- membership (server.N, group, weight), from zoo.cfg or the dynamic file ----
  const multiAddressEnabled = bool('multiAddress.enabled', false);
  const dynamicConfigFile = values.get('dynamicConfigFile')?.value;
  const membership = parseMembership(values, inputs.dynamic, dynamicConfigFile, multiAddressEnabled, warnings);

  // ---- myid ----
  const myid = parseMyid(inputs.myid);
  const own = myid === undefined ? undefined : membership.servers.find((s) => s.id === myid);
  let clientPort = portNumber('clientPort', 2181, true);
  let clientPortAddress = str('clientPortAddress', '0.0.0.0');
  if (own?.clientPort !== undefined) {
    // ZooKeeper takes the client address from this server's line; zoo.cfg must not contradict it.
    if (values.has('clientPort') && clientPort !== own.clientPort) {
      fail('clientPort', `is ${clientPort}, but this server's line (server.${own.id}, ${describeLine(own)}) says ${own.clientPort}; remove one or make them agree`);
    }
    clientPort = own.clientPort;
    if (!values.has('clientPortAddress') || own.clientAddress !== '0.0.0.0') clientPortAddress = own.clientAddress ?? clientPortAddress;
  }
  if (values.has('clientPortAddress') && !values.has('clientPort') && own?.clientPort === undefined && source !== undefined) {
    warnings.push({ where: here('clientPortAddress'), message: 'is set but clientPort is not; using the default client port 2181' });
  }

  const peerType = str('peerType', 'participant').toLowerCase();
  if (peerType !== 'participant' && peerType !== 'observer') fail('peerType', `expected participant or observer, got "${str('peerType', '')}"`);
  const electionAlg = int('electionAlg', 3, 0);
  if (electionAlg !== 3) fail('electionAlg', `only 3 (fast leader election over TCP) exists since ZooKeeper 3.6, got ${electionAlg}`);

  // ---- autopurge ----
  let snapRetainCount = int('autopurge.snapRetainCount', MIN_SNAP_RETAIN_COUNT, 0);
  if (snapRetainCount < MIN_SNAP_RETAIN_COUNT) {
    warnings.push({ where: here('autopurge.snapRetainCount'), message: `${snapRetainCount} is below the minimum; using ${MIN_SNAP_RETAIN_COUNT} (as ZooKeeper does)` });
    snapRetainCount = MIN_SNAP_RETAIN_COUNT;
  }
  const purgeIntervalHours = int('autopurge.purgeInterval', 0, Number.MIN_SAFE_INTEGER);

  // ---- admin server and metrics ----
  const commandUrl = str('admin.commandURL', '/commands');
  if (!commandUrl.startsWith('/')) fail('admin.commandURL', `expected a path starting with '/', got "${commandUrl}"`);
  const admin: AdminServerConfig = {
    enabled: bool('admin.enableServer', true),
    address: str('admin.serverAddress', '0.0.0.0'),
    port: portNumber('admin.serverPort', 8080, true),
    commandUrl: commandUrl.length > 1 ? commandUrl.replace(/\/+$/, '') : commandUrl,
    idleTimeoutMs: int('admin.idleTimeout', 30_000, 1),
    rateLimiterIntervalMs: int('admin.rateLimiterIntervalInMS', 300_000, 0),
    snapshotEnabled: bool('admin.snapshot.enabled', true),
    restoreEnabled: bool('admin.restore.enabled', true),
  };
  const metricsProviderClassName = str('metricsProvider.className', DEFAULT_METRICS_PROVIDER);
  if (metricsProviderClassName !== DEFAULT_METRICS_PROVIDER && metricsProviderClassName !== PROMETHEUS_METRICS_PROVIDER) {
    fail('metricsProvider.className', `expected ${DEFAULT_METRICS_PROVIDER} or ${PROMETHEUS_METRICS_PROVIDER}, got "${metricsProviderClassName}"`);
  }
  const prometheus = metricsProviderClassName === PROMETHEUS_METRICS_PROVIDER
    ? { host: str('metricsProvider.httpHost', '0.0.0.0'), port: portNumber('metricsProvider.httpPort', 7000, true), exportJvmInfo: bool('metricsProvider.exportJvmInfo', true) }
    : undefined;

  // ---- logs ----
  const level = str('log.threshold', 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(level as LogLevel)) fail('log.threshold', `expected one of ${LOG_LEVELS.join(', ')}, got "${str('log.threshold', '')}"`);
  const envLogDir = inputs.env?.ZOO_LOG_DIR;
  const log: LogConfig = {
    dir: envLogDir !== undefined && envLogDir !== '' ? envLogDir : values.get('log.dir')?.value,
    file: values.get('log.file')?.value,
    level: level as LogLevel,
    maxFileBytes: size('log.maxfilesize', 10 * 1024 * 1024),
    maxBackupIndex: int('log.maxbackupindex', 10, 0, limits.logBackupFilesMax),
  };

  const snapSizeLimitKb = int('snapSizeLimitInKb', 4_194_304, Number.MIN_SAFE_INTEGER);
  const txnLogSizeLimitKb = int('txnLogSizeLimitInKb', -1, Number.MIN_SAFE_INTEGER);
  const config: ServerConfig = {
    file,
    text: source?.text ?? '',
    tickTimeMs,
    dataDir,
    dataLogDir: str('dataLogDir', dataDir),
    clientPort,
    clientPortAddress,
    clientPortListenBacklog: int('clientPortListenBacklog', -1, -1),
    maxClientCnxns: int('maxClientCnxns', 60, 0),
    maxCnxns: int('maxCnxns', 0, 0),
    minSessionTimeoutMs,
    maxSessionTimeoutMs,
    snapCount: int('snapCount', 100_000, 2),
    commitLogCount: int('commitLogCount', 500, 1),
    snapSizeLimitBytes: snapSizeLimitKb > 0 ? snapSizeLimitKb * 1024 : 0,
    txnLogSizeLimitBytes: txnLogSizeLimitKb > 0 ? txnLogSizeLimitKb * 1024 : 0,
    fourLetterWhitelist: whitelist,
    superDigest: values.get('DigestAuthenticationProvider.superDigest')?.value,
    saslEnabled: [...values].some(([key, entry]) => /^authProvider\./.test(key) && entry.value.endsWith('SASLAuthenticationProvider')),
    jaasLoginConfig: values.get('jaasLoginConfig')?.value ?? values.get('java.security.auth.login.config')?.value,
    saslSuperUser: values.get('superUser')?.value,
    extendedTypesEnabled: bool('extendedTypesEnabled', false),
    skipAcl: bool('skipACL', false),
    enforceQuota: bool('enforceQuota', false),
    reconfigEnabled: bool('reconfigEnabled', false),
    readOnlyModeEnabled: bool('readonlymode.enabled', false),
    forceSync: bool('forceSync', true),
    juteMaxBuffer: int('jute.maxbuffer', limits.juteMaxBuffer, 1),
    containerCheckIntervalMs: int('znode.container.checkIntervalMs', 60_000, 1),
    clientTcpKeepAlive: bool('clientTcpKeepAlive', false),
    serverId: BigInt(int('serverId', 1, 0, 255)),
    myid,
    fsyncWarningThresholdMs: int('fsync.warningthresholdms', 1000, 0),
    autopurge: { snapRetainCount, purgeIntervalHours },
    admin,
    metricsProviderClassName,
    prometheus,
    log,
    initLimit: int('initLimit', 0, 0),
    syncLimit: int('syncLimit', 0, 0),
    connectToLearnerMasterLimit: int('connectToLearnerMasterLimit', 0, 0),
    electionAlg,
    peerType: peerType as 'participant' | 'observer',
    standaloneEnabled: bool('standaloneEnabled', true),
    dynamicConfigFile,
    quorumListenOnAllIPs: bool('quorumListenOnAllIPs', false),
    multiAddressEnabled,
    observerMasterPort: values.has('observerMasterPort') ? portNumber('observerMasterPort', 0, false) : undefined,
    servers: membership.servers,
    groups: membership.groups,
    weights: membership.weights,
    locations: new Map([...values].map(([k, e]) => [k, e.where])),
    values: new Map([...values].map(([k, e]) => [k, e.value])),
    unknownKeys,
    warnings: warnings.map(formatWarning),
  };
  // Validate the remaining typed keys even though nothing reads them yet, so typos fail early.
  for (const key of ['connectToLearnerMasterLimit', 'commitLogCount', 'cnxTimeout', 'quorumCnxnTimeoutMs', 'maxTimeToWaitForEpoch', 'electionPortBindRetry', 'preAllocSize', 'globalOutstandingLimit']) int(key, 0, 0);
  for (const key of ['syncEnabled', 'leaderServes', 'tcpKeepAlive', 'snapshot.trust.empty', 'digest.enabled', 'audit.enable']) bool(key, false);
  return Object.freeze(config);
}

/** Values of ignored keys that ask for nothing (so they need no warning). */
function isHarmlessDefault(key: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['false', 'no', ''].includes(v)) return true;
  if (key === 'snapshot.compression.method') return v === '';
  return ['preAllocSize', 'globalOutstandingLimit', 'digest.enabled', 'snapshot.trust.empty', 'serverCnxnFactory', 'znode.container.maxPerMinute'].includes(key);
}

function parseWhitelist(text: string, where: ConfigLocation, warnings: ConfigWarning[]): ReadonlySet<string> {
  const words = text.split(',').map((w) => w.trim()).filter((w) => w !== '');
  if (words.includes('*')) return new Set(FOUR_LETTER_WORDS);
  const known = new Set<string>(FOUR_LETTER_WORDS);
  for (const w of words) if (!known.has(w)) warnings.push({ where, message: `"${w}" is not a four-letter word (known: ${FOUR_LETTER_WORDS.join(', ')})` });
  // zkServer.sh status needs srvr, so ZooKeeper always allows it.
  return new Set(['srvr', ...words.filter((w) => known.has(w))]);
}

function parseMyid(myid: ConfigSource | undefined): bigint | undefined {
  if (myid === undefined) return undefined;
  const first = myid.text.split(/\r?\n/)[0]!.trim();
  if (!/^\d+$/.test(first)) {
    throw new ConfigError({ file: myid.file, line: 1, key: 'myid' }, `expected this server's id as a decimal number (the N of its server.N line), got "${first}"`);
  }
  return BigInt(first);
}

function describeLine(server: QuorumServer): string {
  const where = server.where;
  return where.file === undefined ? `line ${where.line}` : `${where.file}:${where.line}`;
}

interface Membership {
  servers: QuorumServer[];
  groups: QuorumGroup[];
  weights: Map<bigint, number>;
}

function parseMembership(
  values: Map<string, Entry>, dynamic: ConfigSource | undefined, dynamicConfigFile: string | undefined,
  multiAddressEnabled: boolean, warnings: ConfigWarning[],
): Membership {
  const entries: Entry[] = [];
  for (const [key, entry] of values) {
    if (!/^(server|group|weight)\./.test(key)) continue;
    if (dynamicConfigFile !== undefined) {
      throw new ConfigError(entry.where, `must be in the dynamic config file (${dynamicConfigFile}) when dynamicConfigFile is set, not in the static one`);
    }
    entries.push(entry);
  }
  if (dynamic !== undefined) {
    for (const p of parseProperties(dynamic.text)) {
      const where = { file: dynamic.file, line: p.line, key: p.key };
      if (p.key === 'version') continue;
      if (!/^(server|group|weight)\./.test(p.key)) throw new ConfigError(where, 'only server.N, group.N, weight.N and version belong in a dynamic config file');
      entries.push({ value: p.value, where });
    }
  }
  const servers = new Map<bigint, QuorumServer>();
  const groups: QuorumGroup[] = [];
  const weights = new Map<bigint, number>();
  for (const entry of entries) {
    const key = entry.where.key;
    const match = /^(server|group|weight)\.(.*)$/.exec(key)!;
    if (!/^\d+$/.test(match[2]!)) throw new ConfigError(entry.where, `expected ${match[1]}.<number>, got "${key}"`);
    const id = BigInt(match[2]!);
    if (match[1] === 'server') {
      const previous = servers.get(id);
      if (previous !== undefined && previous.where.file !== entry.where.file) {
        warnings.push({ where: entry.where, message: `server.${id} is also given at ${describeLine(previous)}; the last one wins` });
      }
      servers.set(id, parseServerLine(id, entry.value, entry.where, multiAddressEnabled));
    } else if (match[1] === 'group') {
      groups.push(parseGroupLine(id, entry.value, entry.where));
    } else {
      if (!/^\d+$/.test(entry.value)) throw new ConfigError(entry.where, `expected a non-negative integer weight, got "${entry.value}"`);
      weights.set(id, Number(entry.value));
    }
  }
  const list = [...servers.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const group of groups) {
    for (const member of group.members) {
      if (!servers.has(member)) warnings.push({ where: { file: undefined, line: 0, key: `group.${group.id}` }, message: `names server ${member}, which has no server.${member} line` });
    }
  }
  return { servers: list, groups, weights };
}

/** Keys QuorumPeerConfig handles itself; ZooKeeper turns every other zoo.cfg key into a system property. */
const QUORUM_PEER_CONFIG_KEYS = new Set([
  'dataDir', 'dataLogDir', 'clientPort', 'localSessionsEnabled', 'localSessionsUpgradingEnabled', 'clientPortAddress',
  'secureClientPort', 'secureClientPortAddress', 'observerMasterPort', 'clientPortListenBacklog', 'tickTime', 'maxClientCnxns',
  'minSessionTimeout', 'maxSessionTimeout', 'initLimit', 'syncLimit', 'connectToLearnerMasterLimit', 'electionAlg',
  'quorumListenOnAllIPs', 'peerType', 'syncEnabled', 'dynamicConfigFile', 'autopurge.snapRetainCount', 'autopurge.purgeInterval',
  'standaloneEnabled', 'reconfigEnabled', 'sslQuorum', 'portUnification', 'sslQuorumReloadCertFiles', 'quorum.cnxn.threads.size',
  'multiAddress.enabled', 'multiAddress.reachabilityCheckTimeoutMs', 'multiAddress.reachabilityCheckEnabled', 'oraclePath',
]);

/** The `zookeeper.*` system properties ZooKeeper would have set from this zoo.cfg (for `system_properties`). */
export function configSystemProperties(config: Pick<ServerConfig, 'values'>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of config.values) {
    if (QUORUM_PEER_CONFIG_KEYS.has(key) || /^(server|group|weight)\./.test(key) || key.startsWith('metricsProvider.') || key.startsWith('quorum.auth.')) continue;
    out.push([`zookeeper.${key}`, value]);
  }
  return out;
}

/** The participants (voting members): servers whose type is participant and whose weight is not 0. */
export function votingServers(config: Pick<ServerConfig, 'servers' | 'weights'>): QuorumServer[] {
  return config.servers.filter((s) => s.type === 'participant' && (config.weights.get(s.id) ?? 1) > 0);
}
