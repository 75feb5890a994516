// Proves migration from Apache ZooKeeper 3.8: tszk started on a dataDir real ZooKeeper wrote (10,000+ nodes, several snapshots and a log tail after the newest, digest/ip/auth ACLs, sequential, container and TTL nodes, ephemerals of sessions still open at kill -9) serves every node exactly as ZooKeeper did (data, all Stat fields, ACLs, children) at the same zxid, resumes an open session and expires the other; and that snapshot-dump, txnlog-dump and purge match SnapshotFormatter, TxnLogToolkit and PurgeTxnLog on that dataDir byte for byte.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Acl, type Stat, type ZooKeeperClient } from '../../src/main/client.js';
import { runDataToolWith } from '../../src/cli/data-tools.js';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { recover } from '../../src/storage/recovery.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { fourLetterWord, referenceZooKeeperAvailable, SUPER_DIGEST_TEST, freePort, waitForExit } from '../support/zk-reference.js';
import { startTszk, type TszkServer } from '../support/tszk-server.js';

// The Java tools are run with TZ=UTC; ours must print the same dates.
process.env.TZ = 'UTC';

const JARS = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-api.jar', '/usr/share/java/slf4j-simple.jar'];
const PARENTS = 100;
const CHILDREN_PER_PARENT = 105;
const SNAP_COUNT = 3000;
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
/** Requests in flight at once while writing or reading the tree. */
const IN_FLIGHT_MAX = 256;
/** Session E (left to expire on tszk) and F (resumed on tszk). */
const EXPIRING_SESSION_TIMEOUT_MS = 20_000;
const RESUMED_SESSION_TIMEOUT_MS = 30_000;
const TICK_MS = 2_000;
const TTL_MS = 24 * 3600 * 1000;
const JAVA_TOOL_TIMEOUT_MS = 120_000;

const skip = referenceZooKeeperAvailable() ? false : 'reference ZooKeeper (Debian package) not installed';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** base64(sha1("user:password")), as DigestAuthenticationProvider.generateDigest. */
const digestId = (user: string, password: string) => `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;

// ---------- a ZooKeeper 3.8 launcher with snapCount and a kept dataDir ----------

const liveJvms = new Set<ChildProcess>();
process.on('exit', () => {
  for (const jvm of liveJvms) jvm.kill('SIGKILL');
});


interface ZooKeeperProcess {
  readonly port: number;
  readonly dataDir: string;
  logTail(): string;
  /** SIGKILL and wait: the crash the migration starts from. */
  kill(): Promise<void>;
}

async function startZooKeeper(dataDir: string): Promise<ZooKeeperProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const cfg = join(dataDir, '..', 'zoo.cfg');
    await writeFile(cfg, [
      `tickTime=${TICK_MS}`, `dataDir=${dataDir}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1',
      'admin.enableServer=false', '4lw.commands.whitelist=*', 'maxClientCnxns=0', `snapCount=${SNAP_COUNT}`,
      // Small preallocation keeps the copies of the dataDir small.
      'preAllocSize=4096', '',
    ].join('\n'));
    const jvm = spawn('java', [
      '-Xmx512m', '-Dfile.encoding=UTF-8', '-Dzookeeper.jmx.log4j.disable=true', '-Dzookeeper.extendedTypesEnabled=true',
      `-Dzookeeper.DigestAuthenticationProvider.superDigest=${SUPER_DIGEST_TEST}`,
      '-cp', JARS.join(':'), 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    liveJvms.add(jvm);
    let tail = '';
    const keep = (chunk: Buffer) => void (tail = (tail + chunk.toString()).slice(-16_384));
    jvm.stdout!.on('data', keep);
    jvm.stderr!.on('data', keep);
    const kill = async () => {
      jvm.kill('SIGKILL');
      await waitForExit(jvm, STOP_TIMEOUT_MS);
      liveJvms.delete(jvm);
    };
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline && jvm.exitCode === null) {
      const srvr = await fourLetterWord('127.0.0.1', port, 'srvr', 1_000).catch(() => '');
      if (srvr.includes('Mode: standalone')) return { port, dataDir, logTail: () => tail, kill };
      await sleep(100);
    }
    await kill();
    lastError = new Error(`ZooKeeper did not start on port ${port}:\n${tail}`);
  }
  throw lastError;
}

// ---------- the tree as a server serves it ----------

interface NodeView {
  readonly data: string | null;
  readonly stat: Record<string, string>;
  readonly acl: string[];
  readonly children: string[];
}

function statView(stat: Stat): Record<string, string> {
  return Object.fromEntries(Object.entries(stat).map(([key, value]) => [key, String(value)]));
}

function aclView(acl: readonly Acl[]): string[] {
  return acl.map((entry) => `${entry.perms}:${entry.id.scheme}:${entry.id.id}`);
}

/** Runs `work` over `items` with at most IN_FLIGHT_MAX at a time. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT_MAX, items.length) }, worker));
}

/** Every node reachable from "/", level by level: data, Stat, ACL and children as served. */
async function readTree(client: ZooKeeperClient): Promise<Map<string, NodeView>> {
  const tree = new Map<string, NodeView>();
  let level = ['/'];
  for (let depth = 0; level.length > 0; depth++) {
    assert.ok(depth < 100, 'tree deeper than any path this test makes');
    const nextLevel: string[] = [];
    await inParallel(level, async (path) => {
      const [data, acl, children] = await Promise.all([client.getData(path), client.getACL(path), client.getChildren(path)]);
      tree.set(path, {
        data: data.data === null ? null : data.data.toString('base64'),
        stat: statView(data.stat),
        acl: aclView(acl.acl),
        children: [...children].sort(),
      });
      for (const child of children) nextLevel.push(path === '/' ? `/${child}` : `${path}/${child}`);
    });
    level = nextLevel;
  }
  return tree;
}

function srvrZxid(srvr: string): bigint {
  const match = /^Zxid: (0x[0-9a-f]+)$/m.exec(srvr);
  assert.ok(match, `srvr shows a Zxid:\n${srvr}`);
  return BigInt(match[1]!);
}

async function connect(port: number, options: Parameters<typeof createClient>[1] = {}): Promise<ZooKeeperClient> {
  const client = createClient(`127.0.0.1:${port}`, { sessionTimeoutMs: 30_000, connectTimeoutMs: 10_000, requestTimeoutMs: 30_000, ...options });
  await client.connect({ timeoutMs: 20_000 });
  return client;
}

// ---------- the workload on ZooKeeper ----------

interface Workload {
  /** The tree ZooKeeper served right before it was killed. */
  readonly served: Map<string, NodeView>;
  readonly zxid: bigint;
  readonly expiringSession: { id: bigint; ephemerals: string[] };
  readonly resumedSession: { id: bigint; password: Buffer; ephemerals: string[] };
  readonly snapshots: bigint[];
  readonly durationMs: number;
}

async function populate(zk: ZooKeeperProcess): Promise<Workload> {
  const started = Date.now();
  const admin = await connect(zk.port);
  const expiring = await connect(zk.port, { sessionTimeoutMs: EXPIRING_SESSION_TIMEOUT_MS });
  const resumed = await connect(zk.port, { sessionTimeoutMs: RESUMED_SESSION_TIMEOUT_MS });
  try {
    await admin.addAuth('digest', 'super:test');
    await admin.create('/migration', 'root of the migration test');
    const parents = Array.from({ length: PARENTS }, (_, p) => `/migration/p${String(p).padStart(2, '0')}`);
    await inParallel(parents, async (parent) => void (await admin.create(parent, parent)));
    const children = parents.flatMap((parent, p) => Array.from({ length: CHILDREN_PER_PARENT }, (_, c) => ({ parent, p, c })));
    await inParallel(children, async ({ parent, p, c }) => {
      const path = `${parent}/n${c}`;
      const data = c % 17 === 0 ? null : c % 5 === 0 ? Buffer.from([p, c, 0, 255, 10]) : `value ${p}/${c}`;
      await admin.create(path, data);
    });
    // Versions, pzxid and cversion move: updates, deletes, a multi.
    await inParallel(children.filter(({ c }) => c % 10 === 3), async ({ parent, c }) => void (await admin.setData(`${parent}/n${c}`, `updated ${c}`)));
    await inParallel(children.filter(({ c }) => c % 25 === 7), async ({ parent, c }) => void (await admin.delete(`${parent}/n${c}`)));
    await admin.multi([
      { op: 'create', path: '/migration/multi', data: 'm' },
      { op: 'create', path: '/migration/multi/a', data: 'a' },
      { op: 'setData', path: '/migration', data: 'changed by a multi' },
    ]);
    // ACLs: digest, ip (host and network), world read-only, the creator's auth id; a setACL.
    await admin.create('/migration/acl');
    const userDigest = digestId('user', 'secret');
    await admin.create('/migration/acl/digest', 'd', { acl: [{ perms: 31, id: { scheme: 'digest', id: userDigest } }] });
    await admin.create('/migration/acl/ip', 'i', {
      acl: [{ perms: 1, id: { scheme: 'ip', id: '127.0.0.1' } }, { perms: 31, id: { scheme: 'ip', id: '10.1.0.0/16' } }],
    });
    await admin.create('/migration/acl/read-only', 'r', { acl: [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }] });
    await admin.addAuth('digest', 'creator:pw');
    await admin.create('/migration/acl/creator', 'c', { acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }] });
    await admin.create('/migration/acl/changed', 'x');
    await admin.setACL('/migration/acl/changed', [
      { perms: 3, id: { scheme: 'digest', id: userDigest } },
      { perms: 1, id: { scheme: 'ip', id: '127.0.0.1' } },
    ]);
    // Sequential nodes, a container that keeps a child, a TTL node with a long TTL.
    await admin.create('/migration/seq');
    for (let i = 0; i < 30; i++) await admin.create('/migration/seq/item-', `s${i}`, { mode: 'PERSISTENT_SEQUENTIAL' });
    await admin.create('/migration/container', null, { mode: 'CONTAINER' });
    await admin.create('/migration/container/child', 'keeps the container');
    await admin.create('/migration/ttl', 'ttl', { mode: 'PERSISTENT_WITH_TTL', ttl: TTL_MS });
    // Ephemerals of two sessions that stay open until ZooKeeper is killed.
    await expiring.create('/migration/eph');
    const expiringEphemerals: string[] = [];
    for (let i = 0; i < 10; i++) expiringEphemerals.push(await expiring.create(`/migration/eph/e${i}`, `e${i}`, { mode: 'EPHEMERAL' }));
    for (let i = 0; i < 5; i++) expiringEphemerals.push(await expiring.create('/migration/eph/es-', 'seq', { mode: 'EPHEMERAL_SEQUENTIAL' }));
    const resumedEphemerals: string[] = [];
    for (let i = 0; i < 5; i++) resumedEphemerals.push(await resumed.create(`/migration/eph/f${i}`, `f${i}`, { mode: 'EPHEMERAL' }));
    resumedEphemerals.push(await resumed.create('/migration/eph/fs-', 'seq', { mode: 'EPHEMERAL_SEQUENTIAL' }));

    // A log tail after the newest snapshot: ZooKeeper snapshots every snapCount/2..snapCount txns,
    // so write until the newest snapshot is at least `tailMin` txns behind the last zxid.
    const tailMin = 50;
    let tail = 0;
    for (let round = 0; round < 100; round++) {
      await inParallel(Array.from({ length: 20 }, (_, i) => i), async (i) => void (await admin.setData(`/migration/p00/n${5 * i + 1}`, `tail ${round}.${i}`)));
      tail += 20;
      await sleep(200); // lets a snapshot thread that started finish its file
      const newest = (await snapshotZxids(zk.dataDir)).at(-1) ?? 0n;
      const zxid = srvrZxid(await fourLetterWord('127.0.0.1', zk.port, 'srvr'));
      if (zxid - newest >= BigInt(tailMin) && tail >= tailMin) break;
    }
    const served = await readTree(admin);
    const zxid = srvrZxid(await fourLetterWord('127.0.0.1', zk.port, 'srvr'));
    const workload = {
      served,
      zxid,
      expiringSession: { id: expiring.sessionId, ephemerals: expiringEphemerals },
      resumedSession: { id: resumed.sessionId, password: Buffer.from(resumed.sessionPassword), ephemerals: resumedEphemerals },
      snapshots: await snapshotZxids(zk.dataDir),
      durationMs: Date.now() - started,
    };
    await zk.kill();
    return workload;
  } finally {
    await zk.kill();
    // ZooKeeper is gone: these only drop their sockets (no closeSession can reach it).
    await Promise.all([admin.close(), expiring.close(), resumed.close()]);
  }
}

async function snapshotZxids(dataDir: string): Promise<bigint[]> {
  const names = await readdir(join(dataDir, 'version-2')).catch(() => [] as string[]);
  return names
    .filter((name) => /^snapshot\.[0-9a-f]+$/.test(name))
    .map((name) => BigInt(`0x${name.slice('snapshot.'.length)}`))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---------- the test ----------

let work: string | undefined;
/** ZooKeeper's dataDir as it was at the kill, never touched afterwards. */
let pristine: string | undefined;
let workload: Workload | undefined;

before(async () => {
  if (skip !== false) return;
  work = await mkdtemp(join(tmpdir(), 'tszk-migration-'));
  pristine = join(work, 'zk', 'data');
  await mkdir(pristine, { recursive: true });
  const zk = await startZooKeeper(pristine);
  try {
    workload = await populate(zk);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nZooKeeper's log tail:\n${zk.logTail().slice(-3_000)}`);
  }
});

after(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

test('tszk serves every node of a ZooKeeper 3.8 dataDir exactly, at the same zxid, and keeps its sessions', { skip, timeout: 300_000 }, async (t) => {
  const { served, zxid, expiringSession, resumedSession, snapshots } = workload!;
  t.diagnostic(`ZooKeeper: ${served.size} nodes, last zxid 0x${zxid.toString(16)}, snapshots ${snapshots.map((z) => `0x${z.toString(16)}`).join(' ')}, made in ${workload!.durationMs} ms`);
  assert.ok(served.size >= 10_000, `at least 10,000 nodes (${served.size})`);
  assert.ok(snapshots.filter((z) => z > 0n).length >= 2, `ZooKeeper wrote snapshots (${snapshots.map((z) => z.toString(16))})`);
  const newest = snapshots.at(-1)!;
  assert.ok(zxid - newest >= 50n, `a log tail follows the newest snapshot 0x${newest.toString(16)} (last zxid 0x${zxid.toString(16)})`);

  const dataDir = join(work!, 'tszk');
  await cp(pristine!, dataDir, { recursive: true });
  let tszk: TszkServer | undefined;
  let reader: ZooKeeperClient | undefined;
  let resumed: ZooKeeperClient | undefined;
  try {
    const startedAt = Date.now();
    tszk = await startTszk({ dataDir, config: { tickTime: String(TICK_MS), extendedTypesEnabled: 'true' } });
    // Before any session talks to it: the zxid it recovered.
    assert.equal(srvrZxid(await fourLetterWord(tszk.host, tszk.port, 'srvr')), zxid, 'srvr Zxid after recovery');

    // The session left open at the kill resumes on tszk with ZooKeeper's id and password.
    resumed = await connect(tszk.port, { session: { id: resumedSession.id, password: resumedSession.password }, sessionTimeoutMs: RESUMED_SESSION_TIMEOUT_MS });
    assert.equal(resumed.sessionId, resumedSession.id, 'the resumed session keeps its id');

    reader = await connect(tszk.port);
    await reader.addAuth('digest', 'super:test');
    const ours = await readTree(reader);
    const readMs = Date.now() - startedAt;
    t.diagnostic(`tszk recovered and served all ${ours.size} nodes ${readMs} ms after it was started`);
    assert.ok(readMs < EXPIRING_SESSION_TIMEOUT_MS, `the tree was read within the open session's timeout (${readMs} ms)`);
    // The reader's own createSession is the one txn after recovery.
    assert.equal(reader.lastZxid, zxid + 1n, 'ReplyHeader zxid: the recovered zxid plus the reader session');

    const mismatches: string[] = [];
    for (const [path, theirs] of served) {
      const mine = ours.get(path);
      if (mine === undefined) mismatches.push(`${path}: missing on tszk`);
      else if (JSON.stringify(mine) !== JSON.stringify(theirs)) mismatches.push(`${path}:\n  zk:   ${JSON.stringify(theirs)}\n  tszk: ${JSON.stringify(mine)}`);
    }
    for (const path of ours.keys()) if (!served.has(path)) mismatches.push(`${path}: only on tszk`);
    assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} of ${served.size} nodes differ`);
    for (const path of [...expiringSession.ephemerals, ...resumedSession.ephemerals]) {
      assert.ok(ours.has(path), `${path} survived the migration`);
    }

    // The session nobody resumed expires on tszk's clock, taking its ephemerals; the resumed one's stay.
    const expiresBy = startedAt + EXPIRING_SESSION_TIMEOUT_MS + 2 * TICK_MS + 10_000;
    const probe = expiringSession.ephemerals[0]!;
    while ((await reader.exists(probe)) !== null) {
      assert.ok(Date.now() < expiresBy, `${probe} outlived its session's timeout`);
      await sleep(250);
    }
    for (const path of expiringSession.ephemerals) assert.equal(await reader.exists(path), null, `${path} went with its session`);
    for (const path of resumedSession.ephemerals) assert.notEqual(await reader.exists(path), null, `${path} stays with the resumed session`);
    await resumed.close();
    resumed = undefined;
    for (const path of resumedSession.ephemerals) assert.equal(await reader.exists(path), null, `${path} went when its session closed`);
  } finally {
    await resumed?.close();
    await reader?.close();
    await tszk?.stop();
  }
});

/** Runs one of ZooKeeper's tool classes with TZ=UTC; returns stdout and the exit status. */
function runJavaTool(cls: string, args: string[]): { stdout: Buffer; status: number | null } {
  const result = spawnSync('java', ['-cp', JARS.join(':'), cls, ...args], {
    env: { ...process.env, TZ: 'UTC' },
    maxBuffer: 1 << 30,
    timeout: JAVA_TOOL_TIMEOUT_MS,
  });
  return { stdout: result.stdout, status: result.status };
}

async function runOurs(command: string, argv: string[], nowMs = 0): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const out: string[] = [];
  let stderr = '';
  const code = await runDataToolWith(command, argv, {
    stdout: async (text) => void out.push(text),
    stdoutIsTTY: false,
    stderr: { isTTY: false, columns: 80, write: (text) => void (stderr += text) },
    nowMs: () => nowMs,
    cwd: process.cwd(),
  });
  return { code, stdout: Buffer.from(out.join(''), 'utf8'), stderr };
}

function assertSameBytes(ours: Buffer, java: Buffer, what: string): void {
  if (ours.equals(java)) return;
  let at = 0;
  while (at < ours.length && at < java.length && ours[at] === java[at]) at++;
  const around = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, at - 100), at + 100).toString('utf8'));
  assert.fail(`${what}: first difference at byte ${at} (ours ${ours.length} bytes, java ${java.length})\n  ours: ${around(ours)}\n  java: ${around(java)}`);
}

test('snapshot-dump and txnlog-dump print what SnapshotFormatter and TxnLogToolkit print on this dataDir', { skip, timeout: 300_000 }, async () => {
  const dir = join(pristine!, 'version-2');
  const names = (await readdir(dir)).sort();
  const newestSnapshot = `snapshot.${workload!.snapshots.at(-1)!.toString(16)}`;
  const file = join(dir, newestSnapshot);
  for (const flags of [[], ['-d']]) {
    const java = runJavaTool('org.apache.zookeeper.server.SnapshotFormatter', [...flags, file]);
    assert.equal(java.status, 0);
    const ours = await runOurs('snapshot-dump', [...flags, file]);
    assert.deepEqual([ours.code, ours.stderr], [0, '']);
    assertSameBytes(ours.stdout, java.stdout, `snapshot-dump ${flags.join(' ')} ${newestSnapshot}`);
  }
  const javaJson = runJavaTool('org.apache.zookeeper.server.SnapshotFormatter', ['-json', file]);
  const timestamp = Number(/"timestamp":(\d+)/.exec(javaJson.stdout.toString())?.[1]);
  assertSameBytes((await runOurs('snapshot-dump', ['-json', file], timestamp)).stdout, javaJson.stdout, `snapshot-dump -json ${newestSnapshot}`);
  const logs = names.filter((name) => name.startsWith('log.'));
  assert.ok(logs.length >= 2, `ZooKeeper rolled its log (${logs.join(', ')})`);
  for (const log of logs) {
    const java = runJavaTool('org.apache.zookeeper.server.persistence.TxnLogToolkit', [join(dir, log)]);
    const ours = await runOurs('txnlog-dump', [join(dir, log)]);
    assert.equal(ours.code, java.status, `${log} exit code`);
    assertSameBytes(ours.stdout, java.stdout, `txnlog-dump ${log}`);
  }
});

test('purge -n 3 removes what PurgeTxnLog removes, with the same lines', { skip, timeout: 300_000 }, async () => {
  const theirs = join(work!, 'purge-java', 'data');
  const ours = join(work!, 'purge-ours', 'data');
  await cp(pristine!, theirs, { recursive: true, preserveTimestamps: true });
  await cp(pristine!, ours, { recursive: true, preserveTimestamps: true });
  const java = runJavaTool('org.apache.zookeeper.server.PurgeTxnLog', [theirs, '-n', '3']);
  assert.equal(java.status, 0);
  const mine = await runOurs('purge', [ours, '-n', '3']);
  assert.deepEqual([mine.code, mine.stderr], [0, '']);
  const remaining = async (dir: string) => (await readdir(join(dir, 'version-2'))).sort();
  assert.deepEqual(await remaining(ours), await remaining(theirs), 'the same files are left');
  assert.ok((await remaining(ours)).length < (await readdir(join(pristine!, 'version-2'))).length, 'something was purged');
  // PurgeTxnLog lists files in directory order; the lines are compared as sets.
  const lines = (text: string, dir: string) => text.split('\n').filter((line) => line !== '').map((line) => line.replace(dir, '<dataDir>')).sort();
  assert.deepEqual(lines(mine.stdout.toString(), ours), lines(java.stdout.toString(), theirs));
  // What is left is what recovery needs: it still reaches the last zxid.
  const recovered = await recover(new NodeFileSystem(), { dataDir: ours, dataLogDir: ours }, new DataTree());
  assert.equal(recovered.lastZxid, workload!.zxid);
});
