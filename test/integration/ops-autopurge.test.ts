// Proves autopurge: with autopurge.purgeInterval set, the server purges at start (and then every interval), keeping autopurge.snapRetainCount snapshots and the logs they need, so that the data recovers whole after another restart; with the default interval 0 nothing is removed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../src/main/client.js';
import { startTszk } from '../support/tszk-server.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tszk-ops-purge-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const snapshots = (): string[] => readdirSync(join(dataDir, 'version-2')).filter((f) => /^snapshot\.[0-9a-f]+$/.test(f));
const logs = (): string[] => readdirSync(join(dataDir, 'version-2')).filter((f) => f.startsWith('log.'));

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('autopurge keeps snapRetainCount snapshots and what they need; the data survives', async () => {
  const first = await startTszk({ dataDir, config: { snapCount: '2' } });
  try {
    const zk = createClient(`${first.host}:${first.port}`, { sessionTimeoutMs: 10_000 });
    await zk.connect();
    for (let i = 0; i < 40; i++) await zk.create(`/n${i}`, String(i));
    await zk.close();
    await waitFor('several snapshots', () => snapshots().length >= 6);
  } finally {
    await first.stop();
  }
  const before = snapshots().length;
  const logsBefore = logs().length;

  // The default (purgeInterval=0) removes nothing.
  const idle = await startTszk({ dataDir, config: { snapCount: '100000' } });
  await idle.stop();
  assert.equal(snapshots().length, before);
  assert.match(idle.output(), /Purge task is not scheduled\./);

  const purging = await startTszk({ dataDir, config: { snapCount: '100000', 'autopurge.purgeInterval': '1', 'autopurge.snapRetainCount': '3' } });
  try {
    await waitFor('the purge at start', () => /Purge task completed: \d+ files removed, 3 snapshots kept\./.test(purging.output()));
    assert.match(purging.output(), /autopurge\.snapRetainCount set to 3/);
    assert.match(purging.output(), /autopurge\.purgeInterval set to 1/);
    assert.match(purging.output(), /INFO  \[purge\] - Removing file: .*version-2\/snapshot\./);
  } finally {
    await purging.stop();
  }
  assert.equal(snapshots().length, 3, `kept 3 of ${before}: ${snapshots().join(', ')}`);
  assert.ok(logs().length <= logsBefore);

  const check = await startTszk({ dataDir });
  try {
    const zk = createClient(`${check.host}:${check.port}`, { sessionTimeoutMs: 10_000 });
    await zk.connect();
    for (let i = 0; i < 40; i++) assert.equal(String((await zk.getData(`/n${i}`)).data), String(i));
    await zk.close();
  } finally {
    await check.stop();
  }
});
