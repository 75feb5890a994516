// Proves the ZAB core over real loopback TCP (runtime/quorum-transport.ts): three peers elect a
// leader, commit proposals on every peer in the same order, and when the leader goes away the
// other two elect a new leader that keeps every committed txn and commits new ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuorumTransport } from '../../src/runtime/quorum-transport.js';
import { ZabPeer, type ZabReady } from '../../src/zab/peer.js';
import type { Entry } from '../../src/zab/messages.js';
import { freePort } from '../support/zk-reference.js';

const TICK_MS = 20;


interface Member {
  id: bigint;
  peer: ZabPeer;
  transport: QuorumTransport;
  committed: Entry[];
  timer: NodeJS.Timeout;
  alive: boolean;
}

async function startMember(id: bigint, ports: Map<bigint, number>): Promise<Member> {
  const voters = new Set(ports.keys());
  const peer = new ZabPeer({ self: id, voters, observers: new Set(), initLimitTicks: 100, syncLimitTicks: 50 }, { acceptedEpoch: 0n, currentEpoch: 0n, entries: [] });
  const member = { id, peer, committed: [] as Entry[], alive: true } as Member;
  const handle = (ready: ZabReady): void => {
    if (!member.alive) return;
    // Persistence is in memory here; the order of the contract still holds: then send, then apply.
    for (const m of ready.messages) member.transport.send(m.to, m.envelope);
    member.committed.push(...ready.committed);
    for (const p of ready.close) member.transport.drop(p);
  };
  const peers = new Map([...ports].filter(([other]) => other !== id).map(([other, port]) => [other, { host: '127.0.0.1', port }]));
  member.transport = new QuorumTransport({
    self: id, listen: { host: '127.0.0.1', port: ports.get(id)! }, peers,
    onEnvelope: (from, envelope) => handle(peer.step(from, envelope)),
    onLinkLost: (other) => handle(peer.linkLost(other)),
  });
  await member.transport.start();
  member.timer = setInterval(() => handle(peer.tick()), TICK_MS);
  handle(peer.start());
  return member;
}

async function stop(member: Member): Promise<void> {
  member.alive = false;
  clearInterval(member.timer);
  await member.transport.close();
}

async function until(what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('three peers over TCP: elect, commit in one order, survive the loss of the leader', { timeout: 60_000 }, async () => {
  const ports = new Map<bigint, number>();
  for (const id of [1n, 2n, 3n]) ports.set(id, await freePort());
  const members = await Promise.all([1n, 2n, 3n].map((id) => startMember(id, ports)));
  try {
    const leaderOf = () => members.find((m) => m.alive && m.peer.isEstablishedLeader);
    await until('a leader', () => leaderOf() !== undefined);
    const first = leaderOf()!;
    for (let i = 0; i < 100; i++) {
      const out = first.peer.propose(Buffer.from(`a${i}`));
      assert.ok(out !== undefined);
      for (const m of out.ready.messages) first.transport.send(m.to, m.envelope);
      first.committed.push(...out.ready.committed);
    }
    await until('100 commits everywhere', () => members.every((m) => m.committed.length >= 100));
    const order = (m: Member) => m.committed.map((e) => Buffer.from(e.data).toString()).join(',');
    assert.equal(order(members[0]!), order(members[1]!));
    assert.equal(order(members[1]!), order(members[2]!));

    const firstEpoch = first.peer.epoch;
    await stop(first);
    const rest = members.filter((m) => m !== first);
    await until('a new leader', () => { const l = leaderOf(); return l !== undefined && l !== first; });
    const second = leaderOf()!;
    for (let i = 0; i < 20; i++) {
      const out = second.peer.propose(Buffer.from(`b${i}`));
      assert.ok(out !== undefined);
      for (const m of out.ready.messages) second.transport.send(m.to, m.envelope);
      second.committed.push(...out.ready.committed);
    }
    await until('the new txns on both', () => rest.every((m) => m.committed.some((e) => Buffer.from(e.data).toString() === 'b19')));
    for (const m of rest) {
      const values = m.committed.map((e) => Buffer.from(e.data).toString());
      for (let i = 0; i < 100; i++) assert.ok(values.includes(`a${i}`), `server ${m.id} lost a${i}`);
    }
    assert.ok(second.peer.epoch > firstEpoch, 'the new leader runs a newer epoch');
  } finally {
    for (const m of members) if (m.alive) await stop(m);
  }
});
