// Proves InterProcessMutex (Curator's layout `<path>/_c_<uuid>-lock-<seq>`) against tszk and real
// ZooKeeper 3.8: six clients never hold it at once (counted in-process) while their connections
// are cut mid-acquire; a create whose reply is lost leaves exactly one node (protected mode);
// session expiry of a waiter rejects its acquire and of a holder reports `lost` while the others
// carry on; reentrancy, timeouts and aborts clean up after themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterProcessMutex } from '../../src/recipes/mutex.js';
import { KeeperError } from '../../src/proto/error-code.js';
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
const ROUNDS = 6;
const CUTS = 12;

describeOnTargets('InterProcessMutex', (target) => {
  test('six clients never hold the lock at once, through connection cuts mid-acquire', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const random = seededRandom(1);
    const clients = await pool.openMany(CONTENDERS);
    const section = new CriticalSection();
    let running = CONTENDERS;
    const workers = clients.map(async ({ client }) => {
      const lock = new InterProcessMutex(client, '/mutex/cuts');
      try {
        for (let round = 0; round < ROUNDS; round++) {
          assert.equal(await lock.acquire({ timeoutMs: WAIT_MS_MAX }), true, 'acquired within the bound');
          await holdSection(section, lock, 2 + random() * 8);
          await lock.release();
        }
      } finally {
        running--;
      }
    });
    const faults = (async () => {
      for (let cut = 0; cut < CUTS && running > 0; cut++) {
        await sleep(40);
        clients[Math.floor(random() * clients.length)]!.proxy.cut();
      }
    })();
    await Promise.all([...workers, faults]);
    assert.equal(section.maxSeen, 1, 'at most one holder at any time');
    assert.equal(section.entries, CONTENDERS * ROUNDS);
    const observer = await pool.observer();
    await waitFor('no lock nodes left', async () => (await childrenOrNone(observer, '/mutex/cuts')).length === 0);
  });

  test('a lock node whose create reply was lost is found by its protected prefix, not made twice', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const [holderClient, victim] = await pool.openMany(2);
    const holder = new InterProcessMutex(holderClient!.client, '/mutex/protected');
    assert.equal(await holder.acquire(), true);
    const lost = victim!.proxy.loseNextReply([OpCode.create]);
    const lock = new InterProcessMutex(victim!.client, '/mutex/protected');
    const acquiring = lock.acquire({ timeoutMs: WAIT_MS_MAX });
    await lost;
    const observer = await pool.observer();
    await waitFor('victim reconnected', () => victim!.client.state === 'CONNECTED');
    await sleep(200);
    const children = await observer.getChildren('/mutex/protected');
    assert.equal(children.length, 2, `holder's node and exactly one of the victim's: ${children.join(', ')}`);
    for (const name of children) assert.match(name, protectedNodePattern('lock-'));
    await holder.release();
    assert.equal(await acquiring, true, 'no ghost node blocks the victim');
    assert.equal(victim!.proxy.lostReplies, 1);
    assert.deepEqual(await observer.getChildren('/mutex/protected'), [lock.lockPath!.split('/').pop()]);
    await lock.release();
    assert.deepEqual(await childrenOrNone(observer, '/mutex/protected'), []);
  });

  test('session expiry: a waiter is rejected, a holder is told it lost the lock, the rest go on', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const clients = await pool.openMany(5);
    const locks = clients.map(({ client }) => new InterProcessMutex(client, '/mutex/expiry'));
    const section = new CriticalSection();
    assert.equal(await locks[0]!.acquire(), true);
    section.enter();
    const lostEvents: string[] = [];
    locks[0]!.on('suspended', () => {
      lostEvents.push('suspended');
      if (section.holders > 0) section.leave();
    });
    locks[0]!.on('lost', () => lostEvents.push('lost'));
    const waiterOutcome = locks[1]!.acquire({ timeoutMs: WAIT_MS_MAX }).then(
      () => 'acquired',
      (err: unknown) => (err instanceof KeeperError ? err.codeName : String(err)),
    );
    const others = locks.slice(2).map(async (lock) => {
      assert.equal(await lock.acquire({ timeoutMs: WAIT_MS_MAX }), true);
      await holdSection(section, lock, 20);
      await lock.release();
    });
    await sleep(200);
    const waiterExpiry = await pool.expire(clients[1]!);
    await waiterExpiry.untilExpired;
    assert.equal(await waiterOutcome, 'SESSIONEXPIRED', 'the expired waiter is rejected');
    assert.equal(locks[0]!.isAcquired, true, 'the holder still holds it: its session is alive');
    const holderExpiry = await pool.expire(clients[0]!);
    await holderExpiry.untilExpired;
    await waitFor('holder told it lost the lock', () => lostEvents.includes('lost'));
    assert.deepEqual(lostEvents, ['suspended', 'lost']);
    assert.equal(locks[0]!.state, 'LOST');
    await Promise.all(others);
    assert.equal(section.maxSeen, 1, 'at most one holder at any time');
    await locks[0]!.release();
    assert.equal(locks[0]!.state, 'IDLE', 'releasing a lost lock resets the handle');
  });

  test('reentrancy, timeout and abort', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const [a, b] = await pool.openMany(2);
    const observer = await pool.observer();
    const mine = new InterProcessMutex(a!.client, '/mutex/reentrant');
    assert.equal(await mine.acquire(), true);
    assert.equal(await mine.acquire(), true);
    assert.equal(mine.holdCount, 2);
    assert.match(mine.lockPath!.split('/').pop()!, protectedNodePattern('lock-'));
    const other = new InterProcessMutex(b!.client, '/mutex/reentrant');
    const started = Date.now();
    assert.equal(await other.acquire({ timeoutMs: 300 }), false, 'times out while held');
    assert.ok(Date.now() - started >= 290);
    const controller = new AbortController();
    const aborted = other.acquire({ signal: controller.signal });
    await sleep(100);
    controller.abort(new Error('stop'));
    await assert.rejects(aborted, (err: Error) => err.name === 'AbortError');
    assert.equal((await observer.getChildren('/mutex/reentrant')).length, 1, 'timed-out and aborted contenders left no node');
    await mine.release();
    assert.equal(mine.isAcquired, true, 'one hold left');
    await mine.release();
    assert.equal(mine.isAcquired, false);
    await assert.rejects(mine.release(), /do not own/);
    assert.equal(await other.acquire({ timeoutMs: WAIT_MS_MAX }), true);
    await other.release();
  });
}, { timeoutMs: 120_000 });
