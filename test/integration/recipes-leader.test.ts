// Proves LeaderLatch (Curator's `_c_<uuid>-latch-<seq>`) and LeaderSelector (a mutex underneath,
// autoRequeue) against tszk and real ZooKeeper 3.8: among five participants there is never more
// than one leader (counted in-process from the leaders' own callbacks) while the leader's
// connection is cut, the leader leaves, and the leader's session expires; there is eventually
// exactly one, matching what ZooKeeper says; an expired participant is told it is LOST; requeued
// selectors all get their turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaderLatch } from '../../src/recipes/leader-latch.js';
import { LeaderSelector } from '../../src/recipes/leader-selector.js';
import {
  ClientPool,
  CriticalSection,
  describeOnTargets,
  protectedNodePattern,
  seededRandom,
  sleep,
  type TestClient,
  waitFor,
} from '../support/recipes-harness.js';

const PARTICIPANTS = 5;
const TERMS_MIN = 15;

/** Leaders counted from the latches' own isLeader/notLeader callbacks. */
class LeaderCount {
  current = 0;
  maxSeen = 0;
  readonly history: string[] = [];

  track(latch: LeaderLatch, id: string): void {
    latch.on('isLeader', () => {
      this.current++;
      this.maxSeen = Math.max(this.maxSeen, this.current);
      this.history.push(`+${id}`);
    });
    latch.on('notLeader', () => {
      this.current--;
      this.history.push(`-${id}`);
    });
  }
}

describeOnTargets('leader election', (target) => {
  test('LeaderLatch: one leader at most, through a cut, a leader leaving and a leader expiring', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const clients = await pool.openMany(PARTICIPANTS);
    const observer = await pool.observer();
    const count = new LeaderCount();
    const latches = clients.map(({ client }, index) => {
      const latch = new LeaderLatch(client, '/leader/latch', { id: `p${index}`, closeMode: 'NOTIFY_LEADER' });
      count.track(latch, `p${index}`);
      return latch;
    });
    const lost: string[] = [];
    latches.forEach((latch, index) => latch.on('lost', () => lost.push(`p${index}`)));
    await Promise.all(latches.map((latch) => latch.start()));
    const leaderIndex = async (): Promise<number> => {
      await waitFor('exactly one leader', () => latches.filter((latch) => latch.hasLeadership).length === 1);
      return latches.findIndex((latch) => latch.hasLeadership);
    };
    const reader = new LeaderLatch(observer, '/leader/latch');
    const agree = async (index: number) => {
      const leader = await reader.getLeader();
      assert.equal(leader?.id, `p${index}`, 'ZooKeeper names the same leader');
    };

    // 1. Cut the leader's connection: it steps down at once and, its session alive, leads again.
    let leader = await leaderIndex();
    await agree(leader);
    assert.equal(await latches[leader]!.await({ timeoutMs: 100 }), true);
    for (const name of await observer.getChildren('/leader/latch')) assert.match(name, protectedNodePattern('latch-'));
    const before = count.history.length;
    clients[leader]!.proxy.cut();
    await waitFor('leader back', () => latches[leader]!.hasLeadership && count.history.length >= before + 2);
    assert.deepEqual(count.history.slice(before), [`-p${leader}`, `+p${leader}`], 'the same participant leads again');

    // 2. The leader leaves: the next one leads.
    await latches[leader]!.close();
    const afterClose = await leaderIndex();
    assert.notEqual(afterClose, leader);
    await agree(afterClose);

    // 3. The leader's session expires: it steps down on the cut, is told it is lost, another leads.
    leader = afterClose;
    const { untilExpired } = await pool.expire(clients[leader]!);
    await untilExpired;
    await waitFor('expired leader lost', () => lost.includes(`p${leader}`));
    assert.equal(latches[leader]!.state, 'LOST');
    assert.equal(latches[leader]!.hasLeadership, false);
    const third = await leaderIndex();
    assert.ok(third !== leader && third !== afterClose);
    await agree(third);
    assert.equal(count.maxSeen, 1, `never two leaders: ${count.history.join(' ')}`);
    assert.equal(count.current, 1);
    for (const latch of latches) if (latch.state === 'STARTED') await latch.close();
    assert.equal(count.current, 0, 'NOTIFY_LEADER close tells the last leader');
    assert.equal(lost.length, 1);
    assert.ok(latches.every((latch) => !latch.hasLeadership));
  });

  test('LeaderSelector with autoRequeue: one leader at most, every participant leads, faults included', async (t) => {
    const pool = ClientPool.forTest(t, target);
    const random = seededRandom(11);
    const clients: TestClient[] = await pool.openMany(PARTICIPANTS);
    const section = new CriticalSection();
    const terms: number[] = [];
    const abortedTerms: number[] = [];
    let leaderNow = -1;
    const selectors = clients.map(
      ({ client }, index) =>
        new LeaderSelector(
          client,
          '/leader/selector',
          {
            async takeLeadership(signal) {
              section.enter();
              leaderNow = index;
              terms.push(index);
              try {
                await new Promise<void>((resolve) => {
                  const timer = setTimeout(resolve, 10 + random() * 20);
                  signal.addEventListener('abort', () => {
                    clearTimeout(timer);
                    abortedTerms.push(index);
                    resolve();
                  });
                });
              } finally {
                leaderNow = -1;
                section.leave();
              }
            },
          },
          { id: `s${index}`, autoRequeue: true },
        ),
    );
    const lost: number[] = [];
    selectors.forEach((selector, index) => selector.on('lost', () => lost.push(index)));
    for (const selector of selectors) selector.start();
    await waitFor('some terms', () => terms.length >= 5);
    // A leader's connection is cut mid-term: its term is cancelled, the selector requeues.
    await waitFor('a leader', () => leaderNow >= 0);
    const cutLeader = leaderNow;
    clients[cutLeader]!.proxy.cut();
    await waitFor('cut term cancelled', () => abortedTerms.includes(cutLeader));
    // A leader's session expires mid-term: cancelled, LOST, and the others go on.
    await waitFor('a leader other than the cut one', () => leaderNow >= 0 && leaderNow !== cutLeader);
    const expiredLeader = leaderNow;
    const { untilExpired } = await pool.expire(clients[expiredLeader]!);
    await untilExpired;
    await waitFor('expired selector lost', () => lost.includes(expiredLeader));
    assert.equal(selectors[expiredLeader]!.state, 'LOST');
    const termsAtExpiry = terms.length;
    await waitFor('terms go on', () => terms.length >= Math.max(TERMS_MIN, termsAtExpiry + 5));
    await Promise.all(selectors.map((selector) => selector.close()));
    assert.equal(section.maxSeen, 1, 'never two leaders at once');
    for (let index = 0; index < PARTICIPANTS; index++) {
      if (index !== expiredLeader) assert.ok(terms.includes(index), `s${index} led at least once`);
    }
    assert.ok(!terms.slice(termsAtExpiry + 1).includes(expiredLeader), 'a lost selector leads no more');
    await sleep(50);
    assert.equal(selectors.filter((selector) => selector.hasLeadership).length, 0);
  });
}, { timeoutMs: 120_000 });
