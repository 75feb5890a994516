// Proves replicated ensembles with real processes on loopback: the pseudo-cluster walk-through
// (one leader, followers, the same node and Stat read on every member, the leader stopped and
// replaced, the old leader back as a follower that catches up), kill -9 of the leader under write
// load with no acknowledged write lost, sessions that are global (kept alive through a follower,
// expired by the leader, their ephemerals removed everywhere, resumed on another member), a
// 5-server ensemble losing a minority and then its majority, and a follower too far behind for a
// DIFF catching up from the leader's snapshot.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type ZooKeeperClient } from '../../src/main/client.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import type { Stat } from '../../src/proto/data.js';
import { Ensemble, destroyAllEnsembles } from '../support/ensemble.js';
import { RawSession } from '../support/raw-session.js';
import { fourLetterWord, SUPER_DIGEST_TEST } from '../support/zk-reference.js';
import { existsSync } from 'node:fs';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';
import { Ids } from '../../src/proto/data.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'zk-server');

/** Every client a test opened, closed at the end even when a test fails midway. */
const clients = new Set<ZooKeeperClient>();
after(async () => {
  await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
  await destroyAllEnsembles();
});

async function connect(connectString: string, options: { sessionTimeoutMs?: number; session?: { id: bigint; password: Buffer } } = {}): Promise<ZooKeeperClient> {
  const client = createClient(connectString, { sessionTimeoutMs: options.sessionTimeoutMs ?? 4_000, reconnectDelayMs: 100, ...(options.session ? { session: options.session } : {}) });
  clients.add(client);
  await client.connect();
  return client;
}

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates `path`, retrying while the client moves between members (CONNECTIONLOSS: the create may have happened). */
async function createSurely(client: ZooKeeperClient, path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.create(path, null);
      return;
    } catch (e) {
      if (e instanceof KeeperError && e.code === ErrorCode.NODEEXISTS && attempt > 0) return;
      if (!(e instanceof KeeperError) || e.code !== ErrorCode.CONNECTIONLOSS || attempt >= 20) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const statText = (s: Stat): string => JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v));

/** Reads `path` through each member alone, after a sync: the replicas must agree. */
async function readEverywhere(ensemble: Ensemble, ids: number[], path: string): Promise<Array<{ data: string | null; stat: Stat }>> {
  const out = [];
  for (const id of ids) {
    const c = await connect(ensemble.connectString([id]));
    try {
      await c.sync(path);
      const r = await c.getData(path);
      out.push({ data: r.data === null ? null : r.data.toString(), stat: r.stat });
    } finally {
      await c.close();
    }
  }
  return out;
}

test('pseudo-cluster walk-through: leader and followers, one tree, failover, the old leader rejoins', { timeout: 120_000 }, async () => {
  const ensemble = await Ensemble.create({ voters: 3, adminServer: true });
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum();
    const followers = [1, 2, 3].filter((id) => id !== leader);
    // zk-server status, as an operator runs it.
    for (const id of [1, 2, 3]) {
      const r = spawnSync(process.execPath, [BIN, 'status', ensemble.member(id).cfg], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`Mode: ${id === leader ? 'leader' : 'follower'}`));
    }
    // mntr: the role, and the leader's view of its followers.
    const leaderMntr = await fourLetterWord('127.0.0.1', ensemble.member(leader).clientPort, 'mntr');
    assert.match(leaderMntr, /^zk_server_state\tleader$/m);
    assert.match(leaderMntr, /^zk_synced_followers\t2$/m);
    assert.match(leaderMntr, /^zk_quorum_size\t3$/m);
    const followerMntr = await fourLetterWord('127.0.0.1', ensemble.member(followers[0]!).clientPort, 'mntr');
    assert.match(followerMntr, /^zk_server_state\tfollower$/m);
    assert.match(followerMntr, /^zk_peer_state\tfollowing - broadcast$/m);
    // The admin commands that describe the ensemble (ZooKeeper's Commands: leader, voting_view, zabstate).
    const admin = async (id: number, command: string): Promise<Record<string, unknown>> =>
      (await (await fetch(`http://127.0.0.1:${ensemble.member(id).adminPort}/commands/${command}`)).json()) as Record<string, unknown>;
    const lead = await admin(followers[0]!, 'leader');
    assert.deepEqual([lead['is_leader'], lead['leader_id'], lead['leader_ip']], [false, leader, '127.0.0.1']);
    assert.equal((await admin(leader, 'leader'))['is_leader'], true);
    const view = (await admin(leader, 'voting_view'))['current_config'] as Record<string, { learner_type: string; election_addresses: string[] }>;
    assert.deepEqual(Object.keys(view).sort(), ['1', '2', '3']);
    assert.equal(view[String(leader)]!.election_addresses[0], `127.0.0.1:${ensemble.member(leader).electionPort}`);
    const zab = await admin(followers[0]!, 'zabstate');
    assert.deepEqual([zab['myid'], zab['is_leader'], zab['voting'], zab['zabstate']], [followers[0], false, true, 'broadcast']);

    // conf adds QuorumZooKeeperServer's lines: limits, this member's ports, the membership.
    const conf = await fourLetterWord('127.0.0.1', ensemble.member(followers[0]!).clientPort, 'conf');
    assert.match(conf, new RegExp(`\\ninitLimit=10\\nsyncLimit=5\\nelectionAlg=3\\nelectionPort=${ensemble.member(followers[0]!).electionPort}\\nquorumPort=${ensemble.member(followers[0]!).quorumPort}\\npeerType=0\\nmembership: \\nserver\\.1=`));
    // ZOOKEEPER-1783: the established config takes the version epoch << 32 of its first epoch.
    assert.match(conf, /\nversion=[1-9a-f][0-9a-f]*00000000$/);

    // /zookeeper/config holds the membership, as in ZooKeeper.
    const configReader = await connect(ensemble.connectString([followers[1]!]));
    const membership = (await configReader.getConfig()).data?.toString() ?? '';
    await configReader.close();
    for (const m of ensemble.members) assert.match(membership, new RegExp(`^server\\.${m.id}=127\\.0\\.0\\.1:\\d+:\\d+:participant;127\\.0\\.0\\.1:${m.clientPort}$`, 'm'));
    assert.match(membership, /^version=[1-9a-f][0-9a-f]*00000000$/m);
    assert.ok(membership.endsWith(/version=\w+$/.exec(conf)![0]), 'conf and /zookeeper/config agree on the version');

    // Written through a follower, read on every member with the identical Stat.
    const writer = await connect(ensemble.connectString([followers[0]!]));
    await writer.create('/walk', 'first');
    for (let i = 0; i < 20; i++) await writer.create(`/walk/c${i}`, `${i}`);
    await writer.setData('/walk', 'second');
    const seen = await readEverywhere(ensemble, [1, 2, 3], '/walk');
    for (const r of seen) {
      assert.equal(r.data, 'second');
      assert.equal(statText(r.stat), statText(seen[0]!.stat));
    }
    assert.equal(seen[0]!.stat.numChildren, 20);
    await writer.close();

    // The leader stops; the other two elect a new one and keep every txn.
    const stoppedAt = Date.now();
    await ensemble.stop(leader, 'SIGTERM');
    const next = await ensemble.waitForQuorum(followers);
    const failoverMs = Date.now() - stoppedAt;
    assert.notEqual(next, leader);
    assert.ok(failoverMs < 10_000, `new leader after ${failoverMs} ms`);
    const during = await connect(ensemble.connectString(followers));
    await during.setData('/walk', 'third');
    await during.create('/walk/after-failover', null);
    await during.close();

    // The old leader comes back as a follower and catches up.
    ensemble.start(leader);
    await until('the old leader to follow', async () => (await ensemble.mode(leader)) === 'follower', 20_000);
    assert.equal(await ensemble.waitForQuorum(), next);
    const again = await readEverywhere(ensemble, [1, 2, 3], '/walk');
    for (const r of again) {
      assert.equal(r.data, 'third');
      assert.equal(statText(r.stat), statText(again[0]!.stat));
      assert.equal(r.stat.numChildren, 21);
    }
    // Once the last session closes have propagated, every member is at the same zxid.
    let zxids: Array<string | undefined> = [];
    await until('the members to reach the same zxid', async () => {
      zxids = await Promise.all([1, 2, 3].map(async (id) => /Zxid: (\w+)/.exec(await ensemble.srvr(id))?.[1]));
      return zxids[0] !== undefined && zxids.every((z) => z === zxids[0]);
    }, 5_000).catch((e: Error) => assert.fail(`${e.message}: ${zxids.join(',')}`));
  } finally {
    await ensemble.destroy();
  }
});

test('kill -9 of the leader under write load loses no acknowledged write', { timeout: 180_000 }, async () => {
  const ensemble = await Ensemble.create({ voters: 3 });
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum();
    const setup = await connect(ensemble.connectString());
    await setup.create('/load', null);
    await setup.close();

    const acked: string[] = [];
    let uncertain = 0;
    let killed = false;
    let stop = false;
    const deadline = Date.now() + 60_000;
    const writers = await Promise.all([0, 1, 2, 3].map(() => connect(ensemble.connectString(), { sessionTimeoutMs: 8_000 })));
    const loops = writers.map(async (client, w) => {
      for (let i = 0; !stop && i < 2_000 && Date.now() < deadline; i++) {
        const path = `/load/w${w}-${i}`;
        try {
          await client.create(path, `${i}`);
          acked.push(path);
        } catch (e) {
          if (!(e instanceof KeeperError)) throw e;
          // Connection loss: the write may or may not have happened. Anything else is a failure.
          assert.ok(([ErrorCode.CONNECTIONLOSS, ErrorCode.OPERATIONTIMEOUT, ErrorCode.NODEEXISTS] as number[]).includes(e.code), `unexpected ${e.message}`);
          uncertain++;
          await new Promise((r) => setTimeout(r, 50));
        }
        if (!killed && acked.length >= 150) {
          killed = true;
          void ensemble.stop(leader, 'SIGKILL');
        }
        if (killed && acked.length >= 600) stop = true;
      }
    });
    await Promise.all(loops);
    assert.ok(killed, 'the leader was killed during the load');
    assert.ok(acked.length >= 600, `only ${acked.length} writes acknowledged (uncertain ${uncertain})`);
    for (const c of writers) await c.close();

    ensemble.start(leader);
    await ensemble.waitForQuorum([1, 2, 3], 30_000);
    for (const id of [1, 2, 3]) {
      const c = await connect(ensemble.connectString([id]));
      await c.sync('/load');
      const children = new Set(await c.getChildren('/load'));
      const missing = acked.filter((p) => !children.has(p.slice('/load/'.length)));
      assert.deepEqual(missing, [], `server ${id} lost acknowledged writes`);
      await c.close();
    }
  } finally {
    await ensemble.destroy();
  }
});

test('sessions are global: kept alive through a follower, expired by the leader, resumed on another member', { timeout: 120_000 }, async () => {
  const ensemble = await Ensemble.create({ voters: 3 });
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum();
    const [f1, f2] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
    // A session that lives only on a follower outlives its timeout several times over: the
    // follower tells the leader its client is alive.
    const a = await connect(ensemble.connectString([f1]), { sessionTimeoutMs: 1_000 });
    await a.create('/owned', null, { mode: 'EPHEMERAL' });
    await new Promise((r) => setTimeout(r, 4_000));
    const observer = await connect(ensemble.connectString([f2]));
    const owned = await observer.exists('/owned');
    assert.ok(owned !== null, 'the ephemeral of a live session on a follower was expired');
    assert.equal(owned.ephemeralOwner, a.sessionId);

    // The same session moves to the other follower with its id and password.
    const moved = await connect(ensemble.connectString([f2]), { sessionTimeoutMs: 1_000, session: { id: a.sessionId, password: a.sessionPassword } });
    assert.equal(moved.sessionId, a.sessionId);
    assert.deepEqual(await moved.getEphemerals('/'), ['/owned']);
    await moved.close();
    await until('the closed session\'s ephemeral to go everywhere', async () => (await observer.exists('/owned')) === null);

    // A session whose client vanishes (no close) is expired by the leader; its ephemeral goes on every member.
    const raw = await RawSession.open('127.0.0.1', ensemble.member(f1).clientPort, undefined, 1_000);
    const created = await raw.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/doomed', data: Buffer.alloc(0), acl: [...Ids.OPEN_ACL_UNSAFE], flags: 1 }));
    assert.equal(created.err, 0);
    assert.ok((await observer.exists('/doomed')) !== null || (await observer.sync('/').then(() => observer.exists('/doomed'))) !== null);
    // The client vanishes without closing its session.
    raw.close();
    await until('the leader to expire the abandoned session', async () => (await observer.exists('/doomed')) === null, 15_000);
    for (const id of [1, 2, 3]) {
      const check = await connect(ensemble.connectString([id]));
      await check.sync('/');
      assert.equal(await check.exists('/doomed'), null, `server ${id} still has the expired session's ephemeral`);
      await check.close();
    }
    await observer.close();
  } finally {
    await ensemble.destroy();
  }
});

test('five servers: a minority down keeps serving; a majority down stops writes; back up, nothing lost', { timeout: 180_000 }, async () => {
  const ensemble = await Ensemble.create({ voters: 5 });
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum();
    const others = [1, 2, 3, 4, 5].filter((id) => id !== leader);
    // The leader and one follower die: three of five remain, a quorum.
    await ensemble.stop(leader);
    await ensemble.stop(others[0]!);
    const survivors = others.slice(1);
    await ensemble.waitForQuorum(survivors, 30_000);
    const c = await connect(ensemble.connectString(survivors));
    await c.create('/five', 'minority-down');
    await c.close();
    // One more dies: two of five cannot form a quorum, and they stop serving.
    await ensemble.stop(survivors[0]!);
    const left = survivors.slice(1);
    await until('the minority to stop serving', async () => (await Promise.all(left.map((id) => ensemble.mode(id)))).every((m) => m !== 'leader' && m !== 'follower'), 20_000);
    // They still answer four-letter words, as ZooKeeper does, and status says why they do not serve.
    assert.equal(await ensemble.srvr(left[0]!), 'This ZooKeeper instance is not currently serving requests\n');
    const status = spawnSync(process.execPath, [BIN, 'status', ensemble.member(left[0]!).cfg], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(status.status, 1);
    assert.match(status.stdout, /Why: .* no established leader yet \(a leader needs 3 of the 5 voting servers/);
    // A client is turned away rather than served stale data.
    const refused = createClient(ensemble.connectString([left[0]!]), { sessionTimeoutMs: 4_000, connectTimeoutMs: 1_000 });
    clients.add(refused);
    await assert.rejects(refused.connect({ signal: AbortSignal.timeout(3_000) }));
    await refused.close();
    // Back to a quorum: the write made with three servers is there, everywhere.
    ensemble.start(leader);
    ensemble.start(others[0]!);
    ensemble.start(survivors[0]!);
    await ensemble.waitForQuorum([1, 2, 3, 4, 5], 40_000);
    const seen = await readEverywhere(ensemble, [1, 2, 3, 4, 5], '/five');
    for (const r of seen) {
      assert.equal(r.data, 'minority-down');
      assert.equal(statText(r.stat), statText(seen[0]!.stat));
    }
  } finally {
    await ensemble.destroy();
  }
});

test('a follower too far behind for a DIFF catches up from the leader\'s snapshot', { timeout: 120_000 }, async () => {
  // commitLogCount=20: a learner more than ~20 txns behind cannot be sent the missing txns.
  const ensemble = await Ensemble.create({ voters: 3, extra: ['commitLogCount=20'] });
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum();
    const lagging = [1, 2, 3].find((id) => id !== leader)!;
    await ensemble.stop(lagging);
    const rest = [1, 2, 3].filter((id) => id !== lagging);
    const c = await connect(ensemble.connectString(rest));
    await c.create('/bulk', null);
    for (let i = 0; i < 300; i++) await c.create(`/bulk/n${i}`, `${i}`);
    await c.close();
    ensemble.start(lagging);
    await until('the lagging server to follow', async () => (await ensemble.mode(lagging)) === 'follower', 30_000);
    assert.match(ensemble.member(lagging).output, /SNAP from the leader/);
    const seen = await readEverywhere(ensemble, [1, 2, 3], '/bulk');
    for (const r of seen) {
      assert.equal(r.stat.numChildren, 300);
      assert.equal(statText(r.stat), statText(seen[0]!.stat));
    }
    // It restarts from what SNAP left on its disk.
    await ensemble.stop(lagging, 'SIGTERM');
    ensemble.start(lagging);
    await until('the lagging server to follow again', async () => (await ensemble.mode(lagging)) === 'follower', 30_000);
    const after = await readEverywhere(ensemble, [lagging], '/bulk');
    assert.equal(after[0]!.stat.numChildren, 300);
  } finally {
    await ensemble.destroy();
  }
});

test('an observer replicates and serves but never votes', { timeout: 120_000 }, async () => {
  const ensemble = await Ensemble.create({ voters: 3, observers: 1 });
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum();
    assert.notEqual(leader, 4);
    assert.equal(await ensemble.mode(4), 'observer');
    // Written through the observer (forwarded to the leader), read back everywhere.
    const c = await connect(ensemble.connectString([4]));
    await c.create('/observed', 'via-observer');
    await c.close();
    const seen = await readEverywhere(ensemble, [1, 2, 3, 4], '/observed');
    for (const r of seen) assert.equal(statText(r.stat), statText(seen[0]!.stat));
    // The observer is not part of the quorum: with two voters down, the remaining voter and the
    // observer cannot elect anyone.
    const voters = [1, 2, 3].filter((id) => id !== leader);
    await ensemble.stop(leader);
    await ensemble.stop(voters[0]!);
    await until('the observer to stop serving without a quorum', async () => (await ensemble.mode(4)) === undefined, 20_000);
    assert.equal(await ensemble.mode(voters[1]!), undefined);
  } finally {
    await ensemble.destroy();
  }
});

test('a client whose server dies moves to another member: same session, watches re-armed, nothing lost or doubled', { timeout: 120_000 }, async () => {
  const ensemble = await Ensemble.create({ voters: 3 });
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum();
    const [f1, f2] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
    const writer = await connect(ensemble.connectString([leader]));
    await writer.create('/moved', 'v0');
    await writer.create('/tree', null);
    const client = createClient(ensemble.connectString([f1, f2]), { sessionTimeoutMs: 6_000, reconnectDelayMs: 100, keepHostOrder: true });
    clients.add(client);
    await client.connect();
    const events: string[] = [];
    await client.getData('/moved', (e) => events.push(`data:${e.type}:${e.path}`));
    await client.addWatch('/tree', 'PERSISTENT_RECURSIVE', (e) => events.push(`tree:${e.type}:${e.path}`));
    const sessionId = client.sessionId;
    const zxidBefore = (await client.exists('/moved'))!.mzxid;

    await ensemble.stop(f1);
    // Changed while the client has no server: its re-armed data watch still fires (setWatches2
    // with the last zxid it saw), once.
    await writer.setData('/moved', 'v1');
    await until('the client to reconnect to the other follower', async () => client.state === 'CONNECTED' && events.includes('data:3:/moved'), 20_000);
    assert.equal(client.sessionId, sessionId);
    const moved = await client.getData('/moved');
    assert.equal(moved.data?.toString(), 'v1');
    assert.ok(moved.stat.mzxid > zxidBefore);
    // The persistent recursive watch is armed on the new server.
    await writer.create('/tree/after', null);
    await until('the recursive watch to fire on the new server', async () => events.includes('tree:1:/tree/after'));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(events, ['data:3:/moved', 'tree:1:/tree/after']);
  } finally {
    await ensemble.destroy();
  }
});

test('read-only mode: a member cut off from its quorum serves read-only clients until the quorum is back', { timeout: 120_000 }, async () => {
  const ensemble = await Ensemble.create({ voters: 3, extra: ['readonlymode.enabled=true'] });
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum();
    const writer = await connect(ensemble.connectString([leader]));
    await writer.create('/ro', 'before the partition');
    await writer.close();
    const [alone, other] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
    await ensemble.stop(leader);
    await ensemble.stop(other);
    await until('the lone member to go read-only', async () => (await ensemble.mode(alone)) === 'read-only', 20_000);
    assert.equal(await fourLetterWord('127.0.0.1', ensemble.member(alone).clientPort, 'isro'), 'ro');
    // A client that accepts read-only sessions reads; its writes and syncs get NOTREADONLY.
    const reader = createClient(ensemble.connectString([alone]), { sessionTimeoutMs: 4_000, readOnly: true, reconnectDelayMs: 100 });
    clients.add(reader);
    await reader.connect();
    assert.equal(reader.state, 'CONNECTEDREADONLY');
    assert.equal((await reader.getData('/ro')).data?.toString(), 'before the partition');
    await assert.rejects(reader.create('/ro/child', null), (e: unknown) => e instanceof KeeperError && e.code === ErrorCode.NOTREADONLY);
    await assert.rejects(reader.sync('/ro'), (e: unknown) => e instanceof KeeperError && e.code === ErrorCode.NOTREADONLY);
    // A client that does not accept read-only sessions is refused.
    const refused = createClient(ensemble.connectString([alone]), { sessionTimeoutMs: 4_000, connectTimeoutMs: 1_000 });
    clients.add(refused);
    await assert.rejects(refused.connect({ signal: AbortSignal.timeout(3_000) }));
    await refused.close();
    // The quorum comes back: the member serves read-write again.
    ensemble.start(leader);
    ensemble.start(other);
    await ensemble.waitForQuorum([1, 2, 3], 30_000);
    assert.equal(await fourLetterWord('127.0.0.1', ensemble.member(alone).clientPort, 'isro'), 'rw');
    const rw = await connect(ensemble.connectString([alone]));
    await rw.create('/ro/after', null);
    await rw.close();
  } finally {
    await ensemble.destroy();
  }
});

/** Sends a reconfig (op 16) and answers with the error code and, on success, the new config text. */
async function reconfig(client: ZooKeeperClient, change: { joining?: string; leaving?: string; newMembers?: string; fromConfig?: bigint }): Promise<{ err: number; config?: string; stat?: Stat }> {
  const reply = await client.request(
    OpCode.reconfig,
    (w) => R.ReconfigRequest.write(w, { joiningServers: change.joining ?? null, leavingServers: change.leaving ?? null, newMembers: change.newMembers ?? null, curConfigId: change.fromConfig ?? -1n }),
    (r) => R.GetDataResponse.read(r),
  );
  if (reply.header.err !== 0) return { err: reply.header.err };
  return { err: 0, config: Buffer.from(reply.body!.data ?? Buffer.alloc(0)).toString(), stat: reply.body!.stat };
}

test('dynamic reconfiguration: a server joins, another leaves, the leader removes itself; refusals as ZooKeeper\'s', { timeout: 180_000 }, async () => {
  const ensemble = await Ensemble.create({ voters: 3, joiners: 1, extra: ['reconfigEnabled=true', `DigestAuthenticationProvider.superDigest=${SUPER_DIGEST_TEST}`] });
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum([1, 2, 3]);
    const admin = await connect(ensemble.connectString([1, 2, 3]));
    await admin.addAuth('digest', 'super:test');
    const plain = await connect(ensemble.connectString([1, 2, 3]));

    // Refusals: not super, a stale config version, a new config without a synced quorum.
    assert.equal((await reconfig(plain, { leaving: '3' })).err, ErrorCode.NOAUTH);
    assert.equal((await reconfig(admin, { leaving: '3', fromConfig: 0x5n })).err, ErrorCode.BADVERSION);
    const others = [1, 2, 3].filter((id) => id !== leader);
    const ghost = 'server.7=127.0.0.1:1:2:participant;127.0.0.1:3,server.8=127.0.0.1:4:5:participant;127.0.0.1:6';
    assert.equal((await reconfig(admin, { leaving: others.join(','), joining: ghost })).err, ErrorCode.NEWCONFIGNOQUORUM);
    assert.equal((await reconfig(admin, { joining: 'server.9=nonsense' })).err, ErrorCode.BADARGUMENTS);

    // Server 4 starts with a config naming all four, syncs as a non-voting learner, then joins.
    ensemble.start(4);
    await until('server 4 to sync with the leader', async () => (await ensemble.mode(4)) === 'follower', 20_000);
    const joined = await reconfig(admin, { joining: ensemble.serverLine(4) });
    assert.equal(joined.err, 0);
    assert.match(joined.config!, new RegExp(`^${ensemble.serverLine(4).replace(/[.;]/g, (c) => `\\${c}`)}$`, 'm'));
    const version = /^version=([0-9a-f]+)$/m.exec(joined.config!)?.[1];
    assert.ok(version !== undefined && BigInt(`0x${version}`) === joined.stat!.mzxid, 'the config version is the reconfig\'s zxid');
    for (const id of [1, 2, 3, 4]) {
      const c = await connect(ensemble.connectString([id]));
      await c.sync('/');
      assert.equal((await c.getConfig()).data?.toString(), joined.config, `server ${id}'s /zookeeper/config`);
      await c.close();
    }
    assert.match(await fourLetterWord('127.0.0.1', ensemble.member(leader).clientPort, 'mntr'), /^zk_quorum_size\t4$/m);
    assert.ok(existsSync(join(ensemble.member(leader).dataDir, `zoo.cfg.dynamic.${version}`)), 'the dynamic config file is written');

    // With four voters, the original two followers can go: the leader and server 4 are not a
    // quorum of four, so first remove one of them by reconfig (a quorum of the new config is synced).
    const leaving = others[0]!;
    const left = await reconfig(admin, { leaving: String(leaving), fromConfig: BigInt(`0x${version}`) });
    assert.equal(left.err, 0);
    assert.doesNotMatch(left.config!, new RegExp(`^server\\.${leaving}=`, 'm'));
    // As in ZooKeeper 3.8, the removed server keeps following (and sees the config without it).
    await until('the removed server to see the new config', async () => {
      const c = await connect(ensemble.connectString([leaving]));
      try {
        await c.sync('/');
        return (await c.getConfig()).data?.toString() === left.config;
      } finally {
        await c.close();
      }
    }, 20_000);
    await ensemble.stop(leaving);
    const remaining = [1, 2, 3, 4].filter((id) => id !== leaving);
    await ensemble.waitForQuorum(remaining);
    const writer = await connect(ensemble.connectString(remaining));
    await writer.create('/after-reconfig', null);

    // A member restarted after the reconfigs uses the committed membership, not its zoo.cfg.
    await ensemble.stop(4, 'SIGTERM');
    ensemble.start(4);
    await ensemble.waitForQuorum(remaining, 30_000);
    assert.match(ensemble.member(4).output, /membership from the last committed reconfig/);

    // The leader removes itself: the others elect a new leader under the new membership.
    const selfRemoval = await reconfig(admin, { leaving: String(leader) });
    assert.equal(selfRemoval.err, 0);
    const rest = remaining.filter((id) => id !== leader);
    const next = await ensemble.waitForQuorum(rest, 30_000);
    assert.notEqual(next, leader);
    // The writer's member may drop it while the ensemble changes leader.
    await createSurely(writer, '/after-leader-left');
    for (const id of rest) {
      const c = await connect(ensemble.connectString([id]));
      await c.sync('/');
      assert.ok((await c.exists('/after-leader-left')) !== null);
      assert.ok((await c.exists('/after-reconfig')) !== null);
      await c.close();
    }
  } finally {
    await ensemble.destroy();
  }
});
