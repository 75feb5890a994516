// Proves InterProcessReadWriteLock (Curator's `__READ__` / `__WRIT__` layout) against tszk and real
// ZooKeeper 3.8: among six clients a writer is always alone and readers do share the lock
// (counted in-process), through connection cuts and a reader's session expiring mid-acquire;
// a write holder may take the read lock too; node names follow Curator's layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterProcessReadWriteLock } from '../../src/recipes/read-write-lock.js';
import { KeeperError } from '../../src/proto/error-code.js';
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
const CUTS = 10;

describeOnTargets('InterProcessReadWriteLock', (target) => {
  test('writers exclude everyone, readers share, through cuts and an expiring reader', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const random = seededRandom(7);
    const clients = await pool.openMany(CONTENDERS + 1);
    const readers = new CriticalSection();
    const writers = new CriticalSection();
    const violations: string[] = [];
    const check = (who: string) => {
      if (writers.holders > 1) violations.push(`${who}: ${writers.holders} writers`);
      if (writers.holders > 0 && readers.holders > 0) violations.push(`${who}: writer with ${readers.holders} readers`);
    };
    let running = CONTENDERS;
    const workers = clients.slice(0, CONTENDERS).map(async ({ client }, index) => {
      const rw = new InterProcessReadWriteLock(client, '/rw/cuts');
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const write = (index + round) % 3 === 0;
          const lock = write ? rw.writeLock : rw.readLock;
          const section = write ? writers : readers;
          assert.equal(await lock.acquire({ timeoutMs: WAIT_MS_MAX }), true);
          const holding = holdSection(section, lock, 5 + random() * 15);
          check(write ? 'writer in' : 'reader in');
          await holding;
          await lock.release();
        }
      } finally {
        running--;
      }
    });
    // A reader that queues behind a writer and then has its session expire.
    const victim = clients[CONTENDERS]!;
    const faults = (async () => {
      for (let cut = 0; cut < CUTS && running > 0; cut++) {
        await sleep(40);
        clients[Math.floor(random() * CONTENDERS)]!.proxy.cut();
      }
    })();
    const expiring = (async () => {
      const victimLock = new InterProcessReadWriteLock(victim.client, '/rw/cuts');
      const pending = victimLock.readLock.acquire({ timeoutMs: WAIT_MS_MAX }).then(
        async (ok) => {
          if (ok) await victimLock.readLock.release().catch(() => undefined);
          return ok ? 'acquired' : 'timeout';
        },
        (err: unknown) => (err instanceof KeeperError ? err.codeName : String(err)),
      );
      await sleep(60);
      const { untilExpired } = await pool.expire(victim);
      await untilExpired;
      const outcome = await pending;
      assert.ok(outcome === 'SESSIONEXPIRED' || outcome === 'acquired', `expired reader: ${outcome}`);
    })();
    await Promise.all([...workers, faults, expiring]);
    assert.deepEqual(violations, []);
    assert.equal(writers.maxSeen, 1, 'writers are alone');
    assert.ok(readers.maxSeen >= 2, `readers shared the lock (max ${readers.maxSeen} at once)`);
    const observer = await pool.observer();
    await waitFor('no lock nodes left', async () => (await childrenOrNone(observer, '/rw/cuts')).length === 0);
  });

  test('a reader waits for an earlier writer; a write holder can read; names follow Curator', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const [a, b] = await pool.openMany(2);
    const observer = await pool.observer();
    const writer = new InterProcessReadWriteLock(a!.client, '/rw/order');
    const reader = new InterProcessReadWriteLock(b!.client, '/rw/order');
    assert.equal(await writer.writeLock.acquire(), true);
    assert.equal(await writer.readLock.acquire({ timeoutMs: 1_000 }), true, 'downgrade: the write holder reads');
    assert.equal(await reader.readLock.acquire({ timeoutMs: 300 }), false, 'readers wait for the writer');
    const names = await observer.getChildren('/rw/order');
    assert.equal(names.filter((n) => protectedNodePattern('__WRIT__').test(n)).length, 1, names.join(','));
    assert.equal(names.filter((n) => protectedNodePattern('__READ__').test(n)).length, 1, names.join(','));
    const waiting = reader.readLock.acquire({ timeoutMs: WAIT_MS_MAX });
    await sleep(100);
    await writer.writeLock.release();
    assert.equal(await waiting, true, 'the reader proceeds once the writer is gone');
    await writer.readLock.release();
    await reader.readLock.release();
    assert.deepEqual(await childrenOrNone(observer, '/rw/order'), []);
  });
}, { timeoutMs: 120_000 });
