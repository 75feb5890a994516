// Proves SharedCount (Curator's layout: a 4-byte big-endian int, versioned compare-and-set)
// against tszk and real ZooKeeper 3.8: five clients incrementing with compare-and-set never lose
// or double an update (every success wrote a distinct value and the final count is the number of
// successes, give or take the writes reported as of unknown outcome), through connection cuts and
// a lost setData reply; a stale compare-and-set fails; watchers see changes; an expired client is
// told and its writes are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutcomeUnknownError, SharedCount } from '../../src/recipes/shared-count.js';
import { KeeperError } from '../../src/proto/error-code.js';
import { OpCode } from '../../src/proto/op-code.js';
import { ClientPool, describeOnTargets, seededRandom, sleep, waitFor } from '../support/recipes-harness.js';

const CLIENTS = 5;
const INCREMENTS = 15;

describeOnTargets('SharedCount', (target) => {
  test('five clients increment by compare-and-set: no lost or doubled update, through cuts', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const random = seededRandom(19);
    const clients = await pool.openMany(CLIENTS);
    const lostReply = clients[0]!.proxy.loseNextReply([OpCode.setData]);
    const written: number[] = [];
    let unknown = 0;
    let running = CLIENTS;
    const workers = clients.map(async ({ client }) => {
      const count = new SharedCount(client, '/counter/cas', 0);
      await count.start();
      try {
        for (let i = 0; i < INCREMENTS; i++) {
          try {
            written.push(await count.increment());
          } catch (err) {
            if (!(err instanceof OutcomeUnknownError)) throw err;
            unknown++;
            await count.refresh();
          }
        }
      } finally {
        count.close();
        running--;
      }
    });
    const faults = (async () => {
      for (let cut = 0; cut < 8 && running > 0; cut++) {
        await sleep(30);
        clients[1 + Math.floor(random() * (CLIENTS - 1))]!.proxy.cut();
      }
    })();
    await Promise.all([...workers, faults]);
    await lostReply;
    assert.equal(new Set(written).size, written.length, 'every successful increment wrote a distinct value');
    const observer = await pool.observer();
    const { data } = await observer.getData('/counter/cas');
    assert.equal(data?.length, 4, 'a 4-byte int');
    const final = data!.readInt32BE(0);
    assert.ok(final >= written.length && final <= written.length + unknown, `final ${final}, successes ${written.length}, unknown ${unknown}`);
    assert.equal(written.length + unknown, CLIENTS * INCREMENTS);
  });

  test('a stale compare-and-set fails, watchers see changes, an expired client is told', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const [a, b] = await pool.openMany(2);
    const countA = new SharedCount(a!.client, '/counter/watch', 42);
    const countB = new SharedCount(b!.client, '/counter/watch', 7);
    await countA.start();
    await countB.start();
    assert.equal(countB.count, 42, 'the first seed wins');
    const seen: number[] = [];
    countB.on('changed', (value) => seen.push(value));
    const stale = countB.versioned;
    assert.equal(await countA.trySetCount(-5), true);
    assert.equal(await countB.trySetCount(100, stale), false, 'stale version');
    assert.equal(countB.count, -5, 'a failed CAS refreshes the local copy');
    await countA.setCount(9);
    await waitFor('watcher saw 9', () => countB.count === 9);
    assert.ok(seen.includes(9));
    let lost = false;
    countA.on('lost', () => (lost = true));
    const { untilExpired } = await pool.expire(a!);
    await untilExpired;
    await waitFor('lost reported', () => lost);
    await assert.rejects(countA.trySetCount(1), (err: unknown) => err instanceof KeeperError && err.codeName === 'SESSIONEXPIRED');
    countA.close();
    countB.close();
  });
}, { timeoutMs: 120_000 });
