// Proves the tszk client against real Apache ZooKeeper 3.8: every operation, one-shot and
// persistent watches, multi results (success and failure), auth and ACLs, reconnect through a
// cut connection keeping the session and its watches, and session expiry surfacing as 'expired'.
// With CLIENT_TEST_TARGET=tszk the same tests run against a tszk server instead.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startProxy, type FaultProxy } from '../support/fault-proxy.js';
import { describeOnTargets, TICK_MS, type TargetName } from '../support/server-targets.js';
import type { ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import { createClient } from '../../src/main/client.js';
import type { ClientOptions, WatchedEvent } from '../../src/client/types.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { EventType, Perms } from '../../src/proto/defs.js';
import { Ids } from '../../src/proto/data.js';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';

const TARGET: TargetName = process.env.CLIENT_TEST_TARGET === 'tszk' ? 'tszk' : 'zookeeper';
const WAIT_MS_MAX = 10_000;

/** Resolves once `predicate` holds, polling; fails after WAIT_MS_MAX. */
async function waitFor(what: string, predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isCode(code: number) {
  return (err: unknown) => err instanceof KeeperError && err.code === code;
}

describeOnTargets('client', (zk) => {
  const clients: ZooKeeperClient[] = [];
  const proxies: FaultProxy[] = [];

  async function open(options: ClientOptions = {}, suffix = '', port?: number): Promise<ZooKeeperClient> {
    const client = createClient(`127.0.0.1:${port ?? zk.port}${suffix}`, { sessionTimeoutMs: 10_000, ...options });
    clients.push(client);
    await client.connect();
    return client;
  }

  after(async () => {
    for (const client of clients) await client.close().catch(() => {});
    for (const proxy of proxies) await proxy.close();
  });

  test('connect, session identity and close', async () => {
    const states: string[] = [];
    const client = createClient(`127.0.0.1:${zk.port}`, { sessionTimeoutMs: 6_000 });
    clients.push(client);
    client.on('connected', () => states.push('connected'));
    client.on('closed', () => states.push('closed'));
    assert.equal(client.state, 'NOT_CONNECTED');
    await client.connect();
    assert.equal(client.state, 'CONNECTED');
    assert.notEqual(client.sessionId, 0n);
    assert.equal(client.sessionPassword.length, 16);
    assert.equal(client.sessionTimeoutMs, 6_000);
    await client.create('/lifecycle-eph', null, { mode: 'EPHEMERAL' });
    await client.close();
    assert.equal(client.state, 'CLOSED');
    assert.deepEqual(states, ['connected', 'closed']);
    await assert.rejects(client.exists('/'), isCode(ErrorCode.SESSIONEXPIRED));
    const other = await open();
    assert.equal(await other.exists('/lifecycle-eph'), null, 'closeSession removed the ephemeral');
  });

  test('create modes, create2 and stats', async () => {
    const client = await open();
    assert.equal(await client.create('/modes'), '/modes');
    const plain = await client.getData('/modes');
    assert.equal(plain.data, null, 'a node created without data holds a null buffer');
    const eph = await client.create2('/modes/eph', 'e', { mode: 'EPHEMERAL' });
    assert.equal(eph.path, '/modes/eph');
    assert.equal(eph.stat.ephemeralOwner, client.sessionId);
    assert.equal(eph.stat.dataLength, 1);
    assert.equal(await client.create('/modes/seq-', '', { mode: 'PERSISTENT_SEQUENTIAL' }), '/modes/seq-0000000001');
    assert.equal(await client.create('/modes/seq-', '', { mode: 3 }), '/modes/seq-0000000002');
    // The server stores Long.MIN_VALUE / 0xFF.. | ttl, but shows clients 0 for containers and TTL nodes.
    const container = await client.create2('/modes/container', null, { mode: 'CONTAINER' });
    assert.equal(container.stat.ephemeralOwner, 0n);
    const ttl = await client.create2('/modes/ttl', null, { mode: 'PERSISTENT_WITH_TTL', ttl: 60_000 });
    assert.equal(ttl.stat.ephemeralOwner, 0n);
    assert.equal(await client.create('/modes/ttlseq-', null, { mode: 'PERSISTENT_SEQUENTIAL_WITH_TTL', ttl: 1 }), '/modes/ttlseq-0000000005');
    await assert.rejects(client.create('/modes'), isCode(ErrorCode.NODEEXISTS));
    await assert.rejects(client.create('/nope/child'), isCode(ErrorCode.NONODE));
    await assert.rejects(client.create('/modes/eph/child'), isCode(ErrorCode.NOCHILDRENFOREPHEMERALS));
    await assert.rejects(client.create('/modes/x', null, { ttl: 5 }), /ttl not valid for mode: PERSISTENT/);
    await assert.rejects(client.create('/modes/x', null, { mode: 'PERSISTENT_WITH_TTL' }), /ttl must be positive/);
    await assert.rejects(client.create('bad'), isCode(ErrorCode.BADARGUMENTS));
    await assert.rejects(client.create('/modes/x', null, { acl: [] }), isCode(ErrorCode.INVALIDACL));
  });

  test('reads, writes, versions and deletes', async () => {
    const client = await open();
    await client.create('/rw', Buffer.from([0, 1, 2]));
    await client.create('/rw/a', 'a');
    await client.create('/rw/b', '');
    const got = await client.getData('/rw');
    assert.deepEqual(got.data, Buffer.from([0, 1, 2]));
    assert.deepEqual((await client.getData('/rw/b')).data, Buffer.alloc(0), 'empty data is not null');
    const stat = await client.setData('/rw', 'new', 0);
    assert.equal(stat.version, 1);
    assert.equal(stat.mzxid > got.stat.mzxid, true);
    await assert.rejects(client.setData('/rw', 'x', 0), (e: unknown) => isCode(ErrorCode.BADVERSION)(e) && (e as KeeperError).path === '/rw');
    assert.deepEqual((await client.exists('/rw'))?.version, 1);
    assert.equal(await client.exists('/rw/none'), null);
    assert.deepEqual((await client.getChildren('/rw')).sort(), ['a', 'b']);
    const two = await client.getChildren2('/rw');
    assert.equal(two.stat.numChildren, 2);
    assert.equal(await client.getAllChildrenNumber('/rw'), 2);
    await assert.rejects(client.delete('/rw'), isCode(ErrorCode.NOTEMPTY));
    await assert.rejects(client.delete('/rw/a', 3), isCode(ErrorCode.BADVERSION));
    await assert.rejects(client.delete('/rw/zz'), isCode(ErrorCode.NONODE));
    await client.delete('/rw/a', 0);
    await client.delete('/rw/b');
    await client.delete('/rw');
    await client.sync('/');
    await assert.rejects(client.delete('/'), isCode(ErrorCode.BADARGUMENTS));
    const config = await client.getConfig();
    assert.equal(config.stat.aversion, -1);
    assert.deepEqual(await client.whoAmI(), [{ authScheme: 'ip', user: '127.0.0.1' }]);
  });

  test('ephemerals and chroot', async () => {
    const root = await open();
    await root.create('/app');
    const client = await open({}, '/app');
    assert.equal(client.chroot, '/app');
    assert.equal(await client.create('/e', null, { mode: 'EPHEMERAL_SEQUENTIAL' }), '/e0000000000');
    assert.deepEqual(await client.getEphemerals('/'), ['/e0000000000']);
    assert.deepEqual(await root.getEphemerals('/'), []);
    assert.deepEqual(await root.getChildren('/app'), ['e0000000000']);
    const results = await client.multi([{ op: 'create', path: '/m' }, { op: 'create2', path: '/m/n' }]);
    assert.equal(results[0]?.type === 'create' && results[0].path, '/m');
    assert.equal(results[1]?.type === 'create' && results[1].path, '/m/n');
    const events: WatchedEvent[] = [];
    await client.getData('/m', (e) => events.push(e));
    await root.setData('/app/m', 'x');
    await waitFor('chrooted watch', () => events.length === 1);
    assert.deepEqual(events, [{ type: EventType.NodeDataChanged, state: 3, path: '/m' }]);
    assert.deepEqual((await client.getChildren('/')).sort(), ['e0000000000', 'm']);
  });

  test('one-shot watches fire once, before the reply that shows the change', async () => {
    const client = await open();
    const writer = await open();
    const log: string[] = [];
    const record = (name: string) => (e: WatchedEvent) => log.push(`${name}:${e.type}:${e.path}`);
    await client.create('/w');
    await client.getData('/w', record('data'));
    await client.exists('/w/new', record('exist'));
    await client.getChildren('/w', record('child'));
    await writer.setData('/w', '1');
    await writer.setData('/w', '2');
    await writer.create('/w/new');
    const read = await client.getData('/w');
    assert.deepEqual(read.data, Buffer.from('2'));
    assert.deepEqual(log, [
      `data:${EventType.NodeDataChanged}:/w`,
      `exist:${EventType.NodeCreated}:/w/new`,
      `child:${EventType.NodeChildrenChanged}:/w`,
    ]);
    log.length = 0;
    await client.getData('/w/new', record('d2'));
    await client.getChildren('/w/new', record('c2'));
    await writer.delete('/w/new');
    await client.sync('/');
    await waitFor('delete events', () => log.length === 2);
    assert.deepEqual(log.sort(), [`c2:${EventType.NodeDeleted}:/w/new`, `d2:${EventType.NodeDeleted}:/w/new`]);
  });

  test('{ watch: true } delivers to the default watcher; removeWatches tells removed listeners', async () => {
    const seen: WatchedEvent[] = [];
    const client = await open({ watcher: (e) => seen.push(e) });
    await client.create('/dw');
    await client.exists('/dw', { watch: true });
    await client.setData('/dw', 'x');
    await waitFor('default watcher event', () => seen.some((e) => e.type === EventType.NodeDataChanged));
    const removed: WatchedEvent[] = [];
    await client.getData('/dw', (e) => removed.push(e));
    await client.checkWatches('/dw', 'Data');
    await client.removeWatches('/dw', 'Data');
    assert.deepEqual(removed, [{ type: EventType.DataWatchRemoved, state: 3, path: '/dw' }]);
    await assert.rejects(client.checkWatches('/dw', 'Data'), isCode(ErrorCode.NOWATCHER));
    await assert.rejects(client.removeWatches('/dw', 'Any'), isCode(ErrorCode.NOWATCHER));
    const keep: WatchedEvent[] = [];
    const drop: WatchedEvent[] = [];
    const dropListener = (e: WatchedEvent) => drop.push(e);
    await client.getData('/dw', (e) => keep.push(e));
    await client.getData('/dw', dropListener);
    await client.removeWatcher('/dw', dropListener, 'Data');
    await client.setData('/dw', 'y');
    await waitFor('kept listener fires', () => keep.length === 1);
    assert.deepEqual(drop.map((e) => e.type), [EventType.DataWatchRemoved]);
  });

  test('persistent and recursive watches stay armed until removed', async () => {
    const client = await open();
    const writer = await open();
    const persistent: string[] = [];
    const recursive: string[] = [];
    // Separate paths: ZooKeeper 3.8 keeps one watch mode per path and session (ZOOKEEPER-4466).
    await client.create('/pw');
    await client.create('/pr');
    await client.addWatch('/pw', 'PERSISTENT', (e) => persistent.push(`${e.type}:${e.path}`));
    await client.addWatch('/pr', 'PERSISTENT_RECURSIVE', (e) => recursive.push(`${e.type}:${e.path}`));
    for (const root of ['/pw', '/pr']) {
      await writer.setData(root, 'a');
      await writer.setData(root, 'b');
      await writer.create(`${root}/c`);
      await writer.create(`${root}/c/d`);
      await writer.delete(`${root}/c/d`);
    }
    await client.sync('/');
    await client.exists('/');
    assert.deepEqual(persistent, ['3:/pw', '3:/pw', '4:/pw']);
    assert.deepEqual(recursive, ['3:/pr', '3:/pr', '1:/pr/c', '1:/pr/c/d', '2:/pr/c/d'], 'recursive watches never see NodeChildrenChanged');
    await client.removeWatches('/pw', 'Any');
    await client.removeWatches('/pr', 'Any');
    assert.equal(persistent.at(-1), `${EventType.PersistentWatchRemoved}:/pw`);
    assert.equal(recursive.at(-1), `${EventType.PersistentWatchRemoved}:/pr`);
    await writer.setData('/pw', 'c');
    await writer.setData('/pr/c', 'c');
    await client.sync('/');
    await client.exists('/');
    assert.equal(persistent.length, 4);
    assert.equal(recursive.length, 6);
  });

  test('multi: results as sent on success and failure; multiRead per-op errors', async () => {
    const client = await open();
    await client.create('/mu', 'v');
    const ok = await client.multi([
      { op: 'create', path: '/mu/a', data: 'a' },
      { op: 'check', path: '/mu', version: 0 },
      { op: 'setData', path: '/mu/a', data: 'b' },
      { op: 'create2', path: '/mu/b' },
      { op: 'delete', path: '/mu/b' },
    ]);
    assert.deepEqual(ok.map((r) => r.type), ['create', 'check', 'setData', 'create', 'delete']);
    assert.equal(ok[2]?.type === 'setData' && ok[2].stat.version, 1);
    assert.equal(ok[3]?.opCode, OpCode.create, 'ZooKeeper 3.8 answers a create2 sub-op with a plain create result');
    const failed = await client.multi([
      { op: 'create', path: '/mu/c' },
      { op: 'check', path: '/mu', version: 9 },
      { op: 'delete', path: '/mu/a' },
    ]);
    assert.deepEqual(failed, [
      { type: 'error', opCode: -1, err: 0 },
      { type: 'error', opCode: -1, err: ErrorCode.BADVERSION },
      { type: 'error', opCode: -1, err: ErrorCode.RUNTIMEINCONSISTENCY },
    ]);
    assert.equal(await client.exists('/mu/c'), null, 'nothing of a failed multi is applied');
    const reads = await client.multi([
      { op: 'getData', path: '/mu/a' },
      { op: 'getChildren', path: '/mu/none' },
      { op: 'getChildren', path: '/mu' },
    ]);
    assert.deepEqual(reads[0]?.type === 'getData' && reads[0].data, Buffer.from('b'));
    assert.deepEqual(reads[1], { type: 'error', opCode: -1, err: ErrorCode.NONODE });
    assert.deepEqual(reads[2]?.type === 'getChildren' && reads[2].children, ['a']);
  });

  test('auth and ACLs: digest identities, NOAUTH, INVALIDACL, setACL versions', async () => {
    const owner = await open();
    const stranger = await open();
    await owner.addAuth('digest', 'alice:secret');
    const identities = (await owner.whoAmI()).map((i) => `${i.authScheme}:${i.user}`).sort();
    assert.deepEqual(identities, ['digest:alice', 'ip:127.0.0.1']);
    await owner.create('/acl', 'private', { acl: Ids.CREATOR_ALL_ACL });
    const digest = createHash('sha1').update('alice:secret').digest('base64');
    const { acl, stat } = await owner.getACL('/acl');
    assert.deepEqual(acl, [{ perms: Perms.ALL, id: { scheme: 'digest', id: `alice:${digest}` } }]);
    assert.equal(stat.aversion, 0);
    await assert.rejects(stranger.getData('/acl'), (e: unknown) => isCode(ErrorCode.NOAUTH)(e) && (e as KeeperError).path === '/acl');
    await assert.rejects(stranger.create('/acl2', null, { acl: Ids.CREATOR_ALL_ACL }), isCode(ErrorCode.INVALIDACL));
    await stranger.addAuth('digest', 'alice:secret');
    assert.deepEqual((await stranger.getData('/acl')).data, Buffer.from('private'));
    const readOnly = [{ perms: Perms.READ, id: Ids.ANYONE_ID_UNSAFE }];
    await assert.rejects(owner.setACL('/acl', readOnly, 5), isCode(ErrorCode.BADVERSION));
    assert.equal((await owner.setACL('/acl', readOnly, 0)).aversion, 1);
    await assert.rejects(owner.setData('/acl', 'x'), isCode(ErrorCode.NOAUTH));
  });

  test('an unknown auth scheme fails the handle with AUTH_FAILED', async () => {
    const client = await open();
    let failed = 0;
    client.on('authFailed', () => failed++);
    await assert.rejects(client.addAuth('nosuchscheme', 'x'), isCode(ErrorCode.AUTHFAILED));
    assert.equal(failed, 1);
    assert.equal(client.state, 'AUTH_FAILED');
    await assert.rejects(client.exists('/'), isCode(ErrorCode.AUTHFAILED));
  });

  test('the raw request escape hatch sends exact records and reports header errors', async () => {
    const client = await open();
    await client.create('/raw', 'r');
    const reply = await client.request(OpCode.getData, (w) => R.GetDataRequest.write(w, { path: '/raw', watch: false }), (r) =>
      R.GetDataResponse.read(r),
    );
    assert.equal(reply.header.err, 0);
    assert.deepEqual(reply.body?.data && Buffer.from(reply.body.data), Buffer.from('r'));
    const mismatch = await client.request(OpCode.check, (w) => R.CheckVersionRequest.write(w, { path: '/raw', version: 4 }));
    assert.equal(mismatch.header.err, ErrorCode.BADVERSION);
    assert.equal(mismatch.body, undefined);
  });

  test('a cut connection: CONNECTIONLOSS for in-flight requests, same session after reconnect, watches re-armed', async () => {
    const proxy = await startProxy(zk.port);
    proxies.push(proxy);
    const client = await open({ sessionTimeoutMs: 8_000, keepHostOrder: true }, '', proxy.port);
    const writer = await open();
    const sessionId = client.sessionId;
    const transitions: string[] = [];
    client.on('disconnected', () => transitions.push('disconnected'));
    client.on('connected', () => transitions.push('connected'));
    await client.create('/rc', 'v0');
    await client.create('/rc/eph', null, { mode: 'EPHEMERAL' });
    const events: string[] = [];
    await client.getData('/rc', (e) => events.push(`data:${e.type}`));
    await client.getChildren('/rc', (e) => events.push(`child:${e.type}`));
    await client.addWatch('/rc', 'PERSISTENT', (e) => events.push(`persistent:${e.type}`));
    proxy.refuse(true);
    proxy.cut();
    await waitFor('disconnect', () => transitions.includes('disconnected'));
    await assert.rejects(client.getData('/rc'), isCode(ErrorCode.CONNECTIONLOSS));
    await writer.setData('/rc', 'changed while away');
    proxy.refuse(false);
    await waitFor('reconnect', () => client.state === 'CONNECTED');
    assert.equal(client.sessionId, sessionId, 'same session');
    assert.deepEqual(transitions, ['disconnected', 'connected']);
    await client.sync('/');
    assert.deepEqual(events, ['data:3', 'persistent:3'], 'SetWatches reported the change made while disconnected');
    await writer.create('/rc/new');
    await client.sync('/');
    await client.exists('/');
    assert.deepEqual(events, ['data:3', 'persistent:3', 'child:4', 'persistent:4'], 'the child watch survived the reconnect');
    assert.notEqual(await writer.exists('/rc/eph'), null, 'the ephemeral survived');
  });

  test('an expired session surfaces as expired: events, errors, no reconnect', async () => {
    const proxy = await startProxy(zk.port);
    proxies.push(proxy);
    const expiredEvents: WatchedEvent[] = [];
    const client = await open({ sessionTimeoutMs: 2_000, watcher: (e) => expiredEvents.push(e) }, '', proxy.port);
    assert.equal(client.sessionTimeoutMs, 2_000);
    await client.create('/expiring', null, { mode: 'EPHEMERAL' });
    let expired = 0;
    client.on('expired', () => expired++);
    proxy.refuse(true);
    proxy.cut();
    const pending = client.exists('/');
    await assert.rejects(pending, isCode(ErrorCode.CONNECTIONLOSS));
    const observer = await open();
    const deadline = Date.now() + WAIT_MS_MAX;
    while ((await observer.exists('/expiring')) !== null && Date.now() < deadline) await sleep(100);
    assert.equal(await observer.exists('/expiring'), null, 'the server expired the session');
    proxy.refuse(false);
    await waitFor('expired event', () => expired === 1);
    assert.equal(client.state, 'CLOSED');
    assert.equal(expiredEvents.at(-1)?.state, -112);
    await assert.rejects(client.getData('/'), isCode(ErrorCode.SESSIONEXPIRED));
  });

  test('a session closed from another handle expires the first on reconnect', async () => {
    const proxy = await startProxy(zk.port);
    proxies.push(proxy);
    const client = await open({}, '', proxy.port);
    let expired = 0;
    client.on('expired', () => expired++);
    // The server drops the first handle's connection when the thief takes the session over; the
    // first handle must not win the session back before the thief has closed it.
    proxy.refuse(true);
    const thief = await open({ session: { id: client.sessionId, password: client.sessionPassword } });
    assert.equal(thief.sessionId, client.sessionId, 'resumed the same session');
    await thief.close();
    proxy.refuse(false);
    await waitFor('expired after takeover and close', () => expired === 1);
    assert.equal(client.state, 'CLOSED');
  });

  test('pings keep an idle session with a short timeout alive', async () => {
    const client = await open({ sessionTimeoutMs: 2 * TICK_MS });
    assert.equal(client.sessionTimeoutMs, 2 * TICK_MS);
    let disconnected = 0;
    client.on('disconnected', () => disconnected++);
    await sleep(4 * 2 * TICK_MS);
    assert.equal(disconnected, 0);
    assert.equal(client.state, 'CONNECTED');
    assert.notEqual(await client.exists('/'), null);
  });
}, { names: [TARGET], extendedTypes: true });
