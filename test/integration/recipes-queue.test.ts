// Proves DistributedQueue and DistributedPriorityQueue (Curator's `queue-<seq>` /
// `queue-<priority><seq>` layout, ItemSerializer framing, lock-path claims) against tszk and real
// ZooKeeper 3.8: with five producers and five consumers every item is taken exactly once, through
// connection cuts and lost replies to puts and claims; priority order holds per consumer; a
// failing handler requeues its item; an item whose consumer's session expires mid-handling is
// not lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeItems, DistributedPriorityQueue, DistributedQueue, encodeItems, priorityToString } from '../../src/recipes/queue.js';
import { OpCode } from '../../src/proto/op-code.js';
import { childrenOrNone, ClientPool, describeOnTargets, seededRandom, sleep, WAIT_MS_MAX, waitFor, within } from '../support/recipes-harness.js';

const PRODUCERS = 5;
const CONSUMERS = 5;
const ITEMS_PER_PRODUCER = 12;

test('Curator item framing and priority strings', () => {
  const framed = encodeItems([Buffer.from('ab')]);
  assert.equal(framed.toString('hex'), '00010001' + '01' + '00000002' + '6162' + '02');
  assert.deepEqual(decodeItems(framed), [Buffer.from('ab')]);
  assert.equal(priorityToString(0), '100000000');
  assert.equal(priorityToString(255), '1000000FF');
  assert.equal(priorityToString(-1), '0FFFFFFFF');
  assert.ok(priorityToString(-2) < priorityToString(-1) && priorityToString(-1) < priorityToString(0));
});

describeOnTargets('queues', (target) => {
  test('five producers, five consumers: every item exactly once, through cuts and lost replies', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const random = seededRandom(13);
    const producers = await pool.openMany(PRODUCERS);
    const consumers = await pool.openMany(CONSUMERS);
    const lostPut = producers[0]!.proxy.loseNextReply([OpCode.multi]);
    // Which consumer claims first depends on timing: each loses the reply to its first claim, and
    // at least one must (60 items are claimed).
    const lostClaims = consumers.map(({ proxy }) => proxy.loseNextReply([OpCode.create]));
    const total = PRODUCERS * ITEMS_PER_PRODUCER;
    const taken: string[] = [];
    const producing = producers.map(async ({ client }, p) => {
      const queue = new DistributedQueue(client, '/queue/fifo');
      for (let i = 0; i < ITEMS_PER_PRODUCER; i++) {
        await queue.put(`p${p}-${i}`);
        if (random() < 0.3) await sleep(5);
      }
    });
    const consuming = consumers.map(async ({ client }) => {
      const queue = new DistributedQueue(client, '/queue/fifo');
      const mine: string[] = [];
      while (taken.length < total) {
        const item = await queue.take({ timeoutMs: 300 });
        if (item === null) continue;
        taken.push(item.data.toString());
        mine.push(item.data.toString());
      }
      return mine;
    });
    const faults = (async () => {
      for (let cut = 0; cut < 10 && taken.length < total; cut++) {
        await sleep(40);
        const all = [...producers, ...consumers];
        all[Math.floor(random() * all.length)]!.proxy.cut();
      }
    })();
    await within(Promise.all(producing), WAIT_MS_MAX, 'every item to be put');
    const perConsumer = await within(Promise.all(consuming), WAIT_MS_MAX, 'every item to be taken');
    await faults;
    await within(Promise.all([lostPut, Promise.race(lostClaims)]), WAIT_MS_MAX, 'a lost put reply and a lost claim reply');
    const expected = [];
    for (let p = 0; p < PRODUCERS; p++) for (let i = 0; i < ITEMS_PER_PRODUCER; i++) expected.push(`p${p}-${i}`);
    assert.deepEqual([...taken].sort(), expected.sort(), 'each item taken exactly once (none lost, none twice)');
    for (const mine of perConsumer) {
      for (let p = 0; p < PRODUCERS; p++) {
        const seq = mine.filter((item) => item.startsWith(`p${p}-`)).map((item) => Number(item.split('-')[1]));
        assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `a consumer sees one producer's items in order`);
      }
    }
    const observer = await pool.observer();
    await waitFor('queue empty, no claims or markers', async () =>
      (await childrenOrNone(observer, '/queue/fifo')).every((name) => name === 'locks') &&
      (await childrenOrNone(observer, '/queue/fifo/locks')).length === 0,
    );
  });

  test('priority queue: every consumer takes in (priority, arrival) order; each item once', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const random = seededRandom(17);
    const clients = await pool.openMany(CONSUMERS);
    const producer = new DistributedPriorityQueue(clients[0]!.client, '/queue/priority');
    const rank = new Map<string, number>();
    const puts: { name: string; priority: number; order: number }[] = [];
    for (let i = 0; i < 40; i++) {
      const priority = Math.floor(random() * 7) - 3;
      await producer.put(`i${i}`, priority);
      puts.push({ name: `i${i}`, priority, order: i });
    }
    puts.sort((a, b) => a.priority - b.priority || a.order - b.order).forEach((entry, index) => rank.set(entry.name, index));
    const names = await producer.itemNames();
    assert.match(names[0]!, /^queue-[01][0-9A-F]{8}\d{10}$/);
    const taken: string[] = [];
    const perConsumer = await Promise.all(
      clients.map(async ({ client }) => {
        const queue = new DistributedPriorityQueue(client, '/queue/priority');
        const mine: string[] = [];
        for (let item = await queue.poll(); item !== null; item = await queue.poll()) {
          mine.push(item.data.toString());
          taken.push(item.data.toString());
        }
        return mine;
      }),
    );
    assert.deepEqual([...taken].sort(), puts.map((p) => p.name).sort(), 'each item once');
    for (const mine of perConsumer) {
      const ranks = mine.map((name) => rank.get(name)!);
      assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), 'in priority order');
    }
    assert.equal(await new DistributedPriorityQueue(clients[1]!.client, '/queue/priority').poll(), null);
  });

  test('a failing handler requeues its item; an expired consumer mid-handling loses no item', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const [producerClient, failing, victim, ...others] = await pool.openMany(CONSUMERS);
    const producer = new DistributedQueue(producerClient!.client, '/queue/handlers');
    await producer.put('first');
    await producer.put('second');
    await assert.rejects(
      new DistributedQueue(failing!.client, '/queue/handlers').consume(() => {
        throw new Error('handler failed');
      }),
      /handler failed/,
    );
    assert.deepEqual(
      (await Promise.all((await producer.itemNames()).map(async (name) => (await producerClient!.client.getData(`/queue/handlers/${name}`)).data!))).map(
        (bytes) => decodeItems(bytes)[0]!.toString(),
      ),
      ['second', 'first'],
      'the failed item went to the tail',
    );
    let handling!: () => void;
    let release!: () => void;
    const inHandler = new Promise<void>((resolve) => (handling = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const victimQueue = new DistributedQueue(victim!.client, '/queue/handlers');
    const victimOutcome = victimQueue
      .consume(async () => {
        handling();
        await released;
      })
      .then(
        () => 'consumed',
        (err: unknown) => String((err as { codeName?: string }).codeName ?? err),
      );
    await inHandler;
    const { untilExpired } = await pool.expire(victim!);
    await untilExpired;
    const seen: string[] = [];
    for (const { client } of others) {
      const queue = new DistributedQueue(client, '/queue/handlers');
      for (let item = await queue.poll(); item !== null; item = await queue.poll()) seen.push(item.data.toString());
    }
    assert.deepEqual(seen.sort(), ['first', 'second'], 'the expired consumer’s item is still there for the others');
    release();
    assert.equal(await victimOutcome, 'SESSIONEXPIRED', 'the expired consumer is told');
  });
}, { timeoutMs: 120_000 });
