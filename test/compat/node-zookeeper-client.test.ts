// Proves node-zookeeper-client@1.1.3 (a real third-party Node client) gets identical, normalised
// answers from two fresh real ZooKeeper 3.8 servers for every operation it has (create modes,
// exists/getData/setData/getChildren with watchers, ACLs, auth, transactions, remove, mkdirp,
// removeRecursive), and from a tszk server when one is available.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { referenceZooKeeperAvailable, startReferenceZooKeeper } from '../support/zk-reference.js';
import { tszkForComparison } from '../support/tszk-server.js';

/* The library is CommonJS and untyped; this is the part of its surface the exercise uses. */
type Callback<T> = (error: NzkError | null | undefined, result: T, extra?: unknown) => void;
interface NzkError extends Error {
  getCode(): number;
  getName(): string;
}
interface NzkStat {
  version: number;
  cversion: number;
  aversion: number;
  dataLength: number;
  numChildren: number;
  ephemeralOwner: Buffer;
}
interface NzkEvent {
  getName(): string;
  getPath(): string;
}
interface NzkAcl {
  permission: number;
  id: { scheme: string; id: string };
}
interface NzkTransaction {
  create(path: string, data?: Buffer, acls?: unknown, mode?: number): NzkTransaction;
  setData(path: string, data: Buffer | null, version?: number): NzkTransaction;
  check(path: string, version?: number): NzkTransaction;
  remove(path: string, version?: number): NzkTransaction;
  commit(callback: Callback<unknown[]>): void;
}
interface NzkClient {
  connect(): void;
  close(): void;
  once(event: string, listener: (...args: unknown[]) => void): void;
  getSessionId(): Buffer;
  getState(): { getName(): string };
  addAuthInfo(scheme: string, auth: Buffer): void;
  create(path: string, ...args: unknown[]): void;
  remove(path: string, ...args: unknown[]): void;
  exists(path: string, ...args: unknown[]): void;
  getData(path: string, ...args: unknown[]): void;
  setData(path: string, ...args: unknown[]): void;
  getChildren(path: string, ...args: unknown[]): void;
  getACL(path: string, callback: Callback<NzkAcl[]>): void;
  setACL(path: string, ...args: unknown[]): void;
  mkdirp(path: string, ...args: unknown[]): void;
  removeRecursive(path: string, callback: Callback<void>): void;
  listSubTreeBFS(path: string, callback: Callback<string[]>): void;
  transaction(): NzkTransaction;
}
interface NzkModule {
  createClient(connectString: string, options?: Record<string, number>): NzkClient;
  ACL: { OPEN_ACL_UNSAFE: unknown[]; CREATOR_ALL_ACL: unknown[]; READ_ACL_UNSAFE: unknown[] };
  CreateMode: Record<'PERSISTENT' | 'EPHEMERAL' | 'PERSISTENT_SEQUENTIAL' | 'EPHEMERAL_SEQUENTIAL', number>;
}

const nzk = createRequire(import.meta.url)('node-zookeeper-client') as NzkModule;
const CONNECT_TIMEOUT_MS = 15_000;
const OP_TIMEOUT_MS = 10_000;

function connectClient(host: string, port: number): Promise<NzkClient> {
  const client = nzk.createClient(`${host}:${port}`, { sessionTimeout: 30_000, spinDelay: 100, retries: 2 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`node-zookeeper-client did not connect to ${host}:${port}`));
    }, CONNECT_TIMEOUT_MS);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

/** Calls a callback-style method; resolves with `error NAME[code]` or the result(s). */
function call<T = unknown>(invoke: (callback: (error: NzkError | null | undefined, ...results: unknown[]) => void) => void) {
  return new Promise<{ error: string | null; results: T[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node-zookeeper-client callback never came')), OP_TIMEOUT_MS);
    invoke((error, ...results) => {
      clearTimeout(timer);
      const text = error ? `error ${typeof error.getName === 'function' ? `${error.getName()}[${error.getCode()}]` : error.message}` : null;
      resolve({ error: text, results: results as T[] });
    });
  });
}

/** The facts of a Stat worth comparing; 64-bit fields are compared by role, not value. */
function statSummary(stat: NzkStat | undefined, sessionId: Buffer): string {
  if (stat === undefined || stat === null) return 'no stat';
  const owner = stat.ephemeralOwner;
  const ownerRole = owner.equals(Buffer.alloc(8)) ? 'none' : owner.equals(sessionId) ? 'this-session' : 'other';
  return `v=${stat.version} cv=${stat.cversion} av=${stat.aversion} len=${stat.dataLength} children=${stat.numChildren} owner=${ownerRole}`;
}

function aclSummary(acls: NzkAcl[] | undefined): string {
  return (acls ?? []).map((a) => `${a.id.scheme}:${a.id.id}:${a.permission}`).join(',');
}

function resultSummary(result: unknown, sessionId: Buffer): string {
  const r = result as { type: number; path?: string; stat?: NzkStat; err?: number };
  const parts = [`type=${r.type}`];
  if (r.path !== undefined) parts.push(`path=${r.path}`);
  if (r.stat !== undefined) parts.push(statSummary(r.stat, sessionId));
  if (r.err !== undefined) parts.push(`err=${r.err}`);
  return parts.join(' ');
}

/**
 * Runs every node-zookeeper-client operation against host:port and returns a normalised
 * transcript: one line per call with its error name or summarised result, then the watch
 * events in arrival order. Uses paths under /nzk, which must not exist yet.
 */
export async function exerciseNodeZookeeperClient(host: string, port: number): Promise<string> {
  const client = await connectClient(host, port);
  const other = await connectClient(host, port);
  const lines: string[] = [];
  const events: string[] = [];
  const watcher = (name: string) => (event: NzkEvent) => events.push(`${name}: ${event.getName()} ${event.getPath()}`);
  const sid = client.getSessionId();
  const log = async (label: string, invoke: Parameters<typeof call>[0], format: (results: unknown[]) => string = (r) => String(r[0])) => {
    const { error, results } = await call(invoke);
    lines.push(`${label} -> ${error ?? format(results)}`);
  };
  const stat = (r: unknown[]) => statSummary(r[0] as NzkStat, sid);
  const data = (r: unknown[]) => `data=${r[0] === undefined || r[0] === null ? String(r[0]) : JSON.stringify((r[0] as Buffer).toString())} ${statSummary(r[1] as NzkStat, sid)}`;
  const M = nzk.CreateMode;
  try {
    lines.push(`state after connect: ${client.getState().getName()}`);
    await log('create /nzk', (cb) => client.create('/nzk', cb));
    await log('create /nzk/data hello', (cb) => client.create('/nzk/data', Buffer.from('hello'), cb));
    await log('create /nzk/empty (no data)', (cb) => client.create('/nzk/empty', cb));
    await log('create /nzk/eph EPHEMERAL', (cb) => client.create('/nzk/eph', Buffer.from('e'), M.EPHEMERAL, cb));
    await log('create /nzk/seq- PERSISTENT_SEQUENTIAL', (cb) => client.create('/nzk/seq-', null, M.PERSISTENT_SEQUENTIAL, cb));
    await log('create /nzk/seq- EPHEMERAL_SEQUENTIAL', (cb) => client.create('/nzk/seq-', null, M.EPHEMERAL_SEQUENTIAL, cb));
    await log('create /nzk/data again', (cb) => client.create('/nzk/data', cb));
    await log('create /nzk/missing/x', (cb) => client.create('/nzk/missing/x', cb));
    await log('create /nzk/eph/child', (cb) => client.create('/nzk/eph/child', cb));
    await log('exists /nzk/eph', (cb) => client.exists('/nzk/eph', cb), stat);
    await log('exists /nzk/none +watch', (cb) => client.exists('/nzk/none', watcher('exists'), cb), stat);
    await log('create /nzk/none', (cb) => client.create('/nzk/none', cb));
    await log('getData /nzk/data +watch', (cb) => client.getData('/nzk/data', watcher('getData'), cb), data);
    await log('getData /nzk/empty', (cb) => client.getData('/nzk/empty', cb), data);
    await log('getData /nzk/nothing', (cb) => client.getData('/nzk/nothing', cb), data);
    await log('setData /nzk/data v2 version 0', (cb) => client.setData('/nzk/data', Buffer.from('v2'), 0, cb), stat);
    await log('setData /nzk/data version 7', (cb) => client.setData('/nzk/data', Buffer.from('x'), 7, cb), stat);
    await log('setData /nzk/data v3', (cb) => client.setData('/nzk/data', Buffer.from('v3'), cb), stat);
    await log('getChildren /nzk +watch', (cb) => client.getChildren('/nzk', watcher('getChildren'), cb), (r) =>
      `${[...(r[0] as string[])].sort().join(',')} ${statSummary(r[1] as NzkStat, sid)}`,
    );
    await log('create /nzk/kid', (cb) => client.create('/nzk/kid', cb));
    await log('getACL /nzk/data', (cb) => client.getACL('/nzk/data', cb as Callback<NzkAcl[]>), (r) =>
      `${aclSummary(r[0] as NzkAcl[])} ${statSummary(r[1] as NzkStat, sid)}`,
    );
    await log('setACL /nzk/data READ version 0', (cb) => client.setACL('/nzk/data', nzk.ACL.READ_ACL_UNSAFE, 0, cb), stat);
    await log('setACL /nzk/data version 0 again', (cb) => client.setACL('/nzk/data', nzk.ACL.READ_ACL_UNSAFE, 0, cb), stat);
    await log('setData /nzk/data after READ-only ACL', (cb) => client.setData('/nzk/data', Buffer.from('no'), cb), stat);
    await log('create /nzk/private CREATOR_ALL without auth', (cb) => client.create('/nzk/private', null, nzk.ACL.CREATOR_ALL_ACL, cb));
    client.addAuthInfo('digest', Buffer.from('bob:secret'));
    await log('create /nzk/private CREATOR_ALL after addAuthInfo', (cb) => client.create('/nzk/private', Buffer.from('p'), nzk.ACL.CREATOR_ALL_ACL, cb));
    await log('getACL /nzk/private', (cb) => client.getACL('/nzk/private', cb as Callback<NzkAcl[]>), (r) => aclSummary(r[0] as NzkAcl[]));
    await log('getData /nzk/private from another session', (cb) => other.getData('/nzk/private', cb), data);
    const tx = client.transaction().create('/nzk/tx', Buffer.from('t')).setData('/nzk/tx', Buffer.from('u'), 0).check('/nzk/tx', 1).remove('/nzk/tx', 1);
    await log('transaction create/setData/check/remove', (cb) => tx.commit(cb), (r) => (r[0] as unknown[]).map((x) => resultSummary(x, sid)).join(' | '));
    const failing = client.transaction().create('/nzk/tx2').check('/nzk', 99).remove('/nzk/kid');
    const failed = await call((cb) => failing.commit(cb));
    lines.push(`failing transaction -> ${failed.error} results: ${((failed.results[0] as unknown[]) ?? []).map((x) => resultSummary(x, sid)).join(' | ')}`);
    await log('exists /nzk/tx2 after failed transaction', (cb) => client.exists('/nzk/tx2', cb), stat);
    await log('remove /nzk/none version 5', (cb) => client.remove('/nzk/none', 5, cb), () => 'ok');
    await log('remove /nzk/none', (cb) => client.remove('/nzk/none', cb), () => 'ok');
    await log('remove /nzk/none again', (cb) => client.remove('/nzk/none', cb), () => 'ok');
    await log('remove /nzk (not empty)', (cb) => client.remove('/nzk', -1, cb), () => 'ok');
    await log('mkdirp /nzk/a/b/c', (cb) => client.mkdirp('/nzk/a/b/c', cb));
    await log('listSubTreeBFS /nzk/a', (cb) => client.listSubTreeBFS('/nzk/a', cb as Callback<string[]>), (r) => (r[0] as string[]).join(','));
    await log('removeRecursive /nzk/a', (cb) => client.removeRecursive('/nzk/a', cb as Callback<void>), () => 'ok');
    await log('exists /nzk/a', (cb) => client.exists('/nzk/a', cb), stat);
    await log('getChildren /nzk', (cb) => client.getChildren('/nzk', cb), (r) => [...(r[0] as string[])].sort().join(','));
  } finally {
    client.close();
    other.close();
  }
  return [...lines, '[watch events]', ...events].join('\n') + '\n';
}

const skip = referenceZooKeeperAvailable() ? false : 'reference ZooKeeper 3.8 jars not installed (scripts/install-compat-deps.sh)';

async function onFreshReference(): Promise<string> {
  const zk = await startReferenceZooKeeper();
  try {
    return await exerciseNodeZookeeperClient(zk.host, zk.port);
  } finally {
    await zk.stop();
  }
}

let reference: string | undefined;

test('node-zookeeper-client sees the same answers from two fresh ZooKeeper servers', { skip }, async () => {
  const first = await onFreshReference();
  const second = await onFreshReference();
  assert.equal(second, first);
  reference = first;
  for (const expected of [
    'create /nzk/seq- PERSISTENT_SEQUENTIAL -> /nzk/seq-0000000003',
    'create /nzk/data again -> error NODE_EXISTS[-110]',
    'exists /nzk/eph -> v=0 cv=0 av=0 len=1 children=0 owner=this-session',
    'setData /nzk/data version 7 -> error BAD_VERSION[-103]',
    'getData /nzk/private from another session -> error NO_AUTH[-102]',
    'failing transaction -> error BAD_VERSION[-103] results: type=-1 err=0 | type=-1 err=-103 | type=-1 err=-2',
    'getData: NODE_DATA_CHANGED /nzk/data',
  ]) {
    assert.ok(first.includes(expected + '\n'), `transcript lacks ${JSON.stringify(expected)}:\n${first}`);
  }
});

test('node-zookeeper-client sees the same answers from tszk as from ZooKeeper', { skip }, async () => {
  const server = await tszkForComparison();
  try {
    const expected = reference ?? (await onFreshReference());
    assert.equal(await exerciseNodeZookeeperClient(server.host, server.port), expected);
  } finally {
    await server.stop();
  }
});
