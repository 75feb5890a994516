// Proves kazoo (Debian python3-kazoo 2.8.0) cannot tell tszk from ZooKeeper: its own test suite,
// run against a tszk server, passes every test that passes against real ZooKeeper 3.8.0
// (recorded in kazoo_expected.json), SASL DIGEST-MD5 included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAZOO_TESTS_DIR, runKazooSuite } from './kazoo-runner.js';
import { startTszk } from '../support/tszk-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, '..', '..', '..', 'test', 'compat');
const expected = JSON.parse(readFileSync(join(sourceDir, 'kazoo_expected.json'), 'utf8')) as { passed: string[]; flaky?: string[] };

/** Tests that pass on ZooKeeper but need what tszk does not offer yet, each with its reason (none now). */
const NOT_SUPPORTED: Record<string, string> = {};

const skip = existsSync(KAZOO_TESTS_DIR) ? false : 'kazoo is not installed (scripts/install-compat-deps.sh)';

test("kazoo's suite passes against tszk wherever it passes against ZooKeeper 3.8", { skip, timeout: 30 * 60_000 }, async () => {
  const server = await startTszk();
  try {
    const result = await runKazooSuite(`127.0.0.1:${server.port}`, { shimDir: sourceDir, timeoutMs: 25 * 60_000 });
    assert.equal(result.timedOut, false, 'the kazoo run hit its time bound');
    const passed = new Set(result.passed);
    const flaky = new Set(expected.flaky ?? []);
    const missing = expected.passed.filter((id) => !passed.has(id) && !(id in NOT_SUPPORTED) && !flaky.has(id));
    console.log(`kazoo against tszk: ${result.passed.length} passed, ${result.failed.length} failed, ${result.skipped.length} skipped`);
    assert.deepEqual(missing, [], `tests that pass on ZooKeeper but not on tszk:\n${missing.join('\n')}\n\n${result.raw.slice(-6000)}`);
    assert.ok(result.passed.length >= expected.passed.length - Object.keys(NOT_SUPPORTED).length - flaky.size);
  } finally {
    await server.stop();
  }
});
