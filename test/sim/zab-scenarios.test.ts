// Scripted, deterministic scenarios against the real ZabPeer that replay the classes of
// ZooKeeper's worst synchronisation bugs: a follower holding proposals of an old epoch that were
// never committed, crashes in the middle of DIFF / TRUNC / SNAP (of the learner and of the
// leader), an old leader cut off in a minority that keeps accepting writes ("ephemerals left
// behind after a partition heals"), and a zxid counter running out.
//
// Each scenario drives the shared Cluster (test/sim/cluster.ts) by hand: zero network delay, no
// randomness, links paused or cut and servers crashed exactly when a given message reaches them.
// Besides the Cluster's own checks on every step (every committed sequence is a prefix of one
// history; zxids increase along it; at most one established leader per epoch), each scenario
// asserts ZAB's invariants explicitly: no txn a leader committed is ever lost; a txn that was
// never committed and was truncated away is never committed (applied) by anyone and is in nobody's
// log; once settled, every server holds the same log and the same committed sequence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, hex, text, type Intercept, type Packet, type SimNode } from './cluster.js';
import type { ServerId } from '../../src/election/vote.js';
import type { Entry } from '../../src/zab/messages.js';
import { Prng } from '../../src/util/prng.js';
import { epochOf, makeZxid } from '../../src/proto/zxid.js';

const V3: ServerId[] = [1n, 2n, 3n];
const V5: ServerId[] = [1n, 2n, 3n, 4n, 5n];

// ---- a small scripted harness over the Cluster ----

interface SyncRecord {
  readonly to: ServerId;
  readonly from: ServerId;
  readonly type: 'DIFF' | 'TRUNC' | 'SNAP';
  readonly zxid: bigint | undefined;
  readonly at: number;
}

type Rule = (node: SimNode, packet: Packet, script: Script) => Intercept | undefined;

/** A Cluster with no delays and no randomness, plus what scripts need to steer and observe it. */
class Script {
  readonly c: Cluster;
  /** Every DIFF / TRUNC / SNAP a server received, in order. */
  readonly syncs: SyncRecord[] = [];
  /** Packets of a learner's current sync seen so far, per server: how far into a DIFF it is. */
  private readonly proposalsSinceSync = new Map<ServerId, number>();
  private rule: Rule | undefined;

  constructor(voters: ServerId[], options: { observers?: ServerId[]; historyRetained?: number } = {}) {
    // maxDelay 0: the Prng is only asked for delays below 1, so nothing here is random.
    this.c = new Cluster(new Prng(1), voters, options.observers ?? [], 0, { historyRetained: options.historyRetained ?? 10_000, strict: true });
    this.c.intercept = (node, packet) => this.observe(node, packet);
  }

  private observe(node: SimNode, packet: Packet): Intercept | undefined {
    if (packet.envelope.kind === 'zab') {
      const m = packet.envelope.m;
      if (m.type === 'DIFF' || m.type === 'TRUNC' || m.type === 'SNAP') {
        this.syncs.push({ to: node.id, from: packet.from, type: m.type, zxid: m.type === 'DIFF' ? undefined : m.zxid, at: this.c.now });
        this.proposalsSinceSync.set(node.id, 0);
      } else if (m.type === 'PROPOSAL' && this.proposalsSinceSync.has(node.id)) {
        this.proposalsSinceSync.set(node.id, this.proposalsSinceSync.get(node.id)! + 1);
      } else if (m.type === 'UPTODATE') {
        this.proposalsSinceSync.delete(node.id);
      }
    }
    return this.rule?.(node, packet, this);
  }

  /**
   * How many PROPOSALs `id` received since its last DIFF / TRUNC / SNAP, counting the one being
   * delivered when a rule asks (1 = the first txn of the sync); undefined once UPTODATE arrived.
   */
  syncProposals(id: ServerId): number | undefined {
    return this.proposalsSinceSync.get(id);
  }

  /** The last DIFF / TRUNC / SNAP `id` received. */
  lastSync(id: ServerId): SyncRecord | undefined {
    return this.syncs.filter((r) => r.to === id).at(-1);
  }

  /** Installs a rule for what happens to the next packets (replacing the previous one). */
  on(rule: Rule | undefined): void {
    this.rule = rule;
  }

  node(id: ServerId): SimNode {
    return this.c.node(id);
  }

  up(): SimNode[] {
    return [...this.c.nodes.values()].filter((n) => n.up);
  }

  startAll(): void {
    for (const id of this.c.nodes.keys()) this.c.start(id);
  }

  ticks(n: number): void {
    for (let i = 0; i < n; i++) this.c.advance();
  }

  /** Advances until `done` holds, failing with the cluster's state after `max` ticks. */
  until(what: string, done: () => boolean, max = 2_000): void {
    for (let i = 0; i < max; i++) {
      if (done()) return;
      this.c.advance();
    }
    assert.fail(`never reached: ${what} (after ${max} ticks)\n${this.describe()}`);
  }

  /** The established leader among the running servers (the newest epoch's, if two think so). */
  leader(): SimNode | undefined {
    const leaders = this.up().filter((n) => n.peer.isEstablishedLeader).sort((a, b) => (a.peer.epoch > b.peer.epoch ? -1 : 1));
    return leaders[0];
  }

  /**
   * Settled: one established leader; every other running server is a synced learner of it;
   * the leader committed everything it logged; everyone committed the same number of txns.
   */
  settled(): boolean {
    const leader = this.leader();
    if (leader === undefined) return false;
    if ((leader.committed.at(-1)?.zxid ?? 0n) !== leader.peer.lastLoggedZxid) return false;
    return this.up().every((n) => (n === leader || (n.peer.isSyncedLearner && n.peer.leaderId === leader.id)) && n.committed.length === leader.committed.length);
  }

  /** Runs until settled; checks who leads when `expected` is given. Returns the leader. */
  settle(expected?: ServerId, max = 2_000): SimNode {
    this.until('a settled ensemble', () => this.settled(), max);
    const leader = this.leader()!;
    if (expected !== undefined) assert.equal(leader.id, expected, `server ${expected} should lead, not ${leader.id}\n${this.describe()}`);
    return leader;
  }

  /** Proposes on the established leader and returns the zxid. */
  propose(data: string, on?: ServerId): bigint {
    const id = on ?? this.leader()?.id;
    assert.ok(id !== undefined, `no established leader to propose ${data}\n${this.describe()}`);
    return this.c.propose(id, data);
  }

  /** Proposes each, letting the network carry it before the next; returns the zxids. */
  commitAll(data: string[]): bigint[] {
    const zxids = data.map((d) => {
      const z = this.propose(d);
      this.ticks(2);
      return z;
    });
    this.settle();
    return zxids;
  }

  describe(): string {
    return [...this.c.nodes.values()].map((n) => {
      const log = n.durable.entries.map((e) => `${hex(e.zxid)}`).join(',');
      return `  server ${n.id}: ${n.up ? n.peer.currentRole : 'DOWN'} epoch ${n.durable.acceptedEpoch}/${n.durable.currentEpoch} committed ${n.committed.length} log [${log}]`;
    }).join('\n');
  }
}

// ---- invariants, asserted explicitly ----

function committedZxids(node: SimNode): bigint[] {
  return node.committed.map((e) => e.zxid);
}

/** Never committed by anyone: not in the one history, not in any server's committed sequence. */
function assertNeverCommitted(s: Script, zxids: readonly bigint[], why: string): void {
  for (const z of zxids) {
    assert.ok(!s.c.history.some((e) => e.zxid === z), `${why}: ${hex(z)} was committed (in the one history)`);
    assert.ok(!s.c.acknowledged.has(z), `${why}: ${hex(z)} was acknowledged by a leader`);
    for (const n of s.c.nodes.values()) assert.ok(!committedZxids(n).includes(z), `${why}: server ${n.id} committed ${hex(z)}`);
  }
}

/** In nobody's durable log. */
function assertInNoLog(s: Script, zxids: readonly bigint[], why: string): void {
  for (const z of zxids) {
    for (const n of s.c.nodes.values()) assert.ok(!n.durable.entries.some((e) => e.zxid === z), `${why}: server ${n.id} still logs ${hex(z)}\n${s.describe()}`);
  }
}

/** Committed on every server, with the same payload, at the same position as in the one history. */
function assertCommittedEverywhere(s: Script, zxids: readonly bigint[], why: string): void {
  for (const z of zxids) {
    const position = s.c.history.findIndex((e) => e.zxid === z);
    assert.ok(position >= 0, `${why}: ${hex(z)} is not in the one history`);
    for (const n of s.c.nodes.values()) {
      const mine = n.committed[position];
      assert.ok(mine !== undefined && mine.zxid === z && text(mine.data) === text(s.c.history[position]!.data),
        `${why}: server ${n.id} has not committed ${hex(z)} at position ${position}\n${s.describe()}`);
    }
  }
}

/**
 * The end state of every scenario, all servers up and settled: no acknowledged txn lost; every
 * server's committed sequence is the whole one history; every log is the same; no txn that some
 * server truncated away was ever committed (those logs were cut because the txns never were).
 */
function assertConverged(s: Script, why: string): void {
  assert.ok(s.up().length === s.c.nodes.size, `${why}: not every server is up`);
  assert.ok(s.settled(), `${why}: not settled\n${s.describe()}`);
  assertCommittedEverywhere(s, [...s.c.acknowledged.keys()], `${why} (acknowledged txn lost)`);
  const leader = s.leader()!;
  for (const n of s.c.nodes.values()) {
    assert.deepEqual(committedZxids(n).map(hex), s.c.history.map((e) => hex(e.zxid)), `${why}: server ${n.id} committed sequence differs from the one history`);
    assert.deepEqual(n.durable.entries.map((e) => `${hex(e.zxid)}:${text(e.data)}`), leader.durable.entries.map((e) => `${hex(e.zxid)}:${text(e.data)}`), `${why}: server ${n.id}'s log differs from the leader's`);
  }
  assertNeverCommitted(s, s.c.truncated.map((t) => t.entry.zxid), `${why} (a truncated txn)`);
}

function logged(node: SimNode): string[] {
  return node.durable.entries.map((e) => text(e.data));
}

/** Boots the ensemble and commits `data`; the highest server id leads epoch 1. */
function boot(voters: ServerId[], data: string[], options: { historyRetained?: number; observers?: ServerId[] } = {}): { s: Script; zxids: bigint[] } {
  const s = new Script(voters, options);
  s.startAll();
  const leader = s.settle(voters.at(-1));
  assert.equal(leader.peer.epoch, 1n);
  return { s, zxids: s.commitAll(data) };
}

/**
 * Makes `leader` log proposals that only `reach` receive, then crashes it: its links to everyone
 * else stall, it proposes, the proposals travel (and the ACKs come back) on the links still
 * open, and it dies with the stalled packets still queued (they die with it). With too few
 * servers in `reach` for a quorum, nothing was committed. Returns the zxids.
 */
function proposeToMinorityThenCrash(s: Script, leader: ServerId, reach: ServerId[], data: string[]): bigint[] {
  const stalled = [...s.c.nodes.keys()].filter((id) => id !== leader && !reach.includes(id));
  for (const id of stalled) s.c.pause(leader, id);
  const zxids = data.map((d) => s.propose(d, leader));
  s.ticks(3);
  s.c.crash(leader);
  for (const id of stalled) s.c.resume(leader, id);
  assertNeverCommitted(s, zxids, 'proposals that reached a minority');
  for (const id of [leader, ...reach]) for (const z of zxids) assert.ok(s.node(id).durable.entries.some((e) => e.zxid === z), `server ${id} should have logged ${hex(z)}`);
  for (const id of stalled) for (const z of zxids) assert.ok(!s.node(id).durable.entries.some((e) => e.zxid === z), `server ${id} should not have ${hex(z)}`);
  return zxids;
}

// ---- 1. uncommitted proposals of an old epoch ----

test('1a. a follower holding proposals the old leader never committed is TRUNCated by a new leader without them, and never commits them', () => {
  const { s, zxids: committed } = boot(V5, ['create:/a', 'create:/b']);
  // Leader 5 logs two proposals that reach only follower 1 (2 of 5 acks, never a quorum), and dies.
  const orphans = proposeToMinorityThenCrash(s, 5n, [1n], ['create:/orphan1', 'create:/orphan2']);
  s.c.crash(1n);
  // 2, 3 and 4 (none has the orphans) elect 4 for epoch 2 and commit new txns.
  const leader = s.settle(4n);
  assert.equal(leader.peer.epoch, 2n);
  const epoch2 = s.commitAll(['closeSession:0x1', 'create:/c']);
  assert.deepEqual(epoch2.map(epochOf), [2n, 2n]);
  // Follower 1 comes back with its orphans: it must be cut back to the last txn 4 has from epoch 1.
  s.c.start(1n);
  s.settle(4n);
  const trunc1 = s.lastSync(1n);
  assert.deepEqual(trunc1 && { type: trunc1.type, zxid: trunc1.zxid }, { type: 'TRUNC', zxid: committed.at(-1) }, 'server 1 should be TRUNCated to the last committed txn of epoch 1');
  assertNeverCommitted(s, orphans, 'orphans after server 1 rejoined');
  assert.deepEqual(logged(s.node(1n)), ['create:/a', 'create:/b', 'closeSession:0x1', 'create:/c']);
  // And so is the old leader.
  s.c.start(5n);
  s.settle(4n);
  assert.equal(s.lastSync(5n)?.type, 'TRUNC');
  assertNeverCommitted(s, orphans, 'orphans after the old leader rejoined');
  assertInNoLog(s, orphans, 'orphans after everyone rejoined');
  assert.deepEqual(s.c.truncated.map((t) => `${t.node}:${hex(t.entry.zxid)}`).sort(), [1n, 5n].flatMap((id) => orphans.map((z) => `${id}:${hex(z)}`)).sort());
  s.commitAll(['create:/d']);
  assertConverged(s, '1a');
});

test('1b. when the new leader does hold the old epoch\'s uncommitted proposals, they survive and are committed everywhere', () => {
  const { s } = boot(V5, ['create:/a', 'create:/b']);
  const survivors = proposeToMinorityThenCrash(s, 5n, [1n], ['create:/kept1', 'create:/kept2']);
  // 1 has the highest zxid: it wins, DIFFs 2, 3 and 4 with the two proposals, and commits them
  // when a quorum acks NEWLEADER.
  const leader = s.settle(1n);
  assert.equal(leader.peer.epoch, 2n);
  for (const id of [2n, 3n, 4n]) assert.equal(s.lastSync(id)?.type, 'DIFF');
  for (const n of s.up()) assert.deepEqual(committedZxids(n).slice(-2), survivors, `server ${n.id} should have committed the survivors`);
  for (const z of survivors) assert.ok(s.c.acknowledged.has(z), `${hex(z)} committed by the epoch-2 leader`);
  s.commitAll(['create:/c']);
  // The old leader logged the same proposals with the same zxids: a plain DIFF brings it up to date.
  s.c.start(5n);
  s.settle(1n);
  assert.equal(s.lastSync(5n)?.type, 'DIFF');
  assertCommittedEverywhere(s, survivors, '1b');
  assert.equal(s.c.truncated.length, 0, 'nothing should have been truncated');
  assertConverged(s, '1b');
});

// ---- 2. crashes during DIFF ----

type DiffCrash = 'after logging part of the DIFF' | 'before NEWLEADER' | 'after persisting NEWLEADER, before its ACK';

for (const when of ['after logging part of the DIFF', 'before NEWLEADER', 'after persisting NEWLEADER, before its ACK'] as DiffCrash[]) {
  test(`2a. a learner crashes ${when} while a new leader syncs it; it converges and nothing committed is lost`, () => {
    const { s } = boot(V3, ['create:/a', 'create:/b']);
    // 2 misses three txns that 3 and 1 commit.
    s.c.crash(2n);
    const missed = s.commitAll(['create:/c1', 'create:/c2', 'create:/c3']);
    // The leader dies; 1 (which has them) must lead 2 (which does not) in epoch 2: the quorum
    // needs 2's ACK of NEWLEADER, and 2 crashes in the middle of the DIFF.
    s.c.crash(3n);
    s.on((node, packet) => {
      if (node.id !== 2n || packet.envelope.kind !== 'zab') return undefined;
      const m = packet.envelope.m;
      if (when === 'after logging part of the DIFF' && m.type === 'PROPOSAL' && s.syncProposals(2n) === 1) return 'crashAfter';
      if (when === 'before NEWLEADER' && m.type === 'NEWLEADER') return 'crashBefore';
      if (when === 'after persisting NEWLEADER, before its ACK' && m.type === 'NEWLEADER') return 'crashAfterPersist';
      return undefined;
    });
    s.c.start(2n);
    s.until('server 2 crashed mid-sync', () => !s.node(2n).up);
    s.on(undefined);
    const two = s.node(2n).durable;
    assert.equal(two.acceptedEpoch, 2n, 'server 2 accepted epoch 2 before the crash');
    if (when === 'after logging part of the DIFF') {
      assert.deepEqual(logged(s.node(2n)), ['create:/a', 'create:/b', 'create:/c1']);
      assert.equal(two.currentEpoch, 1n);
    } else {
      assert.deepEqual(logged(s.node(2n)), ['create:/a', 'create:/b', 'create:/c1', 'create:/c2', 'create:/c3']);
      assert.equal(two.currentEpoch, when === 'before NEWLEADER' ? 1n : 2n);
    }
    // Leader 1 never gets its quorum for epoch 2 and gives up after initLimit.
    s.until('leader 1 gives up on epoch 2', () => s.node(1n).peer.currentRole === 'LOOKING');
    assert.equal(s.c.leaders.get(2n), undefined, 'no leader was established in epoch 2');
    s.c.start(2n);
    // A tie on (epoch, zxid) goes to the higher id: 2 when it persisted NEWLEADER, else 1.
    const leader = s.settle(when === 'after persisting NEWLEADER, before its ACK' ? 2n : 1n);
    assert.equal(leader.peer.epoch, 3n);
    for (const n of s.up()) assert.deepEqual(committedZxids(n).slice(-3), missed);
    s.c.start(3n);
    s.settle();
    s.commitAll(['create:/d']);
    assertCommittedEverywhere(s, missed, '2a');
    assertConverged(s, `2a (${when})`);
  });
}

test('2b. the leader crashes while a learner is half-way through its DIFF; the rest converge without losing a committed txn', () => {
  const { s } = boot(V3, ['create:/a']);
  s.c.crash(1n);
  const missed = s.commitAll(['create:/c1', 'create:/c2', 'create:/c3', 'create:/c4']);
  // 1 rejoins the established leader 3, which DIFFs it; 3 dies after 1 logged two of the four.
  s.on((node, packet) => {
    if (node.id === 1n && packet.envelope.kind === 'zab' && packet.envelope.m.type === 'PROPOSAL' && s.syncProposals(1n) === 2) s.c.crash(3n);
    return undefined;
  });
  s.c.start(1n);
  s.until('leader 3 crashed mid-DIFF', () => !s.node(3n).up);
  s.on(undefined);
  assert.deepEqual(logged(s.node(1n)), ['create:/a', 'create:/c1', 'create:/c2']);
  // 2 has all four (committed): it leads epoch 2 and completes 1's log.
  const leader = s.settle(2n);
  assert.equal(leader.peer.epoch, 2n);
  assert.equal(s.lastSync(1n)?.type, 'DIFF');
  s.c.start(3n);
  s.settle(2n);
  s.commitAll(['create:/d']);
  assertCommittedEverywhere(s, missed, '2b');
  assertConverged(s, '2b');
});

test('2c. a new leader crashes while syncing a learner before it is established; the next leader keeps every committed txn', () => {
  const { s } = boot(V3, ['create:/a', 'create:/b']);
  s.c.crash(2n);
  const missed = s.commitAll(['create:/c1', 'create:/c2', 'create:/c3']);
  s.c.crash(3n);
  // 1 leads 2 for epoch 2 and dies after 2 logged one txn of the DIFF.
  s.on((node, packet) => {
    if (node.id === 2n && packet.envelope.kind === 'zab' && packet.envelope.m.type === 'PROPOSAL' && s.syncProposals(2n) === 1) s.c.crash(1n);
    return undefined;
  });
  s.c.start(2n);
  s.until('leader 1 crashed mid-sync', () => !s.node(1n).up);
  s.on(undefined);
  assert.deepEqual(logged(s.node(2n)), ['create:/a', 'create:/b', 'create:/c1']);
  // 2 and 3 elect 3 (epoch 1 and the most txns); 2 is DIFFed the rest.
  s.c.start(3n);
  const leader = s.settle(3n);
  assert.equal(leader.peer.epoch, 3n, 'epoch 2 was accepted (never established): the next is 3');
  assert.equal(s.c.leaders.get(2n), undefined);
  s.c.start(1n);
  s.settle(3n);
  assertCommittedEverywhere(s, missed, '2c');
  assertConverged(s, '2c');
});

// ---- 3. crashes during TRUNC ----

for (const when of ['before handling TRUNC', 'right after persisting the truncation', 'after logging the first txn that follows TRUNC'] as const) {
  test(`3. a learner crashes ${when}; on restart it converges and the truncated txns stay uncommitted`, () => {
    const { s, zxids: committed } = boot(V3, ['createSession:0x1', 'create:/a']);
    // Leader 3 logs two proposals nobody else gets, and dies.
    const orphans = proposeToMinorityThenCrash(s, 3n, [], ['create:/orphan1', 'create:/orphan2']);
    s.settle(2n);
    const epoch2 = s.commitAll(['closeSession:0x1', 'create:/c']);
    // 3 rejoins and is told to TRUNC to the last committed txn of epoch 1; it crashes there.
    const action: Intercept = when === 'before handling TRUNC' ? 'crashBefore' : when === 'right after persisting the truncation' ? 'crashAfterPersist' : 'crashAfter';
    s.on((node, packet) => {
      if (node.id !== 3n || packet.envelope.kind !== 'zab') return undefined;
      const m = packet.envelope.m;
      if (when === 'after logging the first txn that follows TRUNC') return m.type === 'PROPOSAL' && s.syncProposals(3n) === 1 ? action : undefined;
      return m.type === 'TRUNC' ? action : undefined;
    });
    s.c.start(3n);
    s.until('server 3 crashed during TRUNC', () => !s.node(3n).up);
    s.on(undefined);
    const trunc = s.lastSync(3n)!;
    assert.deepEqual({ type: trunc.type, zxid: trunc.zxid }, { type: 'TRUNC', zxid: committed.at(-1) });
    const expected = when === 'before handling TRUNC' ? ['createSession:0x1', 'create:/a', 'create:/orphan1', 'create:/orphan2']
      : when === 'right after persisting the truncation' ? ['createSession:0x1', 'create:/a']
        : ['createSession:0x1', 'create:/a', 'closeSession:0x1'];
    assert.deepEqual(logged(s.node(3n)), expected);
    assert.equal(s.node(3n).durable.currentEpoch, 1n, 'no NEWLEADER reached server 3');
    // While 3 is down the epoch-2 leader dies too: 3 and 1 must elect 1 (epoch 2), whatever
    // 3 still holds from epoch 1, and 1 must cut 3 back (again) or extend it.
    s.c.crash(2n);
    s.c.start(3n);
    const leader = s.settle(1n);
    assert.equal(leader.peer.epoch, 3n);
    const again = s.lastSync(3n)!;
    assert.equal(again.type, when === 'before handling TRUNC' ? 'TRUNC' : 'DIFF');
    assertNeverCommitted(s, orphans, '3');
    for (const z of epoch2) assert.ok(committedZxids(s.node(3n)).includes(z), `server 3 committed ${hex(z)}`);
    s.c.start(2n);
    s.settle(1n);
    s.commitAll(['create:/d']);
    assertInNoLog(s, orphans, '3');
    assertConverged(s, `3 (${when})`);
  });
}

// ---- 4. SNAP ----

for (const when of ['no crash', 'before handling SNAP', 'right after persisting the snapshot', 'after logging the first txn that follows SNAP'] as const) {
  test(`4. a diverged learner behind the leader's retained history gets a SNAP (${when}); it converges`, () => {
    // Keep only 8 committed txns for DIFF: whoever is further behind needs a SNAP.
    const { s } = boot(V5, ['createSession:0x1', 'create:/a'], { historyRetained: 8 });
    // 5 and 1 log a proposal the others never see; both go down.
    const orphans = proposeToMinorityThenCrash(s, 5n, [1n], ['create:/orphan']);
    s.c.crash(1n);
    s.settle(4n);
    // The new leader commits far more than it retains, so it compacts past where 1 diverged.
    const many = Array.from({ length: 100 }, (_, i) => `set:/k:${i}`);
    const zxids = s.commitAll(many.slice(0, 50));
    zxids.push(...s.commitAll(many.slice(50)));
    const action: Intercept | undefined = when === 'before handling SNAP' ? 'crashBefore' : when === 'right after persisting the snapshot' ? 'crashAfterPersist' : when === 'no crash' ? undefined : 'crashAfter';
    let during: bigint | undefined;
    s.on((node, packet) => {
      if (packet.envelope.kind !== 'zab') return undefined;
      const m = packet.envelope.m;
      // A write arrives just as 1 reports its epoch: still uncommitted when the leader syncs 1,
      // so it follows the SNAP as a PROPOSAL.
      if (node.id === 4n && packet.from === 1n && m.type === 'ACKEPOCH' && during === undefined) during = s.propose('set:/k:during-sync', 4n);
      if (node.id !== 1n || action === undefined) return undefined;
      if (when === 'after logging the first txn that follows SNAP') return m.type === 'PROPOSAL' && s.syncProposals(1n) === 1 ? action : undefined;
      return m.type === 'SNAP' ? action : undefined;
    });
    const mark = s.syncs.length;
    s.c.start(1n);
    s.until('server 1 is sent a SNAP', () => s.syncs.slice(mark).some((r) => r.to === 1n));
    const snap = s.lastSync(1n)!;
    assert.equal(snap.type, 'SNAP');
    assert.equal(snap.zxid, zxids.at(-1), 'the SNAP carries everything the leader committed');
    if (action !== undefined) {
      s.until('server 1 crashed during SNAP', () => !s.node(1n).up);
      s.on(undefined);
      if (when === 'before handling SNAP') {
        assert.ok(logged(s.node(1n)).includes('create:/orphan'), 'nothing persisted yet');
      } else {
        // The snapshot replaced the diverged log: exactly the committed history up to the SNAP's
        // zxid, then (in the last variant) the uncommitted write that followed it.
        const upToSnap = s.c.history.filter((e) => e.zxid <= snap.zxid!).map((e) => e.zxid);
        assert.deepEqual(s.node(1n).durable.entries.map((e) => e.zxid), when === 'right after persisting the snapshot' ? upToSnap : [...upToSnap, during]);
      }
      s.c.start(1n);
    }
    s.on(undefined);
    s.settle(4n);
    const resync = s.lastSync(1n)!;
    // Once the snapshot is durable, 1 is a prefix of the leader's history again: DIFF suffices.
    assert.equal(resync.type, when === 'before handling SNAP' || when === 'no crash' ? 'SNAP' : 'DIFF');
    assertNeverCommitted(s, orphans, '4');
    s.c.start(5n);
    s.settle(4n);
    assert.equal(s.lastSync(5n)?.type, 'SNAP', 'the old leader diverged below the retained history too');
    s.commitAll(['create:/after']);
    assert.ok(s.c.snapshotsInstalled >= 2);
    assertInNoLog(s, orphans, '4');
    assertCommittedEverywhere(s, [...zxids, during!], '4');
    assertConverged(s, `4 (${when})`);
  });
}

// ---- 5. a partitioned old leader ----

/** What a host would build from a committed sequence: the ephemeral nodes alive, by owner. */
function ephemerals(entries: readonly Entry[]): string[] {
  const alive = new Map<string, string>();
  for (const e of entries) {
    const [op, a, b] = text(e.data).split(':');
    if (op === 'createEphemeral') alive.set(a!, b!);
    if (op === 'closeSession') for (const [path, owner] of alive) if (owner === a) alive.delete(path);
  }
  return [...alive].map(([path, owner]) => `${path}@${owner}`).sort();
}

test('5. a partitioned old leader (with an observer) keeps accepting writes it can never commit; after healing they are gone and it has the majority\'s closeSession', () => {
  // Observer 9 serves clients on the minority side with the old leader.
  const { s, zxids: before } = boot(V3, ['createSession:0x1', 'createEphemeral:/lock:0x1', 'createSession:0x2'], { observers: [9n] });
  for (const id of [3n, 9n]) assert.deepEqual(ephemerals(s.node(id).committed), ['/lock@0x1']);
  // The minority's links to the majority stall (a partition, TCP not yet broken). The old leader
  // is still established and keeps proposing: session 0x1 creates ephemerals on its side.
  for (const a of [3n, 9n]) for (const b of [1n, 2n]) s.c.pause(a, b);
  const minority: bigint[] = [];
  for (let i = 0; i < 10 && s.node(3n).peer.isEstablishedLeader; i++) {
    minority.push(s.propose(`createEphemeral:/minority${i}:0x1`, 3n));
    s.ticks(2);
  }
  assert.ok(minority.length >= 5, 'the old leader accepted writes on the minority side');
  assertNeverCommitted(s, minority, 'writes on the minority side');
  // The majority times out on it, elects 2 for epoch 2, and expires session 0x1.
  s.until('the majority elects a new leader', () => s.node(2n).peer.isEstablishedLeader);
  assert.equal(s.node(2n).peer.epoch, 2n);
  const close = s.propose('closeSession:0x1', 2n);
  s.ticks(3);
  assert.ok(s.node(1n).committed.some((e) => e.zxid === close) && s.node(2n).committed.some((e) => e.zxid === close), 'closeSession committed on the majority');
  // The old leader steps down by itself (no quorum heard within syncLimit) and refuses writes.
  s.until('the old leader steps down', () => !s.node(3n).peer.isEstablishedLeader);
  assert.equal(s.node(3n).peer.propose(Buffer.from('createEphemeral:/late:0x1')), undefined);
  assertNeverCommitted(s, minority, 'writes on the minority side, before healing');
  // Heal: the old leader rejoins, is TRUNCated to the last txn it shares, and gets epoch 2.
  assert.ok(!s.node(9n).committed.some((e) => minority.includes(e.zxid)), 'the observer applied none of them');
  for (const a of [3n, 9n]) for (const b of [1n, 2n]) s.c.resume(a, b);
  s.settle(2n);
  const trunc = s.lastSync(3n)!;
  assert.deepEqual({ type: trunc.type, zxid: trunc.zxid }, { type: 'TRUNC', zxid: before.at(-1) });
  assertNeverCommitted(s, minority, 'writes on the minority side, after healing');
  assertInNoLog(s, minority, 'writes on the minority side, after healing');
  assertCommittedEverywhere(s, [close], 'the closeSession committed on the majority side');
  for (const n of s.c.nodes.values()) assert.deepEqual(ephemerals(n.committed), [], `server ${n.id} kept ephemerals of a closed session`);
  s.commitAll(['createEphemeral:/lock:0x2']);
  for (const n of s.c.nodes.values()) assert.deepEqual(ephemerals(n.committed), ['/lock@0x2']);
  assertConverged(s, '5');
});

// ---- 6. zxid counter exhaustion ----

function setCounter(node: SimNode, counter: bigint): void {
  // Test-only: a leader would need 2^32 proposals to get here. The counter is the leader's
  // private proposal counter (zxid = epoch << 32 | counter), reset to 0 on establishment.
  (node.peer as unknown as { counter: bigint }).counter = counter;
}

test('6a. a leader whose zxid counter runs out forces a new epoch; the acknowledged txns survive, its unreplicated last one is truncated', () => {
  const { s, zxids: [first] } = boot(V3, ['create:/a']);
  setCounter(s.node(3n), 0xffff_fffdn);
  const [nearlyFull] = s.commitAll(['create:/b']);
  assert.equal(nearlyFull, makeZxid(1, 0xffff_fffe));
  // The last zxid of the epoch: the leader logs it and gives up leading at once, closing its
  // learner links (the PROPOSAL dies with them, and in this network so do its first votes).
  const last = s.propose('create:/c', 3n);
  assert.equal(last, makeZxid(1, 0xffff_ffff));
  assert.equal(s.node(3n).peer.currentRole, 'LOOKING', 'a full counter forces a new election');
  assert.equal(s.node(3n).peer.propose(Buffer.from('create:/refused')), undefined);
  // 1 and 2 elect 2 before 3's notifications are resent: epoch 2, without the last txn.
  const leader = s.settle(2n);
  assert.equal(leader.peer.epoch, 2n);
  const sync = s.lastSync(3n)!;
  assert.deepEqual({ type: sync.type, zxid: sync.zxid }, { type: 'TRUNC', zxid: nearlyFull });
  assertNeverCommitted(s, [last], '6a');
  assertCommittedEverywhere(s, [first!, nearlyFull!], '6a');
  const [next] = s.commitAll(['create:/d']);
  assert.equal(next, makeZxid(2, 1), 'the new epoch starts its counter at 1');
  assertInNoLog(s, [last], '6a');
  assertConverged(s, '6a');
});

test('6b. the leader whose counter ran out crashes with its last txn unreplicated; the others move on and it is truncated', () => {
  const { s } = boot(V3, ['create:/a']);
  setCounter(s.node(3n), 0xffff_fffdn);
  const [acked] = s.commitAll(['create:/b']);
  const last = s.propose('create:/c', 3n);
  s.c.crash(3n);
  const leader = s.settle(2n);
  assert.equal(leader.peer.epoch, 2n);
  s.commitAll(['create:/d']);
  s.c.start(3n);
  s.settle(2n);
  const sync = s.lastSync(3n)!;
  assert.deepEqual({ type: sync.type, zxid: sync.zxid }, { type: 'TRUNC', zxid: acked });
  assertNeverCommitted(s, [last], '6b');
  assertCommittedEverywhere(s, [acked!], '6b');
  assertConverged(s, '6b');
});

test('6c. when the leader whose counter ran out wins the next election, the last txn of the old epoch is committed in the new one', () => {
  const { s } = boot(V3, ['create:/a']);
  setCounter(s.node(3n), 0xffff_fffdn);
  const [nearlyFull] = s.commitAll(['create:/b']);
  // With 1 down, 2 cannot elect anyone without 3, which holds the highest zxid.
  s.c.crash(1n);
  const last = s.propose('create:/c', 3n);
  assert.equal(last, makeZxid(1, 0xffff_ffff));
  assert.equal(s.node(3n).peer.currentRole, 'LOOKING');
  const leader = s.settle(3n);
  assert.equal(leader.peer.epoch, 2n);
  assert.deepEqual(committedZxids(s.node(2n)).slice(-2), [nearlyFull, last]);
  assert.ok(s.c.acknowledged.has(last), 'the epoch-2 leader committed the last txn of epoch 1');
  const [next] = s.commitAll(['create:/d']);
  assert.equal(next, makeZxid(2, 1));
  s.c.start(1n);
  s.settle(3n);
  assertCommittedEverywhere(s, [nearlyFull!, last, next!], '6c');
  assertConverged(s, '6c');
});
