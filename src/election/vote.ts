/**
 * Votes and notifications of fast leader election (ZooKeeper's FastLeaderElection), and the
 * order that decides between two proposals.
 */

/** A server id (the N of server.N). */
export type ServerId = bigint;

/** Peer states, with ZooKeeper's wire ordinals. */
export const PeerState = { LOOKING: 0, FOLLOWING: 1, LEADING: 2, OBSERVING: 3 } as const;
export type PeerStateValue = (typeof PeerState)[keyof typeof PeerState];

/** A proposal: who should lead, with that server's last zxid and epoch. */
export interface Proposal {
  readonly leader: ServerId;
  readonly zxid: bigint;
  readonly peerEpoch: bigint;
}

/** What one server tells another: its current proposal, its round and its state. */
export interface Notification extends Proposal {
  /** The election round (logicalclock) the sender is in. */
  readonly electionEpoch: bigint;
  readonly state: PeerStateValue;
}

/** The proposal of a server that must never win (an observer proposes nobody). */
export const NO_PROPOSAL: Proposal = { leader: -0x8000_0000_0000_0000n, zxid: -0x8000_0000_0000_0000n, peerEpoch: -0x8000_0000_0000_0000n };

/**
 * totalOrderPredicate: does `candidate` beat `current`? Higher peerEpoch wins, then higher zxid,
 * then higher server id. A server that cannot vote (an observer) never wins.
 */
export function beats(candidate: Proposal, current: Proposal, canLead: (id: ServerId) => boolean): boolean {
  if (!canLead(candidate.leader)) return false;
  if (candidate.peerEpoch !== current.peerEpoch) return candidate.peerEpoch > current.peerEpoch;
  if (candidate.zxid !== current.zxid) return candidate.zxid > current.zxid;
  return candidate.leader > current.leader;
}

export function sameProposal(a: Proposal, b: Proposal): boolean {
  return a.leader === b.leader && a.zxid === b.zxid && a.peerEpoch === b.peerEpoch;
}
