// Proves DistributedBarrier and DistributedDoubleBarrier (Curator's layouts: the barrier node;
// `<path>/<uuid>` members and `<path>/ready`) against tszk and real ZooKeeper 3.8 with five
// members: nobody passes a barrier before it is removed, nobody enters before all five have
// arrived and nobody leaves before all five are leaving (ordering checked on an in-process event
// log), through connection cuts; a member whose session expires is rejected with SESSIONEXPIRED
// and is not counted, so the rest wait for a live replacement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DistributedBarrier } from '../../src/recipes/barrier.js';
import { DistributedDoubleBarrier } from '../../src/recipes/double-barrier.js';
import { KeeperError } from '../../src/proto/error-code.js';
import { childrenOrNone, ClientPool, describeOnTargets, seededRandom, sleep, WAIT_MS_MAX, waitFor } from '../support/recipes-harness.js';

const MEMBERS = 5;

const codeOf = (err: unknown) => (err instanceof KeeperError ? err.codeName : String(err));

/** Index of the first entry of `log` matching `prefix`, or Infinity. */
function firstOf(log: readonly string[], prefix: string): number {
  const index = log.findIndex((entry) => entry.startsWith(prefix));
  return index < 0 ? Infinity : index;
}

/** Index of the last entry of `log` matching `prefix`, or -1. */
function lastOf(log: readonly string[], prefix: string): number {
  for (let i = log.length - 1; i >= 0; i--) if (log[i]!.startsWith(prefix)) return i;
  return -1;
}

describeOnTargets('barriers', (target) => {
  test('DistributedBarrier: waiters pass only once it is removed; cut waiters too; expired ones are rejected', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const [controller, ...waiters] = await pool.openMany(MEMBERS + 2);
    const barrier = new DistributedBarrier(controller!.client, '/barrier/simple');
    await barrier.setBarrier();
    await barrier.setBarrier();
    const log: string[] = [];
    const outcomes = waiters.map(({ client }, index) =>
      new DistributedBarrier(client, '/barrier/simple').waitOnBarrier({ timeoutMs: WAIT_MS_MAX }).then(
        (passed) => {
          log.push(`passed:${index}:${passed}`);
          return passed ? 'passed' : 'timeout';
        },
        (err: unknown) => {
          log.push(`rejected:${index}`);
          return codeOf(err);
        },
      ),
    );
    assert.equal(await new DistributedBarrier(waiters[0]!.client, '/barrier/simple').waitOnBarrier({ timeoutMs: 200 }), false, 'times out while set');
    waiters[1]!.proxy.cut();
    waiters[2]!.proxy.cut();
    const { untilExpired } = await pool.expire(waiters[MEMBERS]!);
    await untilExpired;
    await sleep(200);
    assert.deepEqual(log, [`rejected:${MEMBERS}`], 'only the expired waiter is out, rejected');
    log.push('removed');
    await barrier.removeBarrier();
    const results = await Promise.all(outcomes);
    assert.deepEqual(results, [...Array(MEMBERS).fill('passed'), 'SESSIONEXPIRED']);
    assert.ok(firstOf(log, 'passed') > log.indexOf('removed'), `nobody passed before removal: ${log.join(' ')}`);
    await barrier.removeBarrier();
    assert.equal(await new DistributedBarrier(waiters[0]!.client, '/barrier/simple').waitOnBarrier(), true);
  });

  test('DistributedDoubleBarrier: enter after all arrive, leave after all leave, through cuts', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const random = seededRandom(5);
    const members = await pool.openMany(MEMBERS);
    const log: string[] = [];
    const runs = members.map(async ({ client }, index) => {
      await sleep(random() * 100);
      const barrier = new DistributedDoubleBarrier(client, '/barrier/double', MEMBERS);
      log.push(`arrive:${index}`);
      assert.equal(await barrier.enter({ timeoutMs: WAIT_MS_MAX }), true);
      log.push(`entered:${index}`);
      await sleep(random() * 100);
      log.push(`leaving:${index}`);
      assert.equal(await barrier.leave({ timeoutMs: WAIT_MS_MAX }), true);
      log.push(`left:${index}`);
    });
    const faults = (async () => {
      for (let cut = 0; cut < 6; cut++) {
        await sleep(30);
        members[Math.floor(random() * MEMBERS)]!.proxy.cut();
      }
    })();
    await Promise.all([...runs, faults]);
    assert.ok(lastOf(log, 'arrive') < firstOf(log, 'entered'), `all arrived before anyone entered: ${log.join(' ')}`);
    assert.ok(lastOf(log, 'leaving') < firstOf(log, 'left'), `all were leaving before anyone left: ${log.join(' ')}`);
    const observer = await pool.observer();
    assert.deepEqual(await childrenOrNone(observer, '/barrier/double'), [], 'members and ready are gone');
  });

  test('DistributedDoubleBarrier: an expired member is rejected and not counted; a replacement completes it', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const members = await pool.openMany(MEMBERS + 1);
    const log: string[] = [];
    const enter = (index: number) => {
      const barrier = new DistributedDoubleBarrier(members[index]!.client, '/barrier/expiry', MEMBERS);
      log.push(`arrive:${index}`);
      return barrier.enter({ timeoutMs: WAIT_MS_MAX }).then(
        (entered) => {
          log.push(`entered:${index}:${entered}`);
          return entered ? 'entered' : 'timeout';
        },
        (err: unknown) => {
          log.push(`rejected:${index}`);
          return codeOf(err);
        },
      );
    };
    const first = [0, 1, 2, 3].map(enter);
    await waitFor('four members in', async () => (await childrenOrNone(members[0]!.client, '/barrier/expiry')).length === 4);
    const { untilExpired } = await pool.expire(members[3]!);
    await untilExpired;
    assert.equal(await first[3], 'SESSIONEXPIRED');
    await waitFor('expired member not counted', async () => (await childrenOrNone(members[0]!.client, '/barrier/expiry')).length === 3);
    const fifth = enter(4);
    await sleep(300);
    assert.equal(firstOf(log, 'entered'), Infinity, `four live members do not pass: ${log.join(' ')}`);
    log.push('replacement');
    const sixth = enter(5);
    assert.deepEqual(await Promise.all([first[0], first[1], first[2], fifth, sixth]), Array(5).fill('entered'));
    assert.ok(firstOf(log, 'entered') > log.indexOf('replacement'));
  });
}, { timeoutMs: 120_000 });
