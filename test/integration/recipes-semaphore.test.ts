// Proves InterProcessSemaphore (Curator's InterProcessSemaphoreV2 layout: `<path>/locks`,
// `<path>/leases/_c_<uuid>-lease-<seq>`) against tszk and real ZooKeeper 3.8: six clients never
// hold more than the lease count at once, and do reach it (counted in-process), through
// connection cuts and a lease create whose reply is lost; a lease holder whose session expires
// is told its leases are lost and the others get them; timeouts answer null and leave no node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterProcessSemaphore } from '../../src/recipes/semaphore.js';
import { OpCode } from '../../src/proto/op-code.js';
import {
  childrenOrNone,
  ClientPool,
  CriticalSection,
  describeOnTargets,
  holdSection,
  protectedNodePattern,
  seededRandom,
  sleep,
  WAIT_MS_MAX,
  waitFor,
} from '../support/recipes-harness.js';

const CONTENDERS = 6;
const ROUNDS = 5;
const MAX_LEASES = 2;
const CUTS = 10;

describeOnTargets('InterProcessSemaphore', (target) => {
  test(`six clients never hold more than ${MAX_LEASES} leases, through cuts and a lost create reply`, async (t) => {
    const pool = ClientPool.forTest(t, target);
    const random = seededRandom(3);
    const clients = await pool.openMany(CONTENDERS);
    const section = new CriticalSection();
    const lostReply = clients[0]!.proxy.loseNextReply([OpCode.create]);
    let running = CONTENDERS;
    const workers = clients.map(async ({ client }) => {
      const semaphore = new InterProcessSemaphore(client, '/sem/cuts', MAX_LEASES);
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const leases = await semaphore.acquire({ timeoutMs: WAIT_MS_MAX });
          assert.ok(leases !== null && leases.length === 1, 'a lease within the bound');
          assert.match(leases[0]!.nodeName, protectedNodePattern('lease-'));
          await holdSection(section, semaphore, 5 + random() * 20);
          await semaphore.returnAll(leases);
        }
      } finally {
        running--;
      }
    });
    const faults = (async () => {
      for (let cut = 0; cut < CUTS && running > 0; cut++) {
        await sleep(50);
        clients[1 + Math.floor(random() * (CONTENDERS - 1))]!.proxy.cut();
      }
    })();
    await Promise.all([...workers, faults]);
    await lostReply;
    assert.equal(clients[0]!.proxy.lostReplies, 1);
    assert.ok(section.maxSeen <= MAX_LEASES, `at most ${MAX_LEASES} holders (saw ${section.maxSeen})`);
    assert.equal(section.maxSeen, MAX_LEASES, 'the leases were used in parallel');
    assert.equal(section.entries, CONTENDERS * ROUNDS);
    const observer = await pool.observer();
    await waitFor('no lease or lock nodes left', async () =>
      (await childrenOrNone(observer, '/sem/cuts/leases')).length === 0 && (await childrenOrNone(observer, '/sem/cuts/locks')).length === 0,
    );
  });

  test('an expired lease holder is told its leases are lost; the others get them', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const clients = await pool.openMany(5);
    const semaphores = clients.map(({ client }) => new InterProcessSemaphore(client, '/sem/expiry', MAX_LEASES));
    const victimLeases = await semaphores[0]!.acquire({ qty: 2 });
    assert.equal(victimLeases?.length, 2, 'qty 2 takes both leases');
    let lostCount = -1;
    semaphores[0]!.on('lost', (leases) => (lostCount = leases.length));
    assert.equal(await semaphores[1]!.acquire({ timeoutMs: 300 }), null, 'full: a timed acquire answers null');
    const observer = await pool.observer();
    assert.equal((await observer.getChildren('/sem/expiry/leases')).length, 2, 'the timed-out acquire left no lease node');
    const section = new CriticalSection();
    const others = semaphores.slice(1).map(async (semaphore) => {
      const leases = await semaphore.acquire({ timeoutMs: WAIT_MS_MAX });
      assert.ok(leases !== null);
      await holdSection(section, semaphore, 50);
      await semaphore.returnAll(leases);
    });
    await sleep(200);
    assert.equal(section.entries, 0, 'nobody gets a lease while the victim holds both');
    const { untilExpired } = await pool.expire(clients[0]!);
    await untilExpired;
    await waitFor('victim told its leases are lost', () => lostCount === 2);
    assert.equal(victimLeases!.every((lease) => !lease.isHeld), true);
    await Promise.all(others);
    assert.equal(section.entries, 4);
    assert.ok(section.maxSeen <= MAX_LEASES);
    await semaphores[0]!.returnAll(victimLeases!);
  });
}, { timeoutMs: 120_000 });
