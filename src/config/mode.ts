/**
 * "I configured a cluster - why does it say standalone?" Decides, from a parsed config and what
 * the caller found on disk, whether this server runs standalone or as an ensemble member, and
 * says why in words an operator can act on. ZooKeeper's rules (QuorumPeerMain, QuorumPeerConfig):
 *
 * - no server.N lines: standalone;
 * - exactly one voting server and standaloneEnabled=true: standalone, the line is ignored
 *   ("Invalid configuration, only one server specified (ignoring)");
 * - otherwise (two or more voting servers, or one with standaloneEnabled=false): quorum mode,
 *   where a missing myid, initLimit or syncLimit is fatal.
 *
 * Pure: the caller reads myid into the config and probes the dataDir.
 */
import { votingServers, type QuorumServer, type ServerConfig } from './server-config.js';

/** What the caller learned from the disk. */
export interface ModeFacts {
  /** Why dataDir cannot be used (missing and not creatable, not writable); undefined when fine. */
  readonly dataDirProblem?: string | undefined;
  readonly dataLogDirProblem?: string | undefined;
}

export interface ModeDecision {
  readonly mode: 'standalone' | 'quorum';
  /** One sentence: why this mode. */
  readonly reason: string;
  /** What to change to get an ensemble (or to fix what is wrong); undefined when nothing is off. */
  readonly fix: string | undefined;
  /** Standalone although the config mentions other servers: say it loudly at start. */
  readonly loud: boolean;
  /** This server's own server.N line, when myid names one. */
  readonly self: QuorumServer | undefined;
  /** What would stop this server from joining its ensemble (myid, initLimit, ports). */
  readonly problems: readonly string[];
  /** What stops the server from starting at all, in either mode (dataDir, clashing ports). */
  readonly errors: readonly string[];
}

function where(config: ServerConfig): string {
  return config.file ?? 'the built-in defaults';
}

function serverList(servers: readonly QuorumServer[]): string {
  return servers.map((s) => `server.${s.id}`).join(', ');
}

/** Listening addresses overlap when either is a wildcard or they are equal. */
function overlaps(a: string, b: string): boolean {
  const wildcard = (x: string): boolean => x === '0.0.0.0' || x === '::' || x === '';
  return wildcard(a) || wildcard(b) || a === b;
}

/** Ports this server listens on in standalone mode that collide with each other. */
function standalonePortClashes(config: ServerConfig): string[] {
  const listeners: Array<{ what: string; address: string; port: number }> = [
    { what: `clientPort ${config.clientPort}`, address: config.clientPortAddress, port: config.clientPort },
  ];
  if (config.admin.enabled) listeners.push({ what: `admin.serverPort ${config.admin.port}`, address: config.admin.address, port: config.admin.port });
  if (config.prometheus !== undefined) listeners.push({ what: `metricsProvider.httpPort ${config.prometheus.port}`, address: config.prometheus.host, port: config.prometheus.port });
  const out: string[] = [];
  for (let i = 0; i < listeners.length; i++) {
    for (let j = i + 1; j < listeners.length; j++) {
      const a = listeners[i]!;
      const b = listeners[j]!;
      if (a.port !== 0 && a.port === b.port && overlaps(a.address, b.address)) {
        out.push(`ports clash: ${a.what} and ${b.what} are the same port; give each its own port`);
      }
    }
  }
  return out;
}

/** Ports an ensemble member would use twice: its own line against clientPort, or two lines on one host. */
function quorumPortClashes(config: ServerConfig, self: QuorumServer | undefined): string[] {
  const out: string[] = [];
  if (self !== undefined) {
    for (const [what, port] of [['quorum port', self.quorumPort], ['election port', self.electionPort]] as const) {
      if (port === config.clientPort) out.push(`ports clash: server.${self.id}'s ${what} ${port} is also the clientPort`);
      if (config.admin.enabled && port === config.admin.port) out.push(`ports clash: server.${self.id}'s ${what} ${port} is also admin.serverPort`);
    }
  }
  const seen = new Map<string, string>();
  for (const server of config.servers) {
    for (const [what, port] of [['quorum port', server.quorumPort], ['election port', server.electionPort]] as const) {
      const key = `${server.host}:${port}`;
      const previous = seen.get(key);
      if (previous !== undefined) out.push(`ports clash: server.${server.id}'s ${what} ${key} is also ${previous}; servers on one host need distinct ports`);
      else seen.set(key, `server.${server.id}'s ${what}`);
    }
  }
  return out;
}

function myidProblems(config: ServerConfig): string[] {
  const myidFile = `${config.dataDir}/myid`;
  if (config.myid === undefined) {
    return [`${myidFile} is missing, so this server does not know which server.N it is (write its N there: echo N > ${myidFile})`];
  }
  const self = config.servers.find((s) => s.id === config.myid);
  if (self === undefined) {
    return [`${myidFile} says ${config.myid}, but ${where(config)} has no server.${config.myid} line (it has ${serverList(config.servers)})`];
  }
  return [];
}

/** Decides the mode; throws nothing (invalid membership is reported in `errors`). */
export function decideMode(config: ServerConfig, facts: ModeFacts = {}): ModeDecision {
  const errors: string[] = [];
  if (facts.dataDirProblem !== undefined) errors.push(`dataDir ${config.dataDir} cannot be used: ${facts.dataDirProblem}`);
  if (facts.dataLogDirProblem !== undefined && config.dataLogDir !== config.dataDir) errors.push(`dataLogDir ${config.dataLogDir} cannot be used: ${facts.dataLogDirProblem}`);
  const voters = votingServers(config);
  const observers = config.servers.filter((s) => s.type === 'observer');
  const self = config.myid === undefined ? undefined : config.servers.find((s) => s.id === config.myid);
  const base = { self, errors };

  if (config.file === undefined) {
    errors.push(...standalonePortClashes(config));
    return {
      ...base, mode: 'standalone', loud: false, problems: [],
      reason: 'no zoo.cfg was given, so the quick-start defaults are used',
      fix: 'pass a config file (zk-server start path/to/zoo.cfg); for an ensemble it needs server.N lines and each server a dataDir/myid',
    };
  }
  if (voters.length === 0) {
    if (observers.length > 0) errors.push(`${where(config)} has only observers (${serverList(observers)}): observers need voting servers (participants) to follow`);
    if (!config.standaloneEnabled) errors.push(`standaloneEnabled=false needs at least one voting server.N line in ${where(config)}`);
    errors.push(...standalonePortClashes(config));
    return {
      ...base, mode: 'standalone', loud: false, problems: [],
      reason: `${where(config)} has no server.N lines, so this is a single standalone server`,
      fix: 'add one server.N=host:2888:3888 line per member (3 or 5 voting servers) to every member\'s zoo.cfg and write each member\'s N to its dataDir/myid',
    };
  }
  if (voters.length === 1 && config.standaloneEnabled) {
    if (observers.length > 0) errors.push(`${where(config)} has observers (${serverList(observers)}) but only one voting server: observers need a quorum to follow`);
    errors.push(...standalonePortClashes(config));
    const only = voters[0]!;
    const problems = myidProblems(config);
    return {
      ...base, mode: 'standalone', loud: true, problems,
      reason: `${where(config)} has only one voting server (server.${only.id}, line ${only.where.line}) and standaloneEnabled=true, so ZooKeeper ignores the server line and runs standalone ("Invalid configuration, only one server specified (ignoring)")`,
      fix: 'add the other members\' server.N lines (at least 3 voting servers to survive a failure) and a dataDir/myid on each, or set standaloneEnabled=false for a one-server ensemble that can grow with reconfig',
    };
  }
  // Quorum mode: everything that would make it fail is a problem to report together.
  const problems = [...myidProblems(config)];
  if (config.initLimit === 0) problems.push('initLimit is not set (ticks a follower may take to connect and sync to the leader, e.g. initLimit=10)');
  if (config.syncLimit === 0) problems.push('syncLimit is not set (ticks a follower may lag behind the leader, e.g. syncLimit=5)');
  if (self !== undefined && self.type !== config.peerType && config.locations.has('peerType')) {
    problems.push(`peerType=${config.peerType} but server.${self.id} is a ${self.type}; ZooKeeper goes by the server line`);
  }
  problems.push(...quorumPortClashes(config, self));
  if (config.groups.length > 0 || config.weights.size > 0) {
    problems.push('hierarchical quorums (group.N / weight.N) are not supported by tszk yet; remove those lines to use a majority of the voting servers');
  }
  const count = voters.length === 1 ? 'one voting server with standaloneEnabled=false' : `${voters.length} voting servers (${serverList(voters)})`;
  return {
    ...base, mode: 'quorum', loud: true, problems,
    reason: `${where(config)} configures an ensemble: ${count}${observers.length > 0 ? ` and ${observers.length} observer(s)` : ''}`,
    fix: problems.length > 0 ? problems.join('; ') : undefined,
  };
}
