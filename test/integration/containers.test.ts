// Proves container and TTL nodes behave as in ZooKeeper: a container is removed once its last
// child is gone (never before it had one), a TTL node is removed after its TTL when childless,
// and TTL creation is UNIMPLEMENTED unless extendedTypesEnabled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/proto/error-code.js';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';
import { RawSession } from '../support/raw-session.js';
import { startTszk } from '../support/tszk-server.js';

const WORLD = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(session: RawSession, path: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const r = await session.call(OpCode.exists, (w) => R.ExistsRequest.write(w, { path, watch: false }));
    if (r.err === ErrorCode.NONODE) return true;
    await sleep(50);
  }
  return false;
}

test('containers go after their last child; TTL nodes after their TTL', async () => {
  const server = await startTszk({ config: { extendedTypesEnabled: 'true', 'znode.container.checkIntervalMs': '100' } });
  try {
    const s = await RawSession.open(server.host, server.port);
    const container = await s.call(OpCode.createContainer, (w) => R.CreateRequest.write(w, { path: '/box', data: null, acl: WORLD, flags: 4 }));
    assert.equal(container.err, 0);
    await sleep(400);
    assert.equal((await s.call(OpCode.exists, (w) => R.ExistsRequest.write(w, { path: '/box', watch: false }))).err, 0, 'a never-used container stays');
    await s.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/box/item', data: null, acl: WORLD, flags: 0 }));
    await s.call(OpCode.delete, (w) => R.DeleteRequest.write(w, { path: '/box/item', version: -1 }));
    assert.equal(await waitGone(s, '/box', 5000), true, 'the emptied container is removed');

    const ttl = await s.call(OpCode.createTTL, (w) => R.CreateTTLRequest.write(w, { path: '/ttl', data: null, acl: WORLD, flags: 5, ttl: 300n }));
    assert.equal(ttl.err, 0);
    assert.equal(await waitGone(s, '/ttl', 5000), true, 'the TTL node is removed after its TTL');
    const badTtl = await s.call(OpCode.createTTL, (w) => R.CreateTTLRequest.write(w, { path: '/ttl2', data: null, acl: WORLD, flags: 0, ttl: -5n }));
    assert.equal(badTtl.err, ErrorCode.BADARGUMENTS, 'createTTL with a non-TTL mode is refused, never logged as a bad txn');
    s.close();
  } finally {
    await server.stop();
  }
  const plain = await startTszk();
  try {
    const s = await RawSession.open(plain.host, plain.port);
    const ttl = await s.call(OpCode.createTTL, (w) => R.CreateTTLRequest.write(w, { path: '/ttl', data: null, acl: WORLD, flags: 5, ttl: 300n }));
    assert.equal(ttl.err, ErrorCode.UNIMPLEMENTED);
    s.close();
  } finally {
    await plain.stop();
  }
});
