// Proves fast leader election converges under a hostile network: over many seeds, ensembles of
// 3, 5 and 7 voters plus observers, with messages delayed, duplicated, reordered and dropped,
// every server ends up agreeing on one leader that is at least as up to date as a majority of
// voters (with a prompt, lossless network: the best voter of all); a server that starts late, or
// one that returns after the leader left, learns the leader. Split decisions, which FLE allows,
// are undone as ZAB undoes them: a leader without a quorum, and its followers, elect again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FastLeaderElection, type Decision, type Ready } from '../../src/election/fast-leader-election.js';
import { PeerState, type Notification, type ServerId } from '../../src/election/vote.js';
import { Prng } from '../../src/util/prng.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 300);
const TICKS_MAX = 20_000;
/** Ticks a decided server waits for its leader to lead (ZAB's initLimit in the simulation). */
const SETTLE_TICKS = 400;

interface SimServer {
  readonly id: ServerId;
  readonly election: FastLeaderElection;
  lastZxid: bigint;
  epoch: bigint;
  up: boolean;
  decision?: Decision;
}

interface InFlight {
  at: number;
  from: ServerId;
  to: ServerId;
  n: Notification;
}

/** A seeded network: every message is delayed 0..maxDelay ticks, maybe dropped or duplicated. */
class Simulation {
  readonly servers = new Map<ServerId, SimServer>();
  private queue: InFlight[] = [];
  now = 0;

  constructor(
    private readonly rng: Prng,
    readonly voters: ServerId[],
    readonly observers: ServerId[],
    private readonly drop: number,
    private readonly duplicate: number,
    private readonly maxDelay: number,
  ) {
    const voterSet = new Set(voters);
    const peers = new Set([...voters, ...observers]);
    for (const id of peers) {
      this.servers.set(id, {
        id,
        election: new FastLeaderElection({ self: id, voters: voterSet, peers, finalizeWaitTicks: 4, resendTicksMin: 4, resendTicksMax: 200 }),
        lastZxid: BigInt(rng.below(4)) << 8n,
        epoch: BigInt(rng.below(2)),
        up: false,
      });
    }
  }

  private deliver(from: ServerId, ready: Ready): void {
    const server = this.servers.get(from)!;
    if (ready.decided !== undefined) server.decision = ready.decided;
    for (const m of ready.messages) {
      // A server's own vote loops back without the network.
      if (m.to === from) {
        this.queue.push({ at: this.now, from, to: m.to, n: m.notification });
        continue;
      }
      if (this.rng.chance(this.drop)) continue;
      const copies = this.rng.chance(this.duplicate) ? 2 : 1;
      for (let i = 0; i < copies; i++) this.queue.push({ at: this.now + this.rng.below(this.maxDelay + 1), from, to: m.to, n: m.notification });
    }
  }

  start(id: ServerId): void {
    const s = this.servers.get(id)!;
    s.up = true;
    s.decision = undefined;
    this.deliver(id, s.election.start(s.lastZxid, s.epoch));
  }

  stop(id: ServerId): void {
    const s = this.servers.get(id)!;
    s.up = false;
    s.decision = undefined;
  }

  /** Advances one tick: due messages in random order, then every live server's tick. */
  step(): void {
    this.now++;
    const due = this.queue.filter((m) => m.at <= this.now);
    this.queue = this.queue.filter((m) => m.at > this.now);
    for (let i = due.length - 1; i > 0; i--) {
      const j = this.rng.below(i + 1);
      [due[i], due[j]] = [due[j]!, due[i]!];
    }
    for (const m of due) {
      const to = this.servers.get(m.to)!;
      if (to.up) this.deliver(m.to, to.election.step(m.from, m.n));
    }
    for (const s of this.servers.values()) if (s.up) this.deliver(s.id, s.election.tick());
  }

  allDecided(ids: Iterable<ServerId>): boolean {
    for (const id of ids) if (this.servers.get(id)!.decision === undefined) return false;
    return true;
  }

  /**
   * What ZAB does after a split decision: a leader that fewer than a quorum follow, and anyone
   * following a server that does not lead, start a new round. Returns whether anything restarted.
   */
  undoSplits(ids: ServerId[]): boolean {
    const live = ids.filter((id) => this.servers.get(id)!.up);
    const decisionOf = (id: ServerId) => this.servers.get(id)!.decision;
    const restart = new Set<ServerId>();
    for (const id of live) {
      const d = decisionOf(id);
      if (d === undefined) continue;
      if (d.state === PeerState.LEADING) {
        const backers = live.filter((v) => this.voters.includes(v) && decisionOf(v)?.vote.leader === id).length;
        if (backers * 2 <= this.voters.length) restart.add(id);
      } else {
        const leader = decisionOf(d.vote.leader);
        if (leader === undefined || leader.state !== PeerState.LEADING) restart.add(id);
      }
    }
    for (const id of live) {
      const d = decisionOf(id);
      if (d !== undefined && d.state !== PeerState.LEADING && restart.has(d.vote.leader)) restart.add(id);
    }
    for (const id of restart) this.start(id);
    return restart.size > 0;
  }

  /**
   * Runs until every server in `ids` decided and no split remains. Like ZAB's initLimit, a
   * server gets SETTLE_TICKS to find its leader leading before it gives up and elects again
   * (stale notifications can make it follow a leader that is gone).
   */
  settle(ids: ServerId[]): void {
    const deadline = this.now + TICKS_MAX;
    while (this.now < deadline) {
      const chunkEnd = this.now + SETTLE_TICKS;
      while (this.now < chunkEnd && !this.allDecided(ids)) this.step();
      const restarted = this.undoSplits(ids);
      if (!restarted && this.allDecided(ids)) return;
    }
  }
}

/** The voter ZooKeeper must pick among `ids`: highest epoch, then zxid, then id. */
function best(sim: Simulation, ids: ServerId[]): ServerId {
  return [...ids].sort((a, b) => {
    const x = sim.servers.get(a)!;
    const y = sim.servers.get(b)!;
    if (x.epoch !== y.epoch) return x.epoch > y.epoch ? -1 : 1;
    if (x.lastZxid !== y.lastZxid) return x.lastZxid > y.lastZxid ? -1 : 1;
    return a > b ? -1 : 1;
  })[0]!;
}

function ensemble(seed: number, reliable = false): Simulation {
  const rng = new Prng(seed);
  const size = [3, 5, 7][seed % 3]!;
  const voters = Array.from({ length: size }, (_, i) => BigInt(i + 1));
  const observers = seed % 2 === 0 ? [100n, 101n] : [];
  if (reliable) return new Simulation(rng, voters, observers, 0, 0, 1);
  return new Simulation(rng, voters, observers, rng.pick([0, 0.05, 0.2]), rng.pick([0, 0.1]), rng.pick([0, 3, 10]));
}

/** One leader for all of `ids`, at least as up to date as a majority of voters; returns it. */
function checkAgreement(sim: Simulation, ids: ServerId[], seed: number, expectedLeader?: ServerId): ServerId {
  const leader = sim.servers.get(ids[0]!)!.decision?.vote.leader;
  assert.ok(leader !== undefined, `seed ${seed}: server ${ids[0]} never decided`);
  if (expectedLeader !== undefined) assert.equal(leader, expectedLeader, `seed ${seed}: elected ${leader}, expected ${expectedLeader}`);
  const l = sim.servers.get(leader)!;
  const behind = sim.voters.filter((v) => {
    const s = sim.servers.get(v)!;
    return s.epoch < l.epoch || (s.epoch === l.epoch && s.lastZxid <= l.lastZxid);
  }).length;
  assert.ok(behind * 2 > sim.voters.length, `seed ${seed}: leader ${leader} is behind a majority of voters`);
  for (const id of ids) {
    const d = sim.servers.get(id)!.decision;
    assert.ok(d !== undefined, `seed ${seed}: server ${id} never decided`);
    assert.equal(d.vote.leader, leader, `seed ${seed}: server ${id} follows ${d.vote.leader}, others ${leader}`);
    const expectedState: number = id === leader ? PeerState.LEADING : sim.voters.includes(id) ? PeerState.FOLLOWING : PeerState.OBSERVING;
    assert.equal(d.state, expectedState, `seed ${seed}: server ${id} state`);
  }
  return leader;
}

test('with a prompt, lossless network every server picks the best voter', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const sim = ensemble(seed, true);
    const all = [...sim.servers.keys()];
    for (const id of all) sim.start(id);
    sim.settle(all);
    checkAgreement(sim, all, seed, best(sim, sim.voters));
  }
});

test('whatever the network does to messages, all servers end up following one up-to-date leader', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const sim = ensemble(seed);
    const all = [...sim.servers.keys()];
    for (const id of all) sim.start(id);
    sim.settle(all);
    checkAgreement(sim, all, seed);
  }
});

test('a late server learns the established leader; after the leader leaves, the rest elect the next best', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const sim = ensemble(seed);
    const trace = (phase: string) => {
      if (process.env.SIM_TRACE === String(seed)) {
        console.log(phase, sim.now, [...sim.servers.values()].map((s) => `${s.id}:${s.up ? '' : 'down '}${s.decision ? `${s.decision.state}->${s.decision.vote.leader}@${s.decision.vote.electionEpoch}` : `looking r${s.election.round}`} ${JSON.stringify(s.election, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Map ? [...v.entries()] : v instanceof Set ? [...v] : v))}`).join('\n'));
      }
    };
    const [late, ...early] = [...sim.voters].reverse();
    const others = [...early, ...sim.observers];
    for (const id of others) sim.start(id);
    sim.settle(others);
    trace('first');
    const first = checkAgreement(sim, others, seed);
    // The late voter joins the running ensemble and must follow, even if it would win a fresh round.
    sim.start(late!);
    sim.settle([...others, late!]);
    trace('late');
    checkAgreement(sim, [late!, ...others], seed, first);

    // The leader goes; everyone else starts a new round (as ZAB makes them when pings stop).
    sim.stop(first);
    const rest = [...sim.servers.keys()].filter((id) => id !== first);
    for (const id of rest) sim.start(id);
    sim.settle(rest);
    trace('second');
    const second = checkAgreement(sim, rest, seed);
    assert.notEqual(second, first);
    // The old leader comes back and follows the new one.
    sim.start(first);
    sim.settle([...rest, first]);
    trace('return');
    checkAgreement(sim, [first, ...rest], seed, second);
  }
});
