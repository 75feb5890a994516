// Proves ZAB's safety through the real core under faults, over many seeds: 3- and 5-voter
// ensembles with an observer, random message delays (FIFO per link, as over TCP), links cut and
// healed, servers crashed and restarted from what they persisted, and a stream of proposals.
// Independent checks: every server's committed sequence is a prefix of one history (same zxid
// and payload at every position, across restarts); at most one leader is established per epoch;
// and once the network heals, every proposal that any leader committed is committed everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './cluster.js';
import { Prng } from '../../src/util/prng.js';

const SEEDS = Number(process.env.ZAB_SEEDS ?? 40);
/** ZAB_SEED=n replays that one seed exactly (a failure names its seed). */
const ONLY_SEED = process.env.ZAB_SEED === undefined ? undefined : Number(process.env.ZAB_SEED);
const FAULT_TICKS = 3_000;
const HEAL_TICKS = 6_000;

function runSeed(seed: number): Cluster {
  const rng = new Prng(seed);
  const voters = seed % 2 === 0 ? [1n, 2n, 3n] : [1n, 2n, 3n, 4n, 5n];
  // Every third seed keeps only a few txns for DIFF, so learners behind them get SNAPs.
  const cluster = new Cluster(rng, voters, [9n], rng.pick([0, 2, 6]), seed % 3 === 0 ? 8 : 10_000);
  for (const id of cluster.nodes.keys()) cluster.start(id);
  for (let t = 0; t < FAULT_TICKS; t++) {
    if (rng.chance(0.01)) cluster.injectFault();
    cluster.step(0.3);
  }
  cluster.healAll();
  const everywhere = () => [...cluster.nodes.values()].every((n) => [...cluster.acknowledged.keys()].every((z) => n.committed.some((e) => e.zxid === z)));
  for (let t = 0; t < HEAL_TICKS && !(everywhere() && t > 200); t++) cluster.step(0.05);
  for (const node of cluster.nodes.values()) {
    for (const [zxid, data] of cluster.acknowledged) {
      assert.ok(node.committed.some((e) => e.zxid === zxid && Buffer.from(e.data).toString() === data),
        `seed ${seed}: committed txn ${zxid.toString(16)} (${data}) is missing on server ${node.id} after healing (role ${node.peer.currentRole})`);
    }
  }
  return cluster;
}

test('ZAB keeps one history and loses no committed txn through crashes, restarts and partitions', () => {
  let committedTotal = 0;
  let snapshots = 0;
  const seeds = ONLY_SEED === undefined ? Array.from({ length: SEEDS }, (_, i) => i + 1) : [ONLY_SEED];
  for (const seed of seeds) {
    let cluster: Cluster;
    try {
      cluster = runSeed(seed);
    } catch (e) {
      throw new Error(`seed ${seed} failed (replay with ZAB_SEED=${seed}): ${(e as Error).message}`, { cause: e });
    }
    committedTotal += cluster.acknowledged.size;
    snapshots += cluster.snapshotsInstalled;
  }
  assert.ok(committedTotal > seeds.length * 50, `only ${committedTotal} txns committed over ${seeds.length} seeds: the simulation exercised too little`);
  if (seeds.length >= 3) assert.ok(snapshots > 0, 'no learner was ever synced by SNAP: the simulation missed that path');
});

/**
 * Seeds that once failed, replayed on every run. 1094: a server that decided to follow a leader
 * elected in a later round announced an older round than the leader, and a late joiner required
 * both in one round, so it stayed LOOKING forever (fixed in election: decided votes are compared
 * by leader and epoch only, as ZooKeeper's Vote.equals).
 */
const REGRESSION_SEEDS = [1094];

test('seeds that once failed stay fixed', () => {
  for (const seed of REGRESSION_SEEDS) runSeed(seed);
});
