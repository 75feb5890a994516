/**
 * From zoo.cfg's membership to what the quorum host needs: who votes, who observes, where each
 * server's quorum link listens, and the limits in peer ticks. tszk's servers talk over one link
 * per pair, on the election port of each `server.N` line (the quorum port is reserved for the
 * same purpose, as ZooKeeper's leader listens there; tszk needs just one).
 */
import type { ServerConfig } from '../config/server-config.js';
import type { QuorumAddress } from '../runtime/quorum-transport.js';

/** One peer tick: election rounds and pings run on it; ZooKeeper's finalize wait is 200 ms = 4 ticks. */
export const PEER_TICK_MS = 50;

export interface QuorumPlan {
  readonly self: bigint;
  readonly voters: Set<bigint>;
  readonly observers: Set<bigint>;
  readonly listen: QuorumAddress;
  readonly peers: Map<bigint, QuorumAddress>;
  readonly peerTickMs: number;
  readonly initLimitTicks: number;
  readonly syncLimitTicks: number;
  readonly historyRetained: number;
}

/** The plan for a config that `decideMode` put in quorum mode (myid names a server.N line). */
export function quorumPlan(config: ServerConfig): QuorumPlan {
  const self = config.servers.find((s) => s.id === config.myid);
  if (self === undefined) throw new Error(`myid ${config.myid} names no server.N line`);
  const voters = new Set(config.servers.filter((s) => s.type === 'participant').map((s) => s.id));
  const observers = new Set(config.servers.filter((s) => s.type === 'observer').map((s) => s.id));
  const peers = new Map<bigint, QuorumAddress>();
  for (const s of config.servers) if (s.id !== self.id) peers.set(s.id, { host: s.host, port: s.electionPort });
  const ticks = (limit: number): number => Math.max(4, Math.ceil((limit * config.tickTimeMs) / PEER_TICK_MS));
  return {
    self: self.id, voters, observers, peers,
    listen: { host: self.host, port: self.electionPort },
    peerTickMs: PEER_TICK_MS,
    initLimitTicks: ticks(config.initLimit),
    syncLimitTicks: ticks(config.syncLimit),
    historyRetained: config.commitLogCount,
  };
}

/**
 * What /zookeeper/config holds in an ensemble (QuorumVerifier.toString): one
 * `server.N=host:quorumPort:electionPort:participant|observer[;clientHost:clientPort]` line per
 * member, then `version=<hex>` (0 for a static config).
 */
export function membershipText(config: ServerConfig): string {
  const bracket = (host: string): string => (host.includes(':') ? `[${host}]` : host);
  const lines = config.servers.map((s) => {
    const addresses = s.addresses.map((a) => `${bracket(a.host)}:${a.quorumPort}:${a.electionPort}`).join('|');
    const client = s.clientPort === undefined ? '' : `;${bracket(s.clientAddress ?? '0.0.0.0')}:${s.clientPort}`;
    return `server.${s.id}=${addresses}:${s.type}${client}`;
  });
  return `${lines.join('\n')}\nversion=0`;
}
