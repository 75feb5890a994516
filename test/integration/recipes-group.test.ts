// Proves GroupMember against tszk and real ZooKeeper 3.8: five members each see all five with
// their payloads, payload changes propagate, a member that leaves or whose session is closed
// disappears from every view, connection cuts change no one's membership, and a member whose
// session expires rejoins under a new session and sees the group again.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupMember, type GroupEvent } from '../../src/recipes/group-membership.js';
import { ClientPool, describeOnTargets, expireSession, type ProxiedSession, waitFor, childrenOrNone } from '../support/recipes-harness.js';

function view(member: GroupMember): string[] {
  return [...member.getCurrentMembers()].map(([id, data]) => `${id}=${data?.toString() ?? ''}`).sort();
}

describeOnTargets('group membership', (target) => {
  const fixture = new ClientPool(target);
  after(() => fixture.closeAll());

  test('five members converge on the same view through joins, payload changes, cuts, expiry and departures', async () => {
    const observer = await fixture.observer();
    const sessions: ProxiedSession[] = await Promise.all([0, 1, 2, 3, 4].map(() => fixture.session()));
    const members = sessions.map((s, i) => new GroupMember(s.session, '/group', `m${i}`, `p${i}`));
    const events: GroupEvent[][] = members.map(() => []);
    members.forEach((m, i) => m.addListener((e) => events[i]!.push(e)));
    await Promise.all(members.map((m) => m.start()));
    const all = ['m0=p0', 'm1=p1', 'm2=p2', 'm3=p3', 'm4=p4'];
    await waitFor('everyone sees everyone', () => members.every((m) => JSON.stringify(view(m)) === JSON.stringify(all)));

    await members[2]!.setThisData('p2b');
    const afterChange = all.map((e) => (e === 'm2=p2' ? 'm2=p2b' : e));
    await waitFor('payload change everywhere', () => members.every((m) => JSON.stringify(view(m)) === JSON.stringify(afterChange)));

    // Cuts: nobody leaves.
    const left: string[] = [];
    members.forEach((m) => m.addListener((e) => e.type === 'left' && left.push(e.id)));
    for (const s of sessions) s.proxy.cut();
    await waitFor('all reconnected', () => sessions.every((s) => s.session.isConnected));
    await waitFor('views settle', () => members.every((m) => JSON.stringify(view(m)) === JSON.stringify(afterChange)));
    assert.equal(left.length, 0, `a connection cut is not a departure: ${left.join(',')}`);

    // m3's session expires: it leaves everyone's view, then rejoins under a new session.
    const oldOwner = (await observer.exists('/group/m3'))!.ephemeralOwner;
    await expireSession(target.port, sessions[3]!.session.client, sessions[3]!.proxy, async () => {
      await waitFor('m3 gone for the others', () => [0, 1, 2, 4].every((i) => !view(members[i]!).includes('m3=p3')));
    });
    await waitFor('m3 back for everyone', () => members.every((m) => JSON.stringify(view(m)) === JSON.stringify(afterChange)));
    const stat = await observer.exists('/group/m3');
    assert.notEqual(stat?.ephemeralOwner, oldOwner);
    assert.equal(stat?.ephemeralOwner, sessions[3]!.session.client.sessionId);
    assert.ok(left.includes('m3'));

    // Departures: one closes its member, one loses its whole session.
    await members[0]!.close();
    await sessions[1]!.close();
    const rest = ['m2=p2b', 'm3=p3', 'm4=p4'];
    await waitFor('two departures seen', () => [2, 3, 4].every((i) => JSON.stringify(view(members[i]!)) === JSON.stringify(rest)));
    assert.deepEqual((await observer.getChildren('/group')).sort(), ['m2', 'm3', 'm4']);
    for (const i of [2, 3, 4]) {
      const joined = events[i]!.filter((e) => e.type === 'joined').map((e) => (e as { id: string }).id);
      assert.ok(joined.includes('m0') && joined.includes('m4'), `m${i} heard the joins: ${joined.join(',')}`);
      assert.equal(events[i]!.filter((e) => e.type === 'initialized').length, 1);
    }
    for (const i of [2, 3, 4]) await members[i]!.close();
    // The emptied container may already have been swept: gone counts as empty.
    assert.deepEqual(await childrenOrNone(observer, '/group'), []);
  });

  test('a member counts itself in before its node is visible', async () => {
    const { session } = await fixture.session();
    const member = new GroupMember(session, '/group-self', 'solo', 'me');
    assert.deepEqual(view(member), ['solo=me']);
    await member.start();
    assert.deepEqual(view(member), ['solo=me']);
    await member.close();
  });
});
