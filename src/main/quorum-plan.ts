/**
 * From zoo.cfg's membership to what the quorum host needs: who votes, who observes, where each
 * server's quorum link listens, and the limits in peer ticks. tszk's servers talk over one link
 * per pair, on the election port of each `server.N` line (the quorum port is reserved for the
 * same purpose, as ZooKeeper's leader listens there; tszk needs just one).
 */
import type { ServerConfig } from '../config/server-config.js';
import type { QuorumAddress } from '../ports/peer-links.js';
import { observersOf, votersOf, type Membership } from '../config/membership.js';

/** One peer tick: election rounds and pings run on it; ZooKeeper's finalize wait is 200 ms = 4 ticks. */
export const PEER_TICK_MS = 50;

export interface QuorumPlan {
  readonly self: bigint;
  /** The membership in effect at start; voters and observers follow from it. */
  readonly membership: Membership;
  readonly voters: ReadonlySet<bigint>;
  readonly observers: ReadonlySet<bigint>;
  /** Where this server's quorum link listens, and where the others' are. */
  readonly listen: QuorumAddress;
  readonly peers: ReadonlyMap<bigint, QuorumAddress>;
  /** One peer tick, ms (election timing, pings, limits). */
  readonly peerTickMs: number;
  readonly initLimitTicks: number;
  readonly syncLimitTicks: number;
  /** Committed txns kept in memory for DIFF (commitLogCount). */
  readonly historyRetained: number;
}

/**
 * The plan for a config that `decideMode` put in quorum mode, with `membership` in effect (the
 * config's own server lines, or a later one a committed reconfig left in /zookeeper/config).
 */
export function quorumPlan(config: ServerConfig, membership: Membership = staticMembership(config)): QuorumPlan {
  const self = membership.servers.find((s) => s.id === config.myid);
  if (self === undefined) throw new Error(`myid ${config.myid} names no server.N line in the membership (version ${membership.version.toString(16)})`);
  const peers = peerAddresses(membership, self.id);
  const ticks = (limit: number): number => Math.max(4, Math.ceil((limit * config.tickTimeMs) / PEER_TICK_MS));
  return {
    self: self.id, voters: votersOf(membership), observers: observersOf(membership), peers, membership,
    listen: { host: self.host, port: self.electionPort },
    peerTickMs: PEER_TICK_MS,
    initLimitTicks: ticks(config.initLimit),
    syncLimitTicks: ticks(config.syncLimit),
    historyRetained: config.commitLogCount,
  };
}

/** The membership zoo.cfg (and its dynamic file) names: version 0. */
export function staticMembership(config: ServerConfig): Membership {
  return { servers: config.servers, version: 0n };
}

/** The election addresses of every member but `self`. */
export function peerAddresses(membership: Membership, self: bigint): Map<bigint, QuorumAddress> {
  const peers = new Map<bigint, QuorumAddress>();
  for (const s of membership.servers) if (s.id !== self) peers.set(s.id, { host: s.host, port: s.electionPort });
  return peers;
}
