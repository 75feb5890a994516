// Network partitions of a real 3-voter ensemble, each member a `zk-server start-foreground`
// process inside its own Linux network namespace (test/support/netns.ts): member N listens on
// <prefix>.N for clients (2181) and for the other members (2888/3888), and the test process in the
// root namespace reaches every member through a bridge. Partitions are `prohibit` routes inside
// the namespaces, so they can be per pair and one-way, and clients are never cut from anyone.
// Scenarios: the leader isolated (the majority elects a new leader and keeps writing, the old one
// stops serving and its clients move, after healing it follows and its uncommitted writes are gone
// everywhere); a follower isolated then healed catches up; one-way cuts between the leader and a
// follower in both directions (safe: no acknowledged write lost, no lasting second leader; live
// after healing); a session's ephemeral on an isolated member (the follower, then the leader) is
// removed on the majority after its timeout and everywhere after healing.
// Skipped, saying why, when not root or when `ip netns` does not work.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type ZooKeeperClient } from '../../src/main/client.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import type { Stat } from '../../src/proto/data.js';
import { NetnsLab, destroyAllLabs, netnsUnavailableReason } from '../support/netns.js';
import { fourLetterWord, waitForExit } from '../support/zk-reference.js';

const serverScript = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'zk-server.js');
const CLIENT_PORT = 2181;
const QUORUM_PORT = 2888;
const ELECTION_PORT = 3888;
const TICK_MS = 200;
const SYNC_LIMIT = 5;
const STOP_TIMEOUT_MS = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let unavailable: string | undefined;
before(async () => {
  unavailable = await netnsUnavailableReason();
});

/** Every client a test opened, closed at the end even when a test fails midway. */
const clients = new Set<ZooKeeperClient>();
const ensembles = new Set<NsEnsemble>();
after(async () => {
  await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
  await Promise.all([...ensembles].map((e) => e.destroy()));
  await destroyAllLabs();
});

interface NsMember {
  readonly id: number;
  readonly address: string;
  readonly dataDir: string;
  readonly cfg: string;
  process: ChildProcess | undefined;
  output: string;
}

/** A 3-voter (or n) ensemble, one member per namespace. */
class NsEnsemble {
  readonly members: NsMember[] = [];
  private constructor(readonly lab: NetnsLab, private readonly root: string) {}

  static async create(voters: number): Promise<NsEnsemble> {
    const lab = await NetnsLab.create(voters);
    const ensemble = new NsEnsemble(lab, mkdtempSync(join(tmpdir(), 'tszk-partition-')));
    ensembles.add(ensemble);
    const serverLines = lab.nodes.map((n) => `server.${n.id}=${n.address}:${QUORUM_PORT}:${ELECTION_PORT};${n.address}:${CLIENT_PORT}`);
    for (const n of lab.nodes) {
      const dataDir = join(ensemble.root, `server${n.id}`);
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'myid'), `${n.id}\n`);
      const cfg = join(dataDir, 'zoo.cfg');
      writeFileSync(cfg, [
        `tickTime=${TICK_MS}`, 'initLimit=10', `syncLimit=${SYNC_LIMIT}`, `dataDir=${dataDir}`,
        `clientPort=${CLIENT_PORT}`, `clientPortAddress=${n.address}`, 'admin.enableServer=false', '4lw.commands.whitelist=*',
        'maxSessionTimeout=20000',
        ...serverLines,
      ].join('\n') + '\n');
      ensemble.members.push({ id: n.id, address: n.address, dataDir, cfg, process: undefined, output: '' });
    }
    return ensemble;
  }

  get ids(): number[] {
    return this.members.map((m) => m.id);
  }

  member(id: number): NsMember {
    return this.members[id - 1]!;
  }

  connectString(ids: readonly number[] = this.ids): string {
    return ids.map((id) => `${this.member(id).address}:${CLIENT_PORT}`).join(',');
  }

  start(id: number): void {
    const m = this.member(id);
    if (m.process !== undefined) throw new Error(`server ${id} is already running`);
    const child = this.lab.spawn(id, process.execPath, [serverScript, 'start-foreground', m.cfg]);
    m.process = child;
    const collect = (chunk: Buffer): void => {
      m.output += chunk.toString();
      if (m.output.length > 512 * 1024) m.output = m.output.slice(-256 * 1024);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
  }

  startAll(): void {
    for (const id of this.ids) this.start(id);
  }

  async stop(id: number): Promise<void> {
    const m = this.member(id);
    const child = m.process;
    if (child === undefined) return;
    m.process = undefined;
    child.kill('SIGKILL');
    await waitForExit(child, STOP_TIMEOUT_MS);
  }

  async srvr(id: number): Promise<string> {
    return fourLetterWord(this.member(id).address, CLIENT_PORT, 'srvr', 2_000);
  }

  /** The `Mode:` srvr reports, or undefined when the member does not answer or does not serve. */
  async mode(id: number): Promise<string | undefined> {
    try {
      return /Mode: ([\w-]+)/.exec(await this.srvr(id))?.[1];
    } catch {
      return undefined;
    }
  }

  async modes(ids: readonly number[] = this.ids): Promise<Array<string | undefined>> {
    return Promise.all(ids.map((id) => this.mode(id)));
  }

  /** Waits until `ids` agree: one leader, the rest following. Returns the leader. */
  async waitForQuorum(ids: readonly number[] = this.ids, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let modes: Array<string | undefined> = [];
    while (Date.now() < deadline) {
      modes = await this.modes(ids);
      const leaders = ids.filter((_, i) => modes[i] === 'leader');
      if (leaders.length === 1 && modes.every((mode) => mode === 'leader' || mode === 'follower')) return leaders[0]!;
      await sleep(100);
    }
    throw new Error(`no settled quorum among ${ids.join(',')} within ${timeoutMs} ms: modes ${modes.join(',')}\n${this.logs(ids)}`);
  }

  /** The last lines each member printed (its `[quorum]` lines tell the story). */
  logs(ids: readonly number[] = this.ids, chars = 4_000): string {
    return ids.map((id) => `--- server ${id} (${this.member(id).address})\n${this.member(id).output.slice(-chars)}`).join('\n');
  }

  /** The `[quorum]` lines of member `id` only. */
  quorumLog(id: number): string {
    return this.member(id).output.split('\n').filter((l) => l.includes('quorum')).slice(-60).join('\n');
  }

  async destroy(): Promise<void> {
    if (!ensembles.delete(this)) return;
    await Promise.all(this.ids.map((id) => this.stop(id)));
    await this.lab.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}

async function connect(connectString: string, options: { sessionTimeoutMs?: number; keepHostOrder?: boolean } = {}): Promise<ZooKeeperClient> {
  const client = createClient(connectString, {
    sessionTimeoutMs: options.sessionTimeoutMs ?? 8_000, reconnectDelayMs: 100, connectTimeoutMs: 1_000,
    ...(options.keepHostOrder ? { keepHostOrder: true } : {}),
  });
  clients.add(client);
  await client.connect({ signal: AbortSignal.timeout(15_000) });
  return client;
}

async function until(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 15_000, describe?: () => string): Promise<number> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (await done()) return Date.now() - start;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `\n${describe()}` : ''}`);
}

const statText = (s: Stat): string => JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v));

/**
 * The tree under `path` as member `id` alone serves it, after a sync: every node's path, data and
 * Stat, in a canonical text (children sorted). Bounded in depth and node count.
 */
async function dumpTree(ensemble: NsEnsemble, id: number, path: string): Promise<{ text: string; paths: Set<string> }> {
  const c = await connect(ensemble.connectString([id]), { sessionTimeoutMs: 8_000 });
  try {
    await c.sync(path, { signal: AbortSignal.timeout(10_000) });
    const lines: string[] = [];
    const paths = new Set<string>();
    const walk = async (p: string, depth: number): Promise<void> => {
      assert.ok(depth < 10 && lines.length < 20_000, 'tree too deep or too large');
      const { data, stat } = await c.getData(p);
      const { children } = await c.getChildren2(p);
      lines.push(`${p} ${data === null ? 'null' : data.toString('hex')} ${statText(stat)}`);
      paths.add(p);
      for (const child of [...children].sort()) await walk(`${p === '/' ? '' : p}/${child}`, depth + 1);
    };
    await walk(path, 0);
    return { text: lines.join('\n'), paths };
  } finally {
    clients.delete(c);
    await c.close().catch(() => undefined);
  }
}

/** Every member serves the identical tree under `path`; it is returned. */
async function assertSameTreeEverywhere(ensemble: NsEnsemble, path: string): Promise<Set<string>> {
  const dumps = [];
  for (const id of ensemble.ids) dumps.push(await dumpTree(ensemble, id, path));
  for (let i = 1; i < dumps.length; i++) {
    assert.equal(dumps[i]!.text, dumps[0]!.text, `server ${ensemble.ids[i]} serves a different tree under ${path} than server ${ensemble.ids[0]}`);
  }
  return dumps[0]!.paths;
}

function isConnectionError(e: unknown): boolean {
  return e instanceof KeeperError && ([ErrorCode.CONNECTIONLOSS, ErrorCode.OPERATIONTIMEOUT, ErrorCode.SESSIONEXPIRED, ErrorCode.REQUESTTIMEOUT] as number[]).includes(e.code);
}

/**
 * Creates `<prefix>-<i>` nodes one after another through `client` until stopped or bounded;
 * records which were acknowledged and which had an uncertain outcome.
 */
function writeLoop(client: ZooKeeperClient, prefix: string, opts: { maxWrites: number; maxMs: number }): { acked: string[]; uncertain: string[]; stop: () => void; done: Promise<void> } {
  const acked: string[] = [];
  const uncertain: string[] = [];
  let stopped = false;
  const deadline = Date.now() + opts.maxMs;
  const done = (async () => {
    for (let i = 0; !stopped && i < opts.maxWrites && Date.now() < deadline; i++) {
      const path = `${prefix}-${i}`;
      try {
        await client.create(path, `${i}`, { signal: AbortSignal.timeout(5_000) });
        acked.push(path);
      } catch (e) {
        if (!isConnectionError(e) && !(e instanceof Error && e.name === 'AbortError')) throw e;
        uncertain.push(path);
        await sleep(100);
      }
      await sleep(20);
    }
  })();
  return { acked, uncertain, stop: () => (stopped = true), done };
}

/**
 * Samples every member's mode every ~100 ms until stopped: the longest stretch during which two
 * members at once said they were leading.
 */
function watchLeaders(ensemble: NsEnsemble, maxMs: number): { stop: () => Promise<{ maxOverlapMs: number; samples: string[] }> } {
  let stopped = false;
  const samples: string[] = [];
  let overlapSince: number | undefined;
  let maxOverlapMs = 0;
  const deadline = Date.now() + maxMs;
  const done = (async () => {
    for (let i = 0; !stopped && i < 5_000 && Date.now() < deadline; i++) {
      const modes = await ensemble.modes();
      const now = Date.now();
      const leaders = modes.filter((m) => m === 'leader').length;
      const line = modes.map((m) => m ?? '-').join(',');
      if (samples.length === 0 || !samples[samples.length - 1]!.endsWith(line)) samples.push(`${now} ${line}`);
      if (leaders > 1) {
        overlapSince ??= now;
        maxOverlapMs = Math.max(maxOverlapMs, now - overlapSince);
      } else {
        overlapSince = undefined;
      }
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      return { maxOverlapMs, samples };
    },
  };
}

function assertAllPresent(paths: Set<string>, acked: readonly string[], where: string): void {
  const missing = acked.filter((p) => !paths.has(p));
  assert.deepEqual(missing, [], `${where}: acknowledged writes lost`);
}

const skipReason = async (t: { skip: (msg: string) => void }): Promise<boolean> => {
  if (unavailable === undefined) return false;
  t.skip(`network namespace partition tests need root and a working \`ip netns\`: ${unavailable}`);
  return true;
};

test('the leader isolated from both followers: a new leader, the old one stops serving, rejoins as a follower, its uncommitted writes gone', { timeout: 180_000 }, async (t) => {
  if (await skipReason(t)) return;
  const ensemble = await NsEnsemble.create(3);
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum();
    const followers = ensemble.ids.filter((id) => id !== leader);
    const setup = await connect(ensemble.connectString());
    await setup.create('/p1', null);
    for (let i = 0; i < 10; i++) await setup.create(`/p1/before-${i}`, `${i}`);
    const ackedBefore = Array.from({ length: 10 }, (_, i) => `/p1/before-${i}`);

    // A client on the leader that may move (the followers are in its list), and one that may not.
    const mover = await connect(ensemble.connectString([leader, ...followers]), { keepHostOrder: true, sessionTimeoutMs: 10_000 });
    assert.equal(mover.currentHost?.host, ensemble.member(leader).address);
    const moverSession = mover.sessionId;
    let moverDisconnected = 0;
    mover.on('disconnected', () => moverDisconnected++);
    const pinned = await connect(ensemble.connectString([leader]), { sessionTimeoutMs: 10_000 });
    // The majority's writer (it connects to a follower: its session survives the leader change).
    const majority = await connect(ensemble.connectString(followers), { sessionTimeoutMs: 10_000 });

    const leaders = watchLeaders(ensemble, 120_000);
    const cutAt = Date.now();
    await ensemble.lab.isolate(leader);

    // Writes to the isolated leader: it cannot commit them (no follower hears its proposals).
    const orphans = Promise.allSettled([0, 1, 2].map((i) => pinned.create(`/p1/orphan-${i}`, 'never committed', { signal: AbortSignal.timeout(15_000) })));

    // The majority elects a new leader within a few seconds.
    const next = await ensemble.waitForQuorum(followers, 15_000);
    const electedMs = Date.now() - cutAt;
    assert.notEqual(next, leader);
    assert.ok(electedMs < 10_000, `new leader after ${electedMs} ms`);
    const orphanResults = await orphans;
    const orphansAcked = orphanResults.map((r, i) => (r.status === 'fulfilled' ? `/p1/orphan-${i}` : undefined)).filter((p): p is string => p !== undefined);
    assert.deepEqual(orphansAcked, [], 'the isolated leader acknowledged writes no follower could have logged');
    // The old leader stops serving.
    const stoppedMs = await until('the isolated old leader to stop serving', async () => (await ensemble.mode(leader)) === undefined, 10_000,
      () => ensemble.logs([leader]));
    assert.equal(await ensemble.srvr(leader), 'This ZooKeeper instance is not currently serving requests\n');

    // The majority keeps accepting writes.
    const loop = writeLoop(majority, '/p1/during', { maxWrites: 60, maxMs: 30_000 });
    await loop.done;
    assert.ok(loop.acked.length >= 50, `the majority acknowledged only ${loop.acked.length} writes (uncertain ${loop.uncertain.length})`);

    // The mover lost its connection to the old leader and is now on the majority, same session.
    const movedMs = await until('the mover to reconnect to the majority', () => mover.state === 'CONNECTED' && mover.currentHost?.host !== ensemble.member(leader).address, 20_000,
      () => `state ${mover.state} host ${JSON.stringify(mover.currentHost)}`);
    assert.ok(moverDisconnected >= 1, 'the mover never saw its connection to the old leader drop');
    assert.equal(mover.sessionId, moverSession);
    await mover.create('/p1/mover-after', 'moved');

    // Heal: the old leader follows the new one; its orphan writes are gone everywhere.
    await sleep(1_000);
    await ensemble.lab.healAll();
    const healedAt = Date.now();
    await until('the old leader to rejoin as a follower', async () => (await ensemble.mode(leader)) === 'follower', 60_000, () => ensemble.logs());
    const rejoinMs = Date.now() - healedAt;
    assert.equal(await ensemble.waitForQuorum(), next);
    const { maxOverlapMs, samples } = await leaders.stop();

    const paths = await assertSameTreeEverywhere(ensemble, '/p1');
    assertAllPresent(paths, [...ackedBefore, ...loop.acked, '/p1/mover-after'], 'after healing');
    for (let i = 0; i < 3; i++) assert.ok(!paths.has(`/p1/orphan-${i}`), `the uncommitted /p1/orphan-${i} survived`);
    assert.ok(maxOverlapMs <= 3_000, `two members said "leader" at once for ${maxOverlapMs} ms:\n${samples.join('\n')}`);
    t.diagnostic(`new leader ${next} after ${electedMs} ms; old leader ${leader} stopped serving ${stoppedMs} ms after the election; mover moved in ${movedMs} ms; rejoined ${rejoinMs} ms after healing; two leaders at once for at most ${maxOverlapMs} ms; ${loop.acked.length} writes on the majority, orphans ${orphanResults.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok')).join('; ')}`);
    t.diagnostic(`old leader's resync: ${/(TRUNC|SNAP) from the leader[^\n]*/.exec(ensemble.member(leader).output)?.[0] ?? 'DIFF (no TRUNC/SNAP line)'}; ${/txn \w+ not proposed[^\n]*/.exec(ensemble.member(leader).output)?.[0] ?? ''}`);
  } finally {
    await ensemble.destroy();
  }
});

test('a follower isolated and then healed catches up', { timeout: 180_000 }, async (t) => {
  if (await skipReason(t)) return;
  const ensemble = await NsEnsemble.create(3);
  try {
    ensemble.startAll();
    const leader = await ensemble.waitForQuorum();
    const [lost, other] = ensemble.ids.filter((id) => id !== leader) as [number, number];
    const writer = await connect(ensemble.connectString([leader, other]));
    await writer.create('/p2', 'v0');
    for (let i = 0; i < 5; i++) await writer.create(`/p2/before-${i}`, null);
    const onLost = await connect(ensemble.connectString([lost]), { sessionTimeoutMs: 10_000 });
    let lostDisconnected = 0;
    onLost.on('disconnected', () => lostDisconnected++);

    await ensemble.lab.isolate(lost);
    const stoppedMs = await until('the isolated follower to stop serving', async () => (await ensemble.mode(lost)) === undefined, 10_000, () => ensemble.logs([lost]));
    assert.equal(await ensemble.mode(leader), 'leader');
    const loop = writeLoop(writer, '/p2/during', { maxWrites: 150, maxMs: 40_000 });
    await loop.done;
    assert.equal(loop.uncertain.length, 0, `the majority failed writes: ${loop.uncertain.join(',')}`);
    await writer.setData('/p2', 'v1');
    await writer.delete('/p2/before-0');
    assert.ok(lostDisconnected >= 1, 'the client of the isolated follower was not disconnected');

    await ensemble.lab.healAll();
    const healedAt = Date.now();
    await until('the follower to follow again', async () => (await ensemble.mode(lost)) === 'follower', 60_000, () => ensemble.logs());
    const rejoinMs = Date.now() - healedAt;
    assert.equal(await ensemble.waitForQuorum(), leader);
    const paths = await assertSameTreeEverywhere(ensemble, '/p2');
    assertAllPresent(paths, loop.acked, 'after healing');
    assert.ok(!paths.has('/p2/before-0'));
    // Its client (same session, connect string of that member only) works again.
    await until('the isolated follower\'s client to reconnect', () => onLost.state === 'CONNECTED', 20_000);
    assert.equal((await onLost.getData('/p2')).data?.toString(), 'v1');
    t.diagnostic(`follower ${lost} stopped serving ${stoppedMs} ms after the cut; ${loop.acked.length} writes meanwhile; following again ${rejoinMs} ms after healing`);
  } finally {
    await ensemble.destroy();
  }
});

for (const direction of ['leader-to-follower only', 'follower-to-leader only'] as const) {
  test(`a one-way partition (${direction} gets through): safe while it lasts, live after healing`, { timeout: 240_000 }, async (t) => {
    if (await skipReason(t)) return;
    const ensemble = await NsEnsemble.create(3);
    try {
      ensemble.startAll();
      const leader = await ensemble.waitForQuorum();
      const [victim, other] = ensemble.ids.filter((id) => id !== leader) as [number, number];
      const setup = await connect(ensemble.connectString());
      await setup.create('/p3', null);
      await setup.close();
      clients.delete(setup);

      // A writer pinned to each member: whatever any member acknowledges must survive.
      const writers = await Promise.all(ensemble.ids.map((id) => connect(ensemble.connectString([id]), { sessionTimeoutMs: 10_000 })));
      const leaders = watchLeaders(ensemble, 180_000);
      const loops = ensemble.ids.map((id, i) => writeLoop(writers[i]!, `/p3/s${id}`, { maxWrites: 10_000, maxMs: 60_000 }));
      await sleep(1_000);
      const ackedBeforeCut = loops.map((l) => l.acked.length);
      assert.ok(ackedBeforeCut.every((n) => n > 0), `writers idle before the cut: ${ackedBeforeCut.join(',')}`);
      // leader-to-follower only: the follower's packets to the leader are dropped; else the reverse.
      if (direction === 'leader-to-follower only') await ensemble.lab.cut(victim, leader);
      else await ensemble.lab.cut(leader, victim);
      const cutAt = Date.now();
      // Let the cut act for a while (several syncLimits and election rounds).
      await sleep(12_000);
      const modesDuring = await ensemble.modes();
      const ackedDuring = loops.map((l) => l.acked.length);
      // The majority side (the leader and the other follower, which reach each other) still commits.
      const through = loops[other - 1]!;
      const before = through.acked.length;
      await until('writes to commit through the untouched follower during the cut', () => through.acked.length >= before + 5, 15_000,
        () => `modes ${modesDuring.join(',')}; acked ${ackedDuring.join(',')}\n${ensemble.logs()}`);

      await ensemble.lab.healAll();
      const healedAt = Date.now();
      await until('every member to serve again after healing', async () => {
        const modes = await ensemble.modes();
        return modes.filter((m) => m === 'leader').length === 1 && modes.every((m) => m === 'leader' || m === 'follower');
      }, 90_000, () => ensemble.logs());
      const liveMs = Date.now() - healedAt;
      for (const l of loops) l.stop();
      await Promise.all(loops.map((l) => l.done));
      // Each member commits writes again (a fresh session: the victim's writer may have expired).
      const afterHeal: string[] = [];
      for (const id of ensemble.ids) {
        const c = await connect(ensemble.connectString([id]), { sessionTimeoutMs: 10_000 });
        await until(`server ${id} to commit a write after healing`, async () => {
          try {
            await c.create(`/p3/after-heal-${id}`, null, { signal: AbortSignal.timeout(5_000) });
            return true;
          } catch (e) {
            if (isConnectionError(e) || (e instanceof Error && e.name === 'AbortError')) return false;
            throw e;
          }
        }, 30_000, () => ensemble.logs());
        afterHeal.push(`/p3/after-heal-${id}`);
        await c.close();
        clients.delete(c);
      }
      const writableMs = Date.now() - healedAt;
      const { maxOverlapMs, samples } = await leaders.stop();

      const paths = await assertSameTreeEverywhere(ensemble, '/p3');
      for (const [i, l] of loops.entries()) assertAllPresent(paths, l.acked, `writes acknowledged by server ${i + 1}`);
      assertAllPresent(paths, afterHeal, 'writes after healing');
      assert.ok(maxOverlapMs <= 3_000, `two members said "leader" at once for ${maxOverlapMs} ms:\n${samples.join('\n')}`);
      t.diagnostic(`leader ${leader}, cut ${direction === 'leader-to-follower only' ? `${victim}->${leader}` : `${leader}->${victim}`} for ${healedAt - cutAt} ms; modes 12 s in: ${modesDuring.join(',')}; serving again ${liveMs} ms and every member committing ${writableMs} ms after healing; acked per member ${loops.map((l) => l.acked.length).join(',')} (before the cut ${ackedBeforeCut.join(',')}), uncertain ${loops.map((l) => l.uncertain.length).join(',')}; two leaders at once for at most ${maxOverlapMs} ms; mode changes: ${samples.length}`);
    } finally {
      await ensemble.destroy();
    }
  });
}

for (const role of ['follower', 'leader'] as const) {
  test(`an ephemeral of a client on the isolated ${role} is removed on the majority after its session timeout, and everywhere after healing`, { timeout: 180_000 }, async (t) => {
    if (await skipReason(t)) return;
    const ensemble = await NsEnsemble.create(3);
    try {
      ensemble.startAll();
      const leader = await ensemble.waitForQuorum();
      const followers = ensemble.ids.filter((id) => id !== leader);
      const isolated = role === 'leader' ? leader : followers[0]!;
      const majorityIds = ensemble.ids.filter((id) => id !== isolated);
      const setup = await connect(ensemble.connectString());
      await setup.create('/p4', null);
      const SESSION_MS = 4_000;
      // The owner reaches only the member that will be isolated.
      const owner = await connect(ensemble.connectString([isolated]), { sessionTimeoutMs: SESSION_MS });
      let expired = false;
      owner.on('expired', () => (expired = true));
      await owner.create('/p4/eph', 'owned', { mode: 'EPHEMERAL' });
      const ownerSession = owner.sessionId;
      const watcher = await connect(ensemble.connectString(majorityIds), { sessionTimeoutMs: 10_000 });
      await watcher.sync('/p4');
      assert.equal((await watcher.exists('/p4/eph'))?.ephemeralOwner, ownerSession);

      await ensemble.lab.isolate(isolated);
      const cutAt = Date.now();
      if (role === 'leader') await ensemble.waitForQuorum(majorityIds, 15_000);
      const goneMs = await until('the ephemeral to go on the majority', async () => {
        try {
          return (await watcher.exists('/p4/eph')) === null;
        } catch (e) {
          if (isConnectionError(e)) return false;
          throw e;
        }
      }, SESSION_MS + 20_000, () => ensemble.logs());
      // Not before the session could have timed out (the last ping may precede the cut by a third of it).
      assert.ok(goneMs >= SESSION_MS / 2, `the ephemeral went ${goneMs} ms after the cut, before the ${SESSION_MS} ms session timeout`);
      for (const id of majorityIds) {
        const c = await connect(ensemble.connectString([id]));
        await c.sync('/p4');
        assert.equal(await c.exists('/p4/eph'), null, `server ${id} of the majority still has the ephemeral`);
        await c.close();
        clients.delete(c);
      }

      await ensemble.lab.healAll();
      const healedAt = Date.now();
      await until(`the isolated ${role} to follow again`, async () => (await ensemble.mode(isolated)) === 'follower', 60_000, () => ensemble.logs());
      const rejoinMs = Date.now() - healedAt;
      await ensemble.waitForQuorum();
      const paths = await assertSameTreeEverywhere(ensemble, '/p4');
      assert.ok(!paths.has('/p4/eph'), 'the ephemeral is still there after healing');
      for (const id of ensemble.ids) {
        const c = await connect(ensemble.connectString([id]));
        await c.sync('/');
        assert.deepEqual(await c.getEphemerals('/p4'), [], `server ${id} still lists an ephemeral under /p4`);
        await c.close();
        clients.delete(c);
      }
      // The owner learns that its session expired once it reaches its member again.
      await until('the owner to learn its session expired', () => expired || owner.state === 'CLOSED', 20_000, () => `owner state ${owner.state}`);
      t.diagnostic(`${role} ${isolated} isolated: ephemeral gone on the majority ${goneMs} ms after the cut (session ${SESSION_MS} ms); following again ${rejoinMs} ms after healing`);
    } finally {
      await ensemble.destroy();
    }
  });
}
