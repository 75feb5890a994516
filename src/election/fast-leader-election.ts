/**
 * Fast leader election as a pure state machine (ZooKeeper's FastLeaderElection, electionAlg=3).
 * The host feeds it `step(from, notification)` and `tick()`, sends what `Ready.messages` lists,
 * and acts on `Ready.decided`. No IO, no clocks: time is ticks.
 *
 * Contract: messages may be lost, duplicated, delayed or reordered; a decision is reached once
 * the messages of a quorum get through. A decided server keeps answering LOOKING peers with the
 * vote it decided on, so that late joiners learn the leader (`serve`).
 */
import { assert } from '../util/assert.js';
import { beats, NO_PROPOSAL, PeerState, sameProposal, type Notification, type PeerStateValue, type Proposal, type ServerId } from './vote.js';

export interface ElectionConfig {
  readonly self: ServerId;
  /** Voting members (participants), self included when self votes. */
  readonly voters: ReadonlySet<ServerId>;
  /** Every server to talk to: voters and observers. */
  readonly peers: ReadonlySet<ServerId>;
  /** Ticks to wait for a better vote after a quorum agrees (finalizeWait, 200 ms in ZooKeeper). */
  readonly finalizeWaitTicks: number;
  /** First and largest resend interval while nothing arrives (200 ms doubling to 60 s in ZooKeeper). */
  readonly resendTicksMin: number;
  readonly resendTicksMax: number;
}

/** The outcome: who leads, and what this server becomes. */
export interface Decision {
  readonly vote: Notification;
  readonly state: PeerStateValue;
}

/** What the host must do after a step or tick. */
export interface Ready {
  /** Notifications to send, in order. */
  readonly messages: Array<{ to: ServerId; notification: Notification }>;
  /** Set once, when this round ends; the host then leaves LOOKING. */
  readonly decided?: Decision;
}

interface Recorded extends Notification {}

export class FastLeaderElection {
  private logicalClock = 0n;
  private proposal: Proposal = NO_PROPOSAL;
  private state: PeerStateValue = PeerState.LOOKING;
  /** Votes of LOOKING voters in this round. */
  private readonly received = new Map<ServerId, Recorded>();
  /** Votes of servers that already follow or lead. */
  private readonly outOfElection = new Map<ServerId, Recorded>();
  private finalizeDeadline: number | undefined;
  private ticks = 0;
  private resendInterval: number;
  private nextResend: number;
  private lastZxid = 0n;
  private currentEpoch = 0n;
  /** The vote decided on, served to LOOKING peers while not LOOKING. */
  private served: Notification | undefined;
  /** The membership: starts as configured, changes with committed reconfigs. */
  private voters: ReadonlySet<ServerId>;
  private peers: ReadonlySet<ServerId>;

  constructor(private readonly config: ElectionConfig) {
    this.voters = config.voters;
    this.peers = config.peers;
    assert(config.finalizeWaitTicks >= 1 && config.resendTicksMin >= 1 && config.resendTicksMax >= config.resendTicksMin, 'bad election timing');
    this.resendInterval = config.resendTicksMin;
    this.nextResend = config.resendTicksMin;
  }

  get isLooking(): boolean {
    return this.state === PeerState.LOOKING;
  }

  get round(): bigint {
    return this.logicalClock;
  }

  private canLead = (id: ServerId): boolean => this.voters.has(id);

  /** A committed reconfig changed who votes and whom to talk to. */
  setMembership(voters: ReadonlySet<ServerId>, peers: ReadonlySet<ServerId>): void {
    this.voters = voters;
    this.peers = peers;
  }

  private ownProposal(): Proposal {
    return this.canLead(this.config.self) ? { leader: this.config.self, zxid: this.lastZxid, peerEpoch: this.currentEpoch } : NO_PROPOSAL;
  }

  private notification(): Notification {
    return { ...this.proposal, electionEpoch: this.logicalClock, state: this.state };
  }

  /** Everyone we send our vote to: voters (self included, as ZooKeeper loops back its own vote). */
  private broadcast(): Ready['messages'] {
    const n = this.notification();
    const out: Ready['messages'] = [];
    for (const to of this.voters) out.push({ to, notification: n });
    return out;
  }

  /** Starts a new round with this server's last logged zxid and current epoch. */
  start(lastZxid: bigint, currentEpoch: bigint): Ready {
    this.state = PeerState.LOOKING;
    this.served = undefined;
    this.lastZxid = lastZxid;
    this.currentEpoch = currentEpoch;
    this.logicalClock++;
    this.received.clear();
    this.outOfElection.clear();
    this.finalizeDeadline = undefined;
    this.proposal = this.ownProposal();
    this.resendInterval = this.config.resendTicksMin;
    this.nextResend = this.ticks + this.resendInterval;
    return { messages: this.broadcast() };
  }

  /** This server leads or follows `vote` (decided here, or set by the host): answer lookers with it. */
  serve(vote: Notification, state: PeerStateValue): void {
    assert(state !== PeerState.LOOKING, 'serve is for decided servers');
    this.state = state;
    this.served = { ...vote, state };
    this.finalizeDeadline = undefined;
  }

  /**
   * The epoch this server now leads or follows in (ZooKeeper's QuorumPeer.updateElectionVote,
   * ZOOKEEPER-1732): the vote served to lookers carries it, so that every member of an
   * established ensemble reports the same peerEpoch. Without it, a follower that joined its
   * leader's next epoch without a new election kept its older vote, and a restarted server
   * never counted a quorum for the leader and stayed LOOKING (found by the server simulator).
   */
  updateServedEpoch(peerEpoch: bigint): void {
    if (this.served !== undefined) this.served = { ...this.served, peerEpoch };
  }

  tick(): Ready {
    this.ticks++;
    if (this.state !== PeerState.LOOKING) return { messages: [] };
    if (this.finalizeDeadline !== undefined) {
      return this.ticks >= this.finalizeDeadline ? this.decide() : { messages: [] };
    }
    if (this.ticks >= this.nextResend) {
      // Nothing arrived for a while: say it again, backing off (ZooKeeper's notTimeout).
      this.resendInterval = Math.min(this.resendInterval * 2, this.config.resendTicksMax);
      this.nextResend = this.ticks + this.resendInterval;
      return { messages: this.broadcast() };
    }
    return { messages: [] };
  }

  /** A notification from `from`. */
  step(from: ServerId, n: Notification): Ready {
    // A decided server tells any LOOKING server the leader, even one not (yet) in its membership:
    // that is how a server joining by reconfig finds the ensemble.
    if (this.state !== PeerState.LOOKING) return this.answerWhileDecided(from, n);
    if (!this.peers.has(from) && from !== this.config.self) return { messages: [] };
    const replies: Ready['messages'] = [];
    // A non-voter (an observer), or a LOOKING peer in an older round, learns our current vote.
    const stale = n.state === PeerState.LOOKING && n.electionEpoch < this.logicalClock;
    if (from !== this.config.self && (!this.voters.has(from) || stale)) {
      replies.push({ to: from, notification: this.notification() });
    }
    if (!this.voters.has(from) || !this.canLeadOrNobody(n.leader)) return { messages: replies };
    // Like ZooKeeper's poll: the resend timer restarts whenever a notification arrives.
    this.nextResend = this.ticks + this.resendInterval;
    const outcome = n.state === PeerState.LOOKING ? this.onLooking(from, n) : n.state === PeerState.OBSERVING ? { messages: [] } : this.onDecidedPeer(from, n);
    return { messages: [...replies, ...outcome.messages], ...(outcome.decided === undefined ? {} : { decided: outcome.decided }) };
  }

  private canLeadOrNobody(id: ServerId): boolean {
    return this.canLead(id) || id === NO_PROPOSAL.leader;
  }

  private answerWhileDecided(from: ServerId, n: Notification): Ready {
    if (n.state !== PeerState.LOOKING || this.served === undefined || from === this.config.self) return { messages: [] };
    return { messages: [{ to: from, notification: this.served }] };
  }

  private onLooking(from: ServerId, n: Notification): Ready {
    let messages: Ready['messages'] = [];
    if (this.finalizeDeadline !== undefined) {
      // Waiting out finalizeWait: only a better vote reopens the round; others are dropped.
      if (!beats(n, this.proposal, this.canLead)) {
        this.finalizeDeadline = this.ticks + this.config.finalizeWaitTicks;
        return { messages };
      }
      this.finalizeDeadline = undefined;
    }
    if (n.electionEpoch > this.logicalClock) {
      this.logicalClock = n.electionEpoch;
      this.received.clear();
      const own = this.ownProposal();
      this.proposal = beats(n, own, this.canLead) ? { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch } : own;
      messages = this.broadcast();
    } else if (n.electionEpoch < this.logicalClock) {
      return { messages };
    } else if (beats(n, this.proposal, this.canLead)) {
      this.proposal = { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch };
      messages = this.broadcast();
    }
    this.received.set(from, { ...n });
    if (this.hasQuorumFor(this.received, this.proposal, this.logicalClock)) {
      this.finalizeDeadline = this.ticks + this.config.finalizeWaitTicks;
    }
    return { messages };
  }

  /** A peer that follows or leads: join it if a quorum backs that leader and the leader agrees. */
  private onDecidedPeer(from: ServerId, n: Notification): Ready {
    const vote: Proposal = { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch };
    if (n.electionEpoch === this.logicalClock) {
      this.received.set(from, { ...n });
      if (this.hasQuorumFor(this.received, vote, n.electionEpoch) && this.leaderConfirms(this.received, n.leader, n.electionEpoch)) {
        return this.conclude({ ...vote, electionEpoch: n.electionEpoch, state: n.state });
      }
    }
    this.outOfElection.set(from, { ...n });
    if (this.hasDecidedQuorumFor(this.outOfElection, vote) && this.leaderConfirms(this.outOfElection, n.leader, n.electionEpoch)) {
      this.logicalClock = n.electionEpoch;
      return this.conclude({ ...vote, electionEpoch: n.electionEpoch, state: n.state });
    }
    return { messages: [] };
  }

  /** checkLeader: the leader itself must say it leads (or be us, in this round). */
  private leaderConfirms(votes: ReadonlyMap<ServerId, Recorded>, leader: ServerId, electionEpoch: bigint): boolean {
    if (leader === this.config.self) return this.logicalClock === electionEpoch;
    const leaderVote = votes.get(leader);
    return leaderVote !== undefined && leaderVote.state === PeerState.LEADING;
  }

  /** Do a majority of voters back `proposal` in round `electionEpoch`? */
  private hasQuorumFor(votes: ReadonlyMap<ServerId, Recorded>, proposal: Proposal, electionEpoch: bigint): boolean {
    let count = 0;
    for (const [sid, v] of votes) {
      if (this.voters.has(sid) && v.electionEpoch === electionEpoch && sameProposal(v, proposal)) count++;
    }
    return count * 2 > this.voters.size;
  }

  /**
   * Do a majority of voters already follow or lead `vote`'s leader in its epoch? Their rounds may
   * differ (a server can follow a leader elected in a later round, joining once it leads), so,
   * as ZooKeeper's Vote.equals for decided votes (ZOOKEEPER-1732), the round is not compared.
   */
  private hasDecidedQuorumFor(votes: ReadonlyMap<ServerId, Recorded>, vote: Proposal): boolean {
    let count = 0;
    for (const [sid, v] of votes) {
      if (this.voters.has(sid) && v.state !== PeerState.LOOKING && v.leader === vote.leader && v.peerEpoch === vote.peerEpoch) count++;
    }
    return count * 2 > this.voters.size;
  }

  private decide(): Ready {
    this.finalizeDeadline = undefined;
    return this.conclude({ ...this.proposal, electionEpoch: this.logicalClock, state: PeerState.LOOKING });
  }

  private conclude(vote: Notification): Ready {
    const state = vote.leader === this.config.self ? PeerState.LEADING : this.canLead(this.config.self) ? PeerState.FOLLOWING : PeerState.OBSERVING;
    this.proposal = { leader: vote.leader, zxid: vote.zxid, peerEpoch: vote.peerEpoch };
    const decided: Decision = { vote: { ...vote, state }, state };
    this.serve(decided.vote, state);
    return { messages: [], decided };
  }
}
