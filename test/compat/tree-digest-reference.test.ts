// Proves tszk's `hash` is ZooKeeper 3.8's: after the same client operations (creates with data, sequential, ephemeral, container, UTF-8 paths, setData, setACL, delete, multi, failed ops, session closes), tszk recovering ZooKeeper's data dir answers the `hash` four-letter word byte for byte as ZooKeeper does (and the admin `hash` JSON with the same values); run live, both list the same zxids (digests differ only because ctime/mtime are each server's clock); and a restart from a snapshot plus txn log recomputes the same digests.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../src/main/client.js';
import type { Acl } from '../../src/proto/data.js';
import { fourLetterWord, referenceZooKeeperAvailable, startReferenceZooKeeper, type ReferenceZooKeeper } from '../support/zk-reference.js';
import { startTszk, type TszkServer } from '../support/tszk-server.js';

const skip = referenceZooKeeperAvailable() ? false : 'real ZooKeeper (Debian zookeeper) is not installed';
const ADMIN = { 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': '0' };
const BOB_ACL: Acl[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }, { perms: 31, id: { scheme: 'digest', id: 'bob:2LmZrvwIvTBsBwsOhDLWv8L7F4A=' } }];
const OPEN_ACL: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

const stops: Array<() => Promise<void>> = [];
after(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

/**
 * The same txns on any server, in the same order (every call waits for its reply): about 420
 * txns, so the history holds 0x80, 0x100 and 0x180. `midway` runs between two txns near 0xe0.
 */
async function operations(port: number, midway: () => Promise<void> = async () => undefined): Promise<void> {
  const a = createClient(`127.0.0.1:${port}`, { sessionTimeoutMs: 30_000 });
  const b = createClient(`127.0.0.1:${port}`, { sessionTimeoutMs: 30_000 });
  await a.connect();
  await b.connect();
  try {
    await a.create('/app', 'application root');
    for (let i = 0; i < 40; i++) await a.create(`/app/n${i}`, `value-${i};`.repeat(i % 7));
    const sequential: string[] = [];
    for (let i = 0; i < 30; i++) sequential.push(await a.create('/app/seq-', `s${i}`, { mode: 'PERSISTENT_SEQUENTIAL' }));
    for (let i = 0; i < 20; i++) await b.create(`/app/e${i}`, `ephemeral ${i}`, { mode: 'EPHEMERAL' });
    for (let i = 0; i < 20; i++) await b.create('/app/es-', null, { mode: 'EPHEMERAL_SEQUENTIAL' });
    await a.create('/app/box', 'container', { mode: 'CONTAINER' });
    await a.create('/app/box/item', 'keeps the container');
    await a.create('/app/ünïcödé-路径', 'UTF-8 path');
    for (let i = 0; i < 40; i++) await a.setData(`/app/n${i}`, `new-${i}`, i % 2 === 0 ? 0 : -1);
    await midway();
    for (let i = 0; i < 20; i++) await a.setACL(`/app/n${i}`, BOB_ACL, 0);
    await a.setACL(sequential[0]!, OPEN_ACL, -1);
    await a.setData('/', 'root data');
    await a.setData('/app/ünïcödé-路径', Buffer.alloc(3000, 7));
    for (let i = 20; i < 40; i++) await a.delete(`/app/n${i}`, i % 3 === 0 ? 1 : -1);
    await assert.rejects(a.setData(sequential[1]!, 'stale', 42), /BADVERSION/);
    await assert.rejects(a.delete('/app/missing'), /NONODE/);
    for (let i = 0; i < 10; i++) {
      await a.multi([
        { op: 'create', path: `/app/m${i}`, data: `multi ${i}` },
        { op: 'setData', path: `/app/m${i}`, data: `multi ${i} again` },
        { op: 'check', path: '/app', version: -1 },
        { op: 'delete', path: sequential[i + 10]! },
      ]);
    }
    const failed = await a.multi([{ op: 'create', path: '/app/m-fail', data: 'x' }, { op: 'delete', path: '/app/missing' }]);
    assert.deepEqual(failed.map((r) => r.type), ['error', 'error']);
    for (let i = 0; i < 150; i++) await a.setData('/app', `round ${i} `.repeat(i % 13));
    await b.close();
    for (let i = 0; i < 50; i++) await a.create(`/app/late${i}`, `${i}`);
  } finally {
    await b.close().catch(() => undefined);
    await a.close();
  }
}

/** `hash` lines as [zxid hex, digest]. */
function hashLines(text: string): Array<[string, string]> {
  assert.match(text, /^([0-9a-f]+: -?\d+\n)*$/, `hash output: ${JSON.stringify(text)}`);
  return text.split('\n').filter((l) => l !== '').map((l) => l.split(': ') as [string, string]);
}

function http(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

function adminPortOf(server: TszkServer): number {
  const match = /Started AdminServer on address 127\.0\.0\.1, port (\d+)/.exec(server.output());
  assert.ok(match !== null, 'admin server started');
  return Number(match[1]);
}

let reference: ReferenceZooKeeper | undefined;
let referenceHash = '';

test('tszk recovering ZooKeeper\'s data dir answers `hash` byte for byte as ZooKeeper', { skip, timeout: 180_000 }, async () => {
  reference = await startReferenceZooKeeper();
  stops.push(() => reference!.stop());
  await operations(reference.port);
  referenceHash = await fourLetterWord(reference.host, reference.port, 'hash');
  const lines = hashLines(referenceHash);
  assert.deepEqual(lines.map(([zxid]) => zxid), ['80', '100', '180']);
  assert.equal(new Set(lines.map(([, digest]) => digest)).size, 3, 'the digest moves');

  const dataDir = await mkdtemp(join(tmpdir(), 'tszk-digest-migrated-'));
  stops.push(() => rm(dataDir, { recursive: true, force: true }));
  await cp(join(reference.dataDir, 'version-2'), join(dataDir, 'version-2'), { recursive: true });
  const migrated = await startTszk({ dataDir, config: ADMIN });
  stops.push(() => migrated.stop());
  assert.equal(await fourLetterWord(migrated.host, migrated.port, 'hash'), referenceHash);
  const srvrZxid = (text: string): string | undefined => /Zxid: (0x[0-9a-f]+)/.exec(text)?.[1];
  assert.equal(srvrZxid(await fourLetterWord(migrated.host, migrated.port, 'srvr')), srvrZxid(await fourLetterWord(reference.host, reference.port, 'srvr')));

  // The admin command: Jackson's layout of DataTree.ZxidDigest, the same values.
  const answer = await http(adminPortOf(migrated), '/commands/hash');
  assert.equal(answer.status, 200);
  const expected = lines.map(([zxid, digest]) => `{\n    "zxid" : ${BigInt(`0x${zxid}`)},\n    "digest" : ${digest},\n    "digest_version" : 2\n  }`).join(', ');
  assert.equal(answer.body, `{\n  "digests" : [ ${expected} ],\n  "command" : "hash",\n  "error" : null\n}`);
});

test('run live, tszk lists the zxids ZooKeeper lists; a restart from snapshot + log recomputes the digests', { skip, timeout: 180_000 }, async () => {
  assert.notEqual(referenceHash, '', 'the reference run happened');
  const dataDir = await mkdtemp(join(tmpdir(), 'tszk-digest-live-'));
  stops.push(() => rm(dataDir, { recursive: true, force: true }));
  const live = await startTszk({ dataDir, config: ADMIN });
  let liveStopped = false;
  stops.push(() => (liveStopped ? Promise.resolve() : live.stop()));
  let snapshotZxid = -1n;
  await operations(live.port, async () => {
    const taken = await http(adminPortOf(live), '/commands/snapshot?streaming=false', { Authorization: 'digest super:test' });
    assert.equal(taken.status, 200, taken.body);
    snapshotZxid = BigInt(String(taken.headers.last_zxid));
  });
  const before = await fourLetterWord(live.host, live.port, 'hash');
  const beforeLines = hashLines(before);
  assert.deepEqual(beforeLines.map(([zxid]) => zxid), hashLines(referenceHash).map(([zxid]) => zxid), 'same zxids as ZooKeeper');
  assert.ok(snapshotZxid > 0x80n && snapshotZxid < 0x100n, `snapshot at 0x${snapshotZxid.toString(16)}`);

  await live.stop();
  liveStopped = true;
  const restarted = await startTszk({ dataDir, config: ADMIN });
  stops.push(() => restarted.stop());
  const recovered = /recovered .* \(snapshot (0x[0-9a-f]+), (\d+) txns replayed\)/.exec(restarted.output());
  assert.ok(recovered !== null, restarted.output());
  assert.equal(BigInt(recovered[1]!), snapshotZxid, 'recovery started from the admin snapshot');
  assert.ok(Number(recovered[2]) > 0x100 - Number(snapshotZxid));
  // As in ZooKeeper, the history after a restart holds what replaying the log recorded.
  const after = hashLines(await fourLetterWord(restarted.host, restarted.port, 'hash'));
  assert.deepEqual(after, beforeLines.filter(([zxid]) => BigInt(`0x${zxid}`) > snapshotZxid));
  assert.deepEqual(after.map(([zxid]) => zxid), ['100', '180']);
});
