// Proves the node, children and tree caches against tszk and real ZooKeeper 3.8: the initial
// load, then created/changed/deleted events whose replay equals the real tree, while five writers
// race each other and the cache's connection is cut repeatedly and its session is expired;
// after expiry the cache watches on the new session; depth limits and the children/node views.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import { NodeCache, PathChildrenCache, TreeCache, type CacheEvent } from '../../src/recipes/cache.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { ClientPool, describeOnTargets, describeTree, expireSession, readTree, seededRandom, sleep, waitFor } from '../support/recipes-harness.js';

/** Rebuilds a tree from cache events and records every event that contradicts the copy so far. */
class Replay {
  readonly tree = new Map<string, { data: string }>();
  readonly problems: string[] = [];
  readonly counts = { created: 0, changed: 0, deleted: 0, initialized: 0 };

  readonly listener = (event: CacheEvent): void => {
    this.counts[event.type]++;
    if (event.type === 'initialized') return;
    const had = this.tree.has(event.path);
    if (event.type === 'created') {
      if (had) this.problems.push(`created twice: ${event.path}`);
      this.tree.set(event.path, { data: event.data.data?.toString('utf8') ?? '' });
    } else if (event.type === 'changed') {
      if (!had) this.problems.push(`changed before created: ${event.path}`);
      if (event.oldData.stat.mzxid >= event.data.stat.mzxid) this.problems.push(`changed backwards: ${event.path}`);
      this.tree.set(event.path, { data: event.data.data?.toString('utf8') ?? '' });
    } else {
      if (!had) this.problems.push(`deleted while absent: ${event.path}`);
      this.tree.delete(event.path);
    }
  };
}

function cacheTree(cache: TreeCache): Map<string, { data: string }> {
  return new Map(cache.entries().map((entry) => [entry.path, { data: entry.data?.toString('utf8') ?? '' }]));
}

const NAMES = ['a', 'b', 'c'];
const LEVELS = 3;

/** A random writer over the paths root/{a,b,c}{/{a,b,c}}* up to LEVELS deep. */
async function write(client: ZooKeeperClient, root: string, seed: number, ops: number): Promise<void> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  for (let i = 0; i < ops; i++) {
    let path = root;
    const depth = 1 + Math.floor(random() * LEVELS);
    for (let d = 0; d < depth; d++) path += `/${pick(NAMES)}`;
    const roll = random();
    try {
      if (roll < 0.45) await client.create(path, `c${seed}-${i}`);
      else if (roll < 0.8) await client.setData(path, `s${seed}-${i}`);
      else await client.delete(path);
    } catch (err) {
      const expected = [ErrorCode.NONODE, ErrorCode.NODEEXISTS, ErrorCode.NOTEMPTY];
      if (!(err instanceof KeeperError && expected.includes(err.code as never))) throw err;
    }
  }
}

async function converged(cache: TreeCache, observer: ZooKeeperClient, root: string): Promise<boolean> {
  const real = describeTree(await readTree(observer, root));
  return JSON.stringify(real) === JSON.stringify(describeTree(cacheTree(cache)));
}

describeOnTargets('caches', (target) => {
  const fixture = new ClientPool(target);
  after(() => fixture.closeAll());

  test('initial load reports every node once, then initialized; later changes arrive as events', async () => {
    const writer = await fixture.observer();
    const root = '/cache-initial';
    await writer.create(root, 'r');
    await writer.create(`${root}/x`, 'x0');
    await writer.create(`${root}/x/y`, 'y0');
    const { session } = await fixture.session();
    const cache = new TreeCache(session, root);
    const replay = new Replay();
    const order: string[] = [];
    cache.addListener(replay.listener);
    cache.addListener((e) => order.push(e.type === 'initialized' ? 'initialized' : `${e.type} ${e.path}`));
    await cache.start();
    assert.deepEqual(order.slice().sort(), ['created /cache-initial', 'created /cache-initial/x', 'created /cache-initial/x/y', 'initialized']);
    assert.equal(order.at(-1), 'initialized', 'initialized comes after the initial nodes');
    await writer.setData(`${root}/x`, 'x1');
    await writer.create(`${root}/z`, 'z0');
    await writer.delete(`${root}/x/y`);
    await waitFor('events for the three writes', () => order.length === 7);
    assert.deepEqual(order.slice(4), ['changed /cache-initial/x', 'created /cache-initial/z', 'deleted /cache-initial/x/y']);
    assert.equal(cache.get(`${root}/x`)?.data?.toString(), 'x1');
    assert.deepEqual(replay.problems, []);
    await cache.close();
    await writer.setData(`${root}/z`, 'after close');
    await sleep(200);
    assert.equal(cache.get(`${root}/z`)?.data?.toString(), 'z0', 'a closed cache is not updated');
  });

  test('five racing writers, repeated connection cuts and a session expiry: the cache converges and its events replay to the real tree', async () => {
    const root = '/cache-race';
    const setup = await fixture.observer();
    await setup.create(root, 'root');
    const { session, proxy } = await fixture.session();
    const cache = new TreeCache(session, root);
    const replay = new Replay();
    cache.addListener(replay.listener);
    await cache.start();
    const writers = await Promise.all([1, 2, 3, 4, 5].map(() => fixture.observer()));
    const writing = Promise.all(writers.map((w, i) => write(w, root, 1000 + i, 150)));
    // Faults while the writers run: cuts, then an expiry, then more cuts.
    for (let i = 0; i < 3; i++) {
      await sleep(60);
      proxy.cut();
    }
    const firstSession = session.client.sessionId;
    await expireSession(target.port, session.client, proxy);
    for (let i = 0; i < 2; i++) {
      await sleep(80);
      proxy.cut();
    }
    await writing;
    await waitFor('a new session after expiry', () => session.generation === 2 && session.isConnected);
    assert.notEqual(session.client.sessionId, firstSession);
    // Events may bring the copy up to date before the last resync ends: wait for that resync.
    await waitFor('the resync after the last reconnect', () => session.isConnected && !cache.loading);
    assert.ok(cache.loadsCompleted >= 2, `the cache resynced after reconnecting (loads: ${cache.loadsCompleted})`);
    await waitFor('cache equal to the real tree', () => converged(cache, setup, root));
    // The watch lives on the new session: a write now arrives as an event, without a resync.
    const loads = cache.loadsCompleted;
    await setup.create(`${root}/after-expiry`, 'fresh');
    await waitFor('event on the new session', () => cache.get(`${root}/after-expiry`)?.data?.toString() === 'fresh');
    assert.equal(cache.loadsCompleted, loads, 'seen by the watch, not by a reload');
    await waitFor('replay equal to the real tree', () => converged(cache, setup, root));
    assert.deepEqual(replay.problems, []);
    assert.deepEqual(describeTree(replay.tree), describeTree(cacheTree(cache)), 'replayed events give the cached tree');
    assert.equal(replay.counts.initialized, 1);
    assert.ok(replay.counts.created > 5 && replay.counts.changed > 5 && replay.counts.deleted > 5, JSON.stringify(replay.counts));
    await cache.close();
  });

  test('changes made while the cache is disconnected are reported after the reconnect, each once', async () => {
    const root = '/cache-offline';
    const writer = await fixture.observer();
    await writer.create(root, '');
    await writer.create(`${root}/keep`, 'k0');
    await writer.create(`${root}/gone`, 'g0');
    await writer.create(`${root}/gone/child`, 'c0');
    const { session, proxy } = await fixture.session();
    const cache = new TreeCache(session, root);
    const events: string[] = [];
    cache.addListener((e) => e.type !== 'initialized' && events.push(`${e.type} ${e.path}`));
    await cache.start();
    events.length = 0;
    // Keep the cache away from the server while the tree changes (well within its session timeout).
    proxy.refuse(true);
    await waitFor('the cache to notice', () => !session.isConnected);
    await writer.setData(`${root}/keep`, 'k1');
    await writer.delete(`${root}/gone/child`);
    await writer.delete(`${root}/gone`);
    await writer.create(`${root}/new`, 'n0');
    await writer.create(`${root}/flash`, 'f0');
    await writer.delete(`${root}/flash`);
    const loads = cache.loadsCompleted;
    proxy.refuse(false);
    await waitFor('the resync after reconnecting', () => cache.loadsCompleted > loads);
    assert.equal(session.generation, 1, 'the same session');
    assert.deepEqual(
      events.slice().sort(),
      [`changed ${root}/keep`, `created ${root}/new`, `deleted ${root}/gone`, `deleted ${root}/gone/child`],
      'each difference once; the node created and deleted offline is not invented',
    );
    assert.ok(events.indexOf(`deleted ${root}/gone/child`) < events.indexOf(`deleted ${root}/gone`), 'children are deleted before parents');
    assert.deepEqual(describeTree(cacheTree(cache)), describeTree(await readTree(writer, root)));
    await cache.close();
  });

  test('a children cache reports only direct children; a node cache follows one node through deletion and recreation', async () => {
    const writer = await fixture.observer();
    const { session, proxy } = await fixture.session();
    const children = new PathChildrenCache(session, '/pcc');
    const childEvents: string[] = [];
    children.addListener((e) => childEvents.push(e.type === 'initialized' ? 'initialized' : `${e.type} ${e.path}`));
    await children.start();
    assert.deepEqual(childEvents, ['initialized'], 'a missing parent is an empty cache');
    await writer.create('/pcc', 'parent');
    await writer.create('/pcc/one', '1');
    await writer.create('/pcc/one/deep', 'not reported');
    await writer.create('/pcc/two', '2');
    await writer.setData('/pcc', 'parent changed');
    await waitFor('two children', () => children.names().length === 2);
    await writer.setData('/pcc/two', '2b');
    await waitFor('two changed', () => children.get('two')?.data?.toString() === '2b');
    assert.deepEqual(childEvents, ['initialized', 'created /pcc/one', 'created /pcc/two', 'changed /pcc/two']);
    assert.deepEqual(children.names(), ['one', 'two']);

    const node = new NodeCache(session, '/nc');
    const nodeEvents: string[] = [];
    node.addListener((e) => nodeEvents.push(e.type === 'initialized' ? 'initialized' : `${e.type} ${e.type === 'deleted' ? '' : e.data.data?.toString()}`));
    await node.start();
    assert.equal(node.current(), undefined);
    await writer.create('/nc', 'v1');
    await waitFor('node created', () => node.current()?.data?.toString() === 'v1');
    await writer.create('/nc/child', 'ignored');
    await writer.setData('/nc', 'v2');
    await waitFor('node changed', () => node.current()?.data?.toString() === 'v2');
    await writer.delete('/nc/child');
    await writer.delete('/nc');
    await waitFor('node deleted', () => node.current() === undefined);
    // Recreated while the connection is down: seen after the reconnect.
    proxy.cut();
    await writer.create('/nc', 'v3');
    await waitFor('node back', () => node.current()?.data?.toString() === 'v3');
    assert.deepEqual(nodeEvents, ['initialized', 'created v1', 'changed v2', 'deleted ', 'created v3']);
    await node.close();
    await children.close();
  });

  test('maxDepth limits a tree cache; cacheData false keeps stats only', async () => {
    const writer = await fixture.observer();
    await writer.create('/depth', 'd');
    await writer.create('/depth/1', 'one');
    await writer.create('/depth/1/2', 'two');
    await writer.create('/depth/1/2/3', 'three');
    const { session } = await fixture.session();
    const cache = new TreeCache(session, '/depth', { maxDepth: 2, cacheData: false });
    await cache.start();
    assert.deepEqual(cache.entries().map((e) => e.path), ['/depth', '/depth/1', '/depth/1/2']);
    assert.equal(cache.get('/depth/1')?.data, null);
    assert.equal(cache.get('/depth/1')?.stat.dataLength, 3);
    await writer.create('/depth/1/2/3/4', 'four');
    await writer.create('/depth/2', 'two');
    await waitFor('new depth-1 node', () => cache.get('/depth/2') !== undefined);
    assert.equal(cache.get('/depth/1/2/3'), undefined);
    assert.equal(cache.get('/depth/1/2/3/4'), undefined);
    await cache.close();
  });
});
