/**
 * A ZAB peer as a pure state machine: fast leader election, then discovery (FOLLOWERINFO,
 * LEADERINFO, ACKEPOCH), synchronisation (DIFF / TRUNC, NEWLEADER, UPTODATE) and broadcast
 * (PROPOSAL, ACK, COMMIT, INFORM), with pings and limits on how long each phase may take.
 *
 * The host drives it with `start`, `step`, `tick`, `propose` and `linkLost`, and handles each
 * Ready IN THIS ORDER: (1) make `persist` durable, (2) send `messages`, (3) apply `committed`
 * in order. An ACK is only ever in `messages` together with (or after) the persist that logged
 * what it acknowledges, so (1) before (2) is what makes a quorum's ACK mean "durable on a
 * quorum". Links must be FIFO (TCP): a lost message is a lost link, reported by `linkLost`.
 */
import { assert } from '../util/assert.js';
import { epochOf, makeZxid, isCounterExhausted } from '../proto/zxid.js';
import { FastLeaderElection } from '../election/fast-leader-election.js';
import { PeerState, type Notification, type ServerId } from '../election/vote.js';
import { History } from './history.js';
import type { Entry, ZabMessage } from './messages.js';
import type { LearnerMessage } from './learner-messages.js';

export interface ZabConfig {
  readonly self: ServerId;
  readonly voters: ReadonlySet<ServerId>;
  readonly observers: ReadonlySet<ServerId>;
  /** Ticks a new leader and its learners have to finish discovery and sync (initLimit). */
  readonly initLimitTicks: number;
  /** Ticks without hearing from the other side before giving up on it (syncLimit). */
  readonly syncLimitTicks: number;
  /** Committed txns kept in memory for DIFF; a learner further behind gets a SNAP. Default 10,000. */
  readonly historyRetained?: number;
}

/** What survives a restart: the two epochs and the logged txns. */
export interface DurableState {
  readonly acceptedEpoch: bigint;
  readonly currentEpoch: bigint;
  /** Logged txns after `snapshotZxid`, in zxid order. */
  readonly entries: readonly Entry[];
  /** The zxid of the snapshot the entries follow (everything up to it is committed); default 0. */
  readonly snapshotZxid?: bigint;
}

export type Envelope =
  | { readonly kind: 'vote'; readonly n: Notification }
  | { readonly kind: 'zab'; readonly m: ZabMessage }
  /** Between a learner and its leader's server layer; the host handles these, not the peer. */
  | { readonly kind: 'learner'; readonly m: LearnerMessage };

export type Role = 'LOOKING' | 'LEADING' | 'FOLLOWING' | 'OBSERVING';

export interface ZabReady {
  /** MUST be durable BEFORE any message of this Ready is sent. */
  readonly persist: {
    acceptedEpoch?: bigint;
    currentEpoch?: bigint;
    /** Drop logged entries after this zxid (TRUNC), before appending. */
    truncateTo?: bigint;
    /** SNAP: make this state (the leader's, as of `zxid`) durable in place of everything logged, before appending. */
    snapshot?: { zxid: bigint; state: Uint8Array };
    append: Entry[];
  };
  readonly messages: Array<{ to: ServerId; envelope: Envelope }>;
  /** Committed entries, to apply in this order AFTER persisting. */
  readonly committed: Entry[];
  /** Links the host should close (a learner dropped, a leader abandoned). */
  readonly close: ServerId[];
  /** Set when the role changed. */
  role?: Role;
}

interface LearnerView {
  readonly observer: boolean;
  acceptedEpoch: bigint;
  lastZxid: bigint;
  ackedEpoch: boolean;
  /** Sent NEWLEADER and forwarded proposals since. */
  synced: boolean;
  /** Acked NEWLEADER. */
  ready: boolean;
  lastHeard: number;
}

/** Ticks between FOLLOWERINFOs while the leader has not answered. */
const FOLLOWERINFO_RESEND_TICKS = 10;

function isQuorumIn(members: Iterable<ServerId>, voters: ReadonlySet<ServerId>): boolean {
  let count = 0;
  for (const id of members) if (voters.has(id)) count++;
  return count * 2 > voters.size;
}

function emptyReady(): ZabReady {
  return { persist: { append: [] }, messages: [], committed: [], close: [] };
}

export class ZabPeer {
  private role: Role = 'LOOKING';
  private readonly election: FastLeaderElection;
  private readonly history: History;
  private acceptedEpoch: bigint;
  private currentEpoch: bigint;
  private ticks = 0;
  private ready = emptyReady();

  /** Membership: starts as configured, changes when a reconfig commits. */
  private voters: Set<ServerId>;
  private observers: Set<ServerId>;
  /** Reconfig proposals in flight: they commit only with a quorum of the old AND the new voters. */
  private readonly pendingConfigs = new Map<bigint, { voters: ReadonlySet<ServerId>; observers: ReadonlySet<ServerId> }>();

  // Leader state.
  private learners = new Map<ServerId, LearnerView>();
  private newEpoch: bigint | undefined;
  private established = false;
  private leaderSince = 0;
  private counter = 0n;
  private readonly acks = new Map<bigint, Set<ServerId>>();

  /** FOLLOWERINFOs that arrived while still LOOKING (a learner can decide first); used if this server leads. */
  private earlyFollowers = new Map<ServerId, ZabMessage>();

  // Learner state.
  private leader: ServerId | undefined;
  /** discovery -> sync (after LEADERINFO) -> synced (after NEWLEADER: proposals are acked) -> broadcast. */
  private learnerPhase: 'discovery' | 'sync' | 'synced' | 'broadcast' = 'discovery';
  private lastHeardFromLeader = 0;
  private followerInfoSentAt = 0;

  constructor(private readonly config: ZabConfig, durable: DurableState) {
    this.acceptedEpoch = durable.acceptedEpoch;
    this.currentEpoch = durable.currentEpoch;
    this.history = new History(durable.entries, durable.snapshotZxid ?? 0n);
    this.voters = new Set(config.voters);
    this.observers = new Set(config.observers);
    const peers = new Set([...config.voters, ...config.observers]);
    this.election = new FastLeaderElection({ self: config.self, voters: this.voters, peers, finalizeWaitTicks: 4, resendTicksMin: 4, resendTicksMax: 200 });
  }

  get currentRole(): Role {
    return this.role;
  }

  /** True for a leader that a quorum has synced with: it may propose. */
  get isEstablishedLeader(): boolean {
    return this.role === 'LEADING' && this.established;
  }

  get epoch(): bigint {
    return this.currentEpoch;
  }

  get lastLoggedZxid(): bigint {
    return this.history.lastZxid;
  }

  /** A learner that finished syncing with its leader: it may serve clients. */
  get isSyncedLearner(): boolean {
    return (this.role === 'FOLLOWING' || this.role === 'OBSERVING') && this.learnerPhase === 'broadcast';
  }

  /** The leader a learner follows. */
  get leaderId(): ServerId | undefined {
    return this.role === 'FOLLOWING' || this.role === 'OBSERVING' ? this.leader : undefined;
  }

  /** Learners the leader is in broadcast with (synced and acked NEWLEADER), itself excluded. */
  syncedLearners(): { followers: ServerId[]; observers: ServerId[] } {
    const out = { followers: [] as ServerId[], observers: [] as ServerId[] };
    if (this.role !== 'LEADING') return out;
    for (const [sid, l] of this.learners) if (sid !== this.config.self && l.ready) (l.observer ? out.observers : out.followers).push(sid);
    return out;
  }

  private take(): ZabReady {
    this.compact();
    const out = this.ready;
    this.ready = emptyReady();
    return out;
  }

  private send(to: ServerId, m: ZabMessage): void {
    this.ready.messages.push({ to, envelope: { kind: 'zab', m } });
  }

  private sendVotes(messages: Array<{ to: ServerId; notification: Notification }>): void {
    for (const { to, notification } of messages) this.ready.messages.push({ to, envelope: { kind: 'vote', n: notification } });
  }

  private isQuorum(members: Iterable<ServerId>): boolean {
    let count = 0;
    return isQuorumIn(members, this.voters);
  }

  /** The voting members now (a committed reconfig changes them). */
  get votingMembers(): ReadonlySet<ServerId> {
    return this.voters;
  }

  /** A reconfig proposed and not yet committed: another one must wait (RECONFIGINPROGRESS). */
  get reconfigPending(): boolean {
    return this.pendingConfigs.size > 0;
  }

  /**
   * A committed reconfig takes effect: who votes, who observes. A learner whose kind changed
   * (removed, or voter <-> observer) leaves its leader; a removed server stays LOOKING.
   */
  activateMembership(voters: ReadonlySet<ServerId>, observers: ReadonlySet<ServerId>): ZabReady {
    this.applyMembership(voters, observers);
    return this.take();
  }

  private applyMembership(voters: ReadonlySet<ServerId>, observers: ReadonlySet<ServerId>): void {
    const self = this.config.self;
    const wasVoter = this.voters.has(self);
    const wasObserver = this.observers.has(self);
    this.voters = new Set(voters);
    this.observers = new Set(observers);
    this.election.setMembership(this.voters, new Set([...voters, ...observers]));
    // A learner removed from the membership keeps following until it loses its leader, as in
    // ZooKeeper 3.8; one that turned voter <-> observer rejoins in its new role.
    const removed = !this.voters.has(self) && !this.observers.has(self);
    const kindChanged = !removed && (wasVoter !== this.voters.has(self) || wasObserver !== this.observers.has(self));
    if (this.role === 'LEADING' ? !this.voters.has(self) : this.role !== 'LOOKING' && kindChanged) this.goLooking();
  }

  // ---- election ----

  /** Starts (or restarts) looking for a leader. */
  start(): ZabReady {
    this.goLooking();
    return this.take();
  }

  private goLooking(): void {
    if (this.role === 'LEADING') for (const sid of this.learners.keys()) if (sid !== this.config.self) this.ready.close.push(sid);
    if (this.leader !== undefined && this.leader !== this.config.self) this.ready.close.push(this.leader);
    this.role = 'LOOKING';
    this.ready.role = 'LOOKING';
    this.earlyFollowers.clear();
    this.learners = new Map();
    this.acks.clear();
    this.pendingConfigs.clear();
    this.newEpoch = undefined;
    this.established = false;
    this.leader = undefined;
    this.sendVotes(this.election.start(this.history.lastZxid, this.currentEpoch).messages);
  }

  private onDecided(vote: Notification, state: number): void {
    // A server a reconfig removed takes no part until a config names it again.
    if (!this.voters.has(this.config.self) && !this.observers.has(this.config.self)) return;
    if (state === PeerState.LEADING) {
      this.role = 'LEADING';
      this.leaderSince = this.ticks;
      // The leader is its own first learner in discovery.
      this.learners.set(this.config.self, {
        observer: false, acceptedEpoch: this.acceptedEpoch, lastZxid: this.history.lastZxid,
        ackedEpoch: false, synced: false, ready: false, lastHeard: this.ticks,
      });
      const early = this.earlyFollowers;
      this.earlyFollowers = new Map();
      for (const [from, m] of early) this.leaderReceive(from, m);
      this.maybeProposeEpoch();
    } else {
      this.earlyFollowers.clear();
      this.role = state === PeerState.OBSERVING ? 'OBSERVING' : 'FOLLOWING';
      this.leader = vote.leader;
      this.learnerPhase = 'discovery';
      this.lastHeardFromLeader = this.ticks;
      this.sendFollowerInfo();
    }
    this.ready.role = this.role;
  }

  // ---- inputs ----

  step(from: ServerId, envelope: Envelope): ZabReady {
    if (envelope.kind === 'vote') {
      const out = this.election.step(from, envelope.n);
      this.sendVotes(out.messages);
      if (out.decided !== undefined && this.role === 'LOOKING') this.onDecided(out.decided.vote, out.decided.state);
    } else if (envelope.kind === 'learner') {
      return this.take();
    } else if (this.role === 'LOOKING' && envelope.m.type === 'FOLLOWERINFO') {
      this.earlyFollowers.set(from, envelope.m);
    } else if (this.role === 'LEADING') {
      this.leaderReceive(from, envelope.m);
    } else if ((this.role === 'FOLLOWING' || this.role === 'OBSERVING') && from === this.leader) {
      this.learnerReceive(envelope.m);
    } else if ((this.role === 'FOLLOWING' || this.role === 'OBSERVING') && envelope.m.type === 'FOLLOWERINFO') {
      // `from` took this server for the leader (its votes said so before another won): tell it.
      this.send(from, { type: 'NOTLEADER' });
    }
    return this.take();
  }

  tick(): ZabReady {
    this.ticks++;
    const out = this.election.tick();
    this.sendVotes(out.messages);
    if (out.decided !== undefined && this.role === 'LOOKING') this.onDecided(out.decided.vote, out.decided.state);
    else if (this.role === 'LEADING') this.leaderTick();
    else if (this.role === 'FOLLOWING' || this.role === 'OBSERVING') this.learnerTick();
    return this.take();
  }

  /** The link to `peer` broke (TCP closed): a learner loses its leader, a leader that learner. */
  linkLost(peer: ServerId): ZabReady {
    if ((this.role === 'FOLLOWING' || this.role === 'OBSERVING') && peer === this.leader) this.goLooking();
    else if (this.role === 'LEADING') this.learners.delete(peer);
    return this.take();
  }

  /**
   * A new txn; only an established leader accepts one. Returns its zxid. A reconfig carries the
   * membership it makes: it commits once a quorum of both the current and the new voters has it,
   * and then that membership takes effect.
   */
  propose(data: Uint8Array, membership?: { voters: ReadonlySet<ServerId>; observers: ReadonlySet<ServerId> }): { zxid: bigint; ready: ZabReady } | undefined {
    if (!this.isEstablishedLeader) return undefined;
    assert(this.newEpoch !== undefined);
    const zxid = makeZxid(this.newEpoch, ++this.counter);
    const entry: Entry = { zxid, data };
    this.history.append(entry);
    this.ready.persist.append.push(entry);
    this.acks.set(zxid, new Set([this.config.self]));
    if (membership !== undefined) this.pendingConfigs.set(zxid, membership);
    for (const [sid, l] of this.learners) if (sid !== this.config.self && l.synced && !l.observer) this.send(sid, { type: 'PROPOSAL', entry });
    this.tryCommit();
    // A full counter forces a new epoch, as in ZooKeeper.
    if (isCounterExhausted(zxid)) this.goLooking();
    return { zxid, ready: this.take() };
  }

  // ---- leader ----

  private leaderReceive(from: ServerId, m: ZabMessage): void {
    if (m.type === 'FOLLOWERINFO') {
      this.learners.set(from, { observer: m.observer, acceptedEpoch: m.acceptedEpoch, lastZxid: m.lastZxid, ackedEpoch: false, synced: false, ready: false, lastHeard: this.ticks });
      if (this.newEpoch !== undefined) this.send(from, { type: 'LEADERINFO', newEpoch: this.newEpoch });
      else this.maybeProposeEpoch();
      return;
    }
    const learner = this.learners.get(from);
    if (learner === undefined) return;
    learner.lastHeard = this.ticks;
    switch (m.type) {
      case 'ACKEPOCH':
        this.onAckEpoch(learner, m.currentEpoch, m.lastZxid);
        return;
      case 'ACK':
        if (this.newEpoch !== undefined && m.zxid === makeZxid(this.newEpoch, 0)) this.onNewLeaderAck(from, learner);
        else this.onProposalAck(from, m.zxid);
        return;
      default:
        return;
    }
  }

  /** Once a quorum reported its accepted epoch: the new epoch is one above the highest. */
  private maybeProposeEpoch(): void {
    if (this.newEpoch !== undefined || !this.isQuorum(this.learners.keys())) return;
    let highest = 0n;
    for (const l of this.learners.values()) if (l.acceptedEpoch > highest) highest = l.acceptedEpoch;
    this.newEpoch = highest + 1n;
    this.acceptedEpoch = this.newEpoch;
    this.ready.persist.acceptedEpoch = this.newEpoch;
    const self = this.learners.get(this.config.self)!;
    self.ackedEpoch = true;
    for (const sid of this.learners.keys()) if (sid !== this.config.self) this.send(sid, { type: 'LEADERINFO', newEpoch: this.newEpoch });
  }

  private onAckEpoch(learner: LearnerView, currentEpoch: bigint, lastZxid: bigint): void {
    // A learner further along than this leader means the wrong server won: elect again.
    if (currentEpoch > this.currentEpoch || (currentEpoch === this.currentEpoch && lastZxid > this.history.lastZxid)) {
      this.goLooking();
      return;
    }
    learner.ackedEpoch = true;
    learner.lastZxid = lastZxid;
    const acked = [...this.learners].filter(([, l]) => l.ackedEpoch).map(([sid]) => sid);
    if (!this.isQuorum(acked)) return;
    if (!this.learners.get(this.config.self)!.synced) this.syncSelf();
    for (const [sid, l] of this.learners) if (sid !== this.config.self && l.ackedEpoch && !l.synced) this.syncLearner(sid, l);
  }

  private syncSelf(): void {
    const self = this.learners.get(this.config.self)!;
    self.synced = true;
    self.ready = true;
    this.currentEpoch = this.newEpoch!;
    this.ready.persist.currentEpoch = this.currentEpoch;
    this.maybeEstablish();
  }

  /**
   * DIFF (the learner's log is a prefix of ours) or TRUNC (it diverged: cut it back to the last
   * zxid we share), the txns it misses, then NEWLEADER. From here on it gets every proposal.
   */
  private syncLearner(sid: ServerId, learner: LearnerView): void {
    const f = learner.lastZxid;
    let common = f;
    const base = this.history.base;
    if ((f === 0n && base === 0n) || (f >= base && this.history.has(f))) {
      this.send(sid, { type: 'DIFF' });
    } else if (f > base) {
      common = this.history.floor(f);
      this.send(sid, { type: 'TRUNC', zxid: common });
    } else {
      // Behind what this leader still holds: its committed state, then what is not yet committed.
      common = this.history.lastCommittedZxid;
      this.send(sid, { type: 'SNAP', zxid: common });
    }
    for (const entry of this.history.after(common)) this.send(sid, { type: 'PROPOSAL', entry });
    this.send(sid, { type: 'NEWLEADER', zxid: makeZxid(this.newEpoch!, 0) });
    learner.synced = true;
  }

  private onNewLeaderAck(from: ServerId, learner: LearnerView): void {
    learner.ready = true;
    if (this.established) {
      this.send(from, { type: 'UPTODATE', commitZxid: this.history.lastCommittedZxid });
      return;
    }
    this.maybeEstablish();
  }

  /** A quorum acked NEWLEADER: everything the leader holds is committed; learners may serve. */
  private maybeEstablish(): void {
    if (this.established) return;
    const ready = [...this.learners].filter(([, l]) => l.ready).map(([sid]) => sid);
    if (!this.isQuorum(ready)) return;
    this.established = true;
    this.election.updateServedEpoch(this.newEpoch!);
    this.counter = 0n;
    this.ready.committed.push(...this.history.commit(this.history.lastZxid));
    const commitZxid = this.history.lastCommittedZxid;
    for (const [sid, l] of this.learners) if (sid !== this.config.self && l.ready) this.send(sid, { type: 'UPTODATE', commitZxid });
  }

  private onProposalAck(from: ServerId, zxid: bigint): void {
    const set = this.acks.get(zxid);
    if (set === undefined) return;
    set.add(from);
    this.tryCommit();
  }

  private compact(): void {
    this.history.compact(this.config.historyRetained ?? 10_000);
  }

  /** Commits, in zxid order, every proposal a quorum acked. */
  private tryCommit(): void {
    // Only `propose` adds to `acks`, with increasing zxids: the map's order is zxid order, and
    // the walk stops at the first proposal short of a quorum (O(1) per ack, not a sort of all).
    for (const [zxid, acked] of this.acks) {
      const config = this.pendingConfigs.get(zxid);
      if (!this.isQuorum(acked) || (config !== undefined && !isQuorumIn(acked, config.voters))) return;
      this.acks.delete(zxid);
      const entries = this.history.commit(zxid);
      this.ready.committed.push(...entries);
      for (const [sid, l] of this.learners) {
        if (sid === this.config.self || !l.synced) continue;
        if (l.observer) for (const entry of entries) this.send(sid, { type: 'INFORM', entry });
        else this.send(sid, { type: 'COMMIT', zxid });
      }
      if (config !== undefined) {
        this.pendingConfigs.delete(zxid);
        this.applyMembership(config.voters, config.observers);
        if (this.role !== 'LEADING') return;
      }
    }
  }

  private leaderTick(): void {
    if (!this.established && this.ticks - this.leaderSince > this.config.initLimitTicks) {
      this.goLooking();
      return;
    }
    for (const sid of this.learners.keys()) if (sid !== this.config.self) this.send(sid, { type: 'PING' });
    const alive = [...this.learners].filter(([sid, l]) => sid === this.config.self || this.ticks - l.lastHeard <= this.config.syncLimitTicks).map(([sid]) => sid);
    if (this.established && !this.isQuorum(alive)) {
      this.goLooking();
      return;
    }
    for (const [sid, l] of this.learners) {
      if (sid !== this.config.self && this.ticks - l.lastHeard > this.config.syncLimitTicks) {
        this.learners.delete(sid);
        this.ready.close.push(sid);
      }
    }
  }

  // ---- learner ----

  private learnerReceive(m: ZabMessage): void {
    this.lastHeardFromLeader = this.ticks;
    const leader = this.leader!;
    switch (m.type) {
      case 'LEADERINFO':
        // A repeat (answering a repeated FOLLOWERINFO) after NEWLEADER changes nothing.
        if (this.learnerPhase === 'synced' || this.learnerPhase === 'broadcast') return;
        if (m.newEpoch < this.acceptedEpoch) {
          this.goLooking();
          return;
        }
        if (m.newEpoch > this.acceptedEpoch) {
          this.acceptedEpoch = m.newEpoch;
          this.ready.persist.acceptedEpoch = m.newEpoch;
        }
        this.learnerPhase = 'sync';
        this.send(leader, { type: 'ACKEPOCH', currentEpoch: this.currentEpoch, lastZxid: this.history.lastZxid });
        return;
      case 'DIFF':
        return;
      case 'TRUNC':
        this.history.truncate(m.zxid);
        this.ready.persist.truncateTo = m.zxid;
        return;
      case 'SNAP':
        if (m.state === undefined) return;
        this.history.resetTo(m.zxid);
        this.ready.persist.snapshot = { zxid: m.zxid, state: m.state };
        return;
      case 'PROPOSAL':
        if (m.entry.zxid <= this.history.lastZxid) return;
        this.history.append(m.entry);
        this.ready.persist.append.push(m.entry);
        if (this.learnerPhase !== 'sync' && this.learnerPhase !== 'discovery' && this.role === 'FOLLOWING') this.send(leader, { type: 'ACK', zxid: m.entry.zxid });
        return;
      case 'COMMIT':
        this.ready.committed.push(...this.history.commit(m.zxid));
        return;
      case 'INFORM':
        if (m.entry.zxid > this.history.lastZxid) {
          this.history.append(m.entry);
          this.ready.persist.append.push(m.entry);
        }
        this.ready.committed.push(...this.history.commit(m.entry.zxid));
        return;
      case 'NEWLEADER': {
        this.currentEpoch = epochOf(m.zxid);
        this.ready.persist.currentEpoch = this.currentEpoch;
        // Proposals of this epoch received while syncing are acked now that they are logged.
        if (this.role === 'FOLLOWING') {
          for (const entry of this.history.after(this.history.lastCommittedZxid)) {
            if (epochOf(entry.zxid) === this.currentEpoch) this.send(leader, { type: 'ACK', zxid: entry.zxid });
          }
        }
        this.send(leader, { type: 'ACK', zxid: m.zxid });
        this.learnerPhase = 'synced';
        return;
      }
      case 'UPTODATE':
        this.learnerPhase = 'broadcast';
        this.election.updateServedEpoch(this.currentEpoch);
        this.ready.committed.push(...this.history.commit(m.commitZxid));
        return;
      case 'PING':
        this.send(leader, { type: 'PING' });
        return;
      case 'NOTLEADER':
        if (this.learnerPhase === 'discovery') this.goLooking();
        return;
      default:
        return;
    }
  }

  private learnerTick(): void {
    const limit = this.learnerPhase === 'broadcast' ? this.config.syncLimitTicks : this.config.initLimitTicks;
    if (this.ticks - this.lastHeardFromLeader > limit) {
      this.goLooking();
      return;
    }
    // A learner can decide before it has a link to its leader (a quorum of others' votes is
    // enough), and a message without a link is lost: say FOLLOWERINFO again until the leader
    // answers, as ZooKeeper's follower keeps connecting to the leader's quorum port. The leader
    // takes a repeat before its LEADERINFO arrived as a fresh start of discovery.
    if (this.learnerPhase === 'discovery' && this.ticks - this.followerInfoSentAt >= FOLLOWERINFO_RESEND_TICKS) this.sendFollowerInfo();
  }

  private sendFollowerInfo(): void {
    this.followerInfoSentAt = this.ticks;
    this.send(this.leader!, { type: 'FOLLOWERINFO', acceptedEpoch: this.acceptedEpoch, lastZxid: this.history.lastZxid, observer: this.role === 'OBSERVING' });
  }
}
