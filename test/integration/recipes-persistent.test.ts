// Proves PersistentNode against tszk and real ZooKeeper 3.8: the node is created (with its
// parents), recreated after someone deletes it, kept through connection cuts with data
// written while disconnected applied on reconnect, and recreated after session expiry owned by
// the new session; protected sequential nodes keep their name; five owners whose sessions all
// expire at once all come back; close() deletes the node and stops recreating it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { PersistentNode, isProtectedName, withoutProtection } from '../../src/recipes/persistent-node.js';
import { ClientPool, describeOnTargets, expireSession, sleep, waitFor, childrenOrNone } from '../support/recipes-harness.js';

describeOnTargets('PersistentNode', (target) => {
  const fixture = new ClientPool(target);
  after(() => fixture.closeAll());

  test('created with container parents, recreated after deletion, deleted by close', async () => {
    const observer = await fixture.observer();
    const { session } = await fixture.session();
    const node = new PersistentNode(session, '/pn-basic/parent/me', 'hello');
    const created: string[] = [];
    node.addListener((e) => e.type === 'created' && created.push(e.path));
    node.start();
    assert.equal(await node.waitForInitialCreate(10_000), true);
    const stat = await observer.exists('/pn-basic/parent/me');
    assert.ok(stat !== null);
    assert.equal(stat.ephemeralOwner, session.client.sessionId);
    assert.equal((await observer.exists('/pn-basic/parent'))?.ephemeralOwner, 0n, 'parents are made, not ephemeral');
    for (let i = 0; i < 3; i++) {
      await observer.delete('/pn-basic/parent/me');
      await waitFor('recreated', async () => (await observer.exists('/pn-basic/parent/me')) !== null);
    }
    assert.equal((await observer.getData('/pn-basic/parent/me')).data?.toString(), 'hello');
    // The observer may see the node before its creator has the reply that raises the event.
    await waitFor('the event of the last creation', () => created.length >= 4);
    assert.equal(created.length, 4, 'one created event per creation');
    await node.close();
    assert.equal(await observer.exists('/pn-basic/parent/me'), null, 'close deletes the node');
    await observer.create('/pn-basic/parent/me', 'someone else', { mode: 'EPHEMERAL' });
    await observer.delete('/pn-basic/parent/me');
    await sleep(300);
    assert.equal(await observer.exists('/pn-basic/parent/me'), null, 'a closed node is not recreated');
  });

  test('connection cuts keep the node and the session; data set while disconnected is written on reconnect', async () => {
    const observer = await fixture.observer();
    const { session, proxy } = await fixture.session();
    const node = new PersistentNode(session, '/pn-cut', 'v0');
    node.start();
    assert.equal(await node.waitForInitialCreate(10_000), true);
    const owner = session.client.sessionId;
    for (let i = 1; i <= 3; i++) {
      proxy.refuse(true);
      await waitFor('disconnected', () => !session.isConnected);
      await node.setData(`v${i}`);
      proxy.refuse(false);
      await waitFor(`v${i} written after reconnect`, async () => (await observer.getData('/pn-cut')).data?.toString() === `v${i}`);
    }
    const stat = await observer.exists('/pn-cut');
    assert.equal(stat?.ephemeralOwner, owner, 'the same session owns it throughout');
    assert.equal(session.generation, 1);
    await node.close();
  });

  test('after session expiry the node reappears owned by the new session, with the latest data', async () => {
    const observer = await fixture.observer();
    const { session, proxy } = await fixture.session();
    const node = new PersistentNode(session, '/pn-expiry', 'first');
    node.start();
    assert.equal(await node.waitForInitialCreate(10_000), true);
    const oldOwner = (await observer.exists('/pn-expiry'))!.ephemeralOwner;
    assert.equal(oldOwner, session.client.sessionId);
    await expireSession(target.port, session.client, proxy, async () => {
      assert.equal(await observer.exists('/pn-expiry'), null, 'the expired session took its node');
      await node.setData('second');
    });
    await waitFor('recreated by a new session', async () => {
      const stat = await observer.exists('/pn-expiry');
      return stat !== null && stat.ephemeralOwner !== oldOwner;
    });
    assert.equal(session.generation, 2);
    const { data, stat } = await observer.getData('/pn-expiry');
    assert.equal(stat.ephemeralOwner, session.client.sessionId);
    assert.equal(data?.toString(), 'second');
    await node.close();
  });

  test('a protected ephemeral-sequential node keeps its name across expiry', async () => {
    const observer = await fixture.observer();
    const { session, proxy } = await fixture.session();
    const node = new PersistentNode(session, '/pn-seq/member-', 'm', { mode: 'EPHEMERAL_SEQUENTIAL', protection: true });
    node.start();
    assert.equal(await node.waitForInitialCreate(10_000), true);
    const path = node.path!;
    const name = path.slice('/pn-seq/'.length);
    assert.ok(isProtectedName(name), name);
    assert.match(withoutProtection(name), /^member-\d{10}$/);
    assert.deepEqual(await observer.getChildren('/pn-seq'), [name]);
    await expireSession(target.port, session.client, proxy);
    await waitFor('recreated', async () => (await observer.exists(path))?.ephemeralOwner === session.client.sessionId && session.generation === 2);
    assert.deepEqual(await observer.getChildren('/pn-seq'), [name], 'same name, no duplicate');
    await node.close();
    assert.deepEqual(await observer.getChildren('/pn-seq').catch(() => []), []);
  });

  test('five owners whose sessions all expire at once all come back, each under its new session', async () => {
    const observer = await fixture.observer();
    const owners = await Promise.all([0, 1, 2, 3, 4].map(() => fixture.session()));
    const nodes = owners.map((o, i) => new PersistentNode(o.session, `/pn-five/n${i}`, `d${i}`));
    for (const node of nodes) node.start();
    for (const node of nodes) assert.equal(await node.waitForInitialCreate(10_000), true);
    const before = await Promise.all(nodes.map((_, i) => observer.exists(`/pn-five/n${i}`)));
    await Promise.all(owners.map((o) => expireSession(target.port, o.session.client, o.proxy)));
    await waitFor('all five back under new sessions', async () => {
      const stats = await Promise.all(nodes.map((_, i) => observer.exists(`/pn-five/n${i}`)));
      return stats.every((s, i) => s !== null && s.ephemeralOwner !== before[i]!.ephemeralOwner && s.ephemeralOwner === owners[i]!.session.client.sessionId);
    });
    assert.deepEqual((await observer.getChildren('/pn-five')).sort(), ['n0', 'n1', 'n2', 'n3', 'n4']);
    for (const [i] of nodes.entries()) assert.equal((await observer.getData(`/pn-five/n${i}`)).data?.toString(), `d${i}`);
    await Promise.all(nodes.map((n) => n.close()));
    // The emptied container may already have been swept (every second here): gone counts as empty.
    assert.deepEqual(await childrenOrNone(observer, '/pn-five'), []);
  });

  test('two owners of one path: the survivor takes the node over when the other session ends', async () => {
    const observer = await fixture.observer();
    const first = await fixture.session();
    const second = await fixture.session();
    const a = new PersistentNode(first.session, '/pn-shared', 'a');
    a.start();
    assert.equal(await a.waitForInitialCreate(10_000), true);
    const b = new PersistentNode(second.session, '/pn-shared', 'b');
    b.start();
    assert.equal(await b.waitForInitialCreate(10_000), true, 'an existing node is adopted');
    await first.close();
    await waitFor('taken over by the second session', async () => (await observer.exists('/pn-shared'))?.ephemeralOwner === second.session.client.sessionId);
    assert.equal((await observer.getData('/pn-shared')).data?.toString(), 'b');
    await b.close();
    await a.close();
  });
});
