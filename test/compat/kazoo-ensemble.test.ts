// Proves kazoo (Debian python3-kazoo 2.8.0) cannot tell a 3-server tszk ensemble from a 3-server
// ZooKeeper 3.8.0 ensemble: kazoo's own test suite, with kazoo's own harness running the cluster
// (ZookeeperCluster; each member a `node dist/src/cli/zk-server.js start-foreground` process
// through the shim's ManagedTszk, stopped with SIGTERM and restarted with its data by the tests
// that stop servers), passes every test that passes against the ZooKeeper ensemble
// (recorded in kazoo_expected_ensemble.json, see kazoo-baseline.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAZOO_TESTS_DIR, TSZK_SERVER_SCRIPT, failureDetails, freePortOffset, runKazooSuite } from './kazoo-runner.js';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, '..', '..', '..', 'test', 'compat');
const expected = JSON.parse(readFileSync(join(sourceDir, 'kazoo_expected_ensemble.json'), 'utf8')) as { passed: string[]; flaky?: string[] };

/** Tests that pass on the ZooKeeper ensemble but need what tszk does not offer yet, each with its reason (none now). */
const NOT_SUPPORTED: Record<string, string> = {};

const skip = !existsSync(KAZOO_TESTS_DIR)
  ? 'kazoo is not installed (scripts/install-compat-deps.sh)'
  : !existsSync(TSZK_SERVER_SCRIPT) ? `${TSZK_SERVER_SCRIPT} is not built` : false;

test("kazoo's suite passes against a 3-server tszk ensemble wherever it passes against a ZooKeeper 3.8 ensemble", { skip, timeout: 30 * 60_000 }, async () => {
  const result = await runKazooSuite({ server: 'tszk', size: 3, portOffset: await freePortOffset(3) }, { shimDir: sourceDir, timeoutMs: 25 * 60_000 });
  const passed = new Set(result.passed);
  const flaky = new Set(expected.flaky ?? []);
  const missing = expected.passed.filter((id) => !passed.has(id) && !(id in NOT_SUPPORTED) && !flaky.has(id));
  console.log(`kazoo against a tszk ensemble: ${result.passed.length} passed, ${result.failed.length} failed, ${result.skipped.length} skipped`);
  assert.equal(result.timedOut, false, `the kazoo run hit its time bound\n\n${result.raw.slice(-6000)}`);
  assert.deepEqual(missing, [], `tests that pass on the ZooKeeper ensemble but not on tszk's:\n${missing.join('\n')}\n\n${failureDetails(result.raw, missing)}`);
  assert.ok(result.passed.length >= expected.passed.length - Object.keys(NOT_SUPPORTED).length - flaky.size);
});
