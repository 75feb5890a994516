/**
 * Records the kazoo baseline: runs kazoo's suite against a fresh real ZooKeeper 3.8 standalone
 * (super:test, every 4lw allowed, SASL digest users) and writes the per-test outcomes to test/compat/kazoo_expected.json.
 * With --ensemble, kazoo's own harness runs a 3-server ZooKeeper 3.8 ensemble from the Debian
 * jars instead (stopping and restarting members for the tests that do) and the outcomes go to
 * test/compat/kazoo_expected_ensemble.json.
 *
 *   node dist/test/support/run-kazoo-baseline.js [--ensemble] [--out FILE] [--raw FILE] [pytest args...]
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePortOffset, runKazooSuite } from '../compat/kazoo-runner.js';
import { startReferenceZooKeeper } from './zk-reference.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const args = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1] ?? fallback;
  args.splice(i, 2);
  return value;
}
const ensembleAt = args.indexOf('--ensemble');
const ensemble = ensembleAt >= 0;
if (ensemble) args.splice(ensembleAt, 1);
const out = option('--out', join(root, 'test', 'compat', ensemble ? 'kazoo_expected_ensemble.json' : 'kazoo_expected.json'));
const rawOut = option('--raw', '');

/** Previous flaky list (judged by hand over several runs) is kept. */
async function record(result: Awaited<ReturnType<typeof runKazooSuite>>, started: number, what: string): Promise<void> {
  const { passed, failed, skipped } = result;
  const previous = existsSync(out) ? (JSON.parse(await readFile(out, 'utf8')) as { flaky?: string[] }) : {};
  const flaky = previous.flaky ?? [];
  await writeFile(out, JSON.stringify({ passed, failed, skipped, flaky }, null, 2) + '\n');
  if (rawOut) await writeFile(rawOut, result.raw);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`kazoo vs ${what}: ${passed.length} passed, ${failed.length} failed, ${skipped.length} skipped in ${seconds} s` +
    (result.timedOut ? ' (TIMED OUT)' : ''));
  for (const id of failed) console.log(`  failed: ${id}`);
}

if (ensemble) {
  // kazoo's harness starts, stops and removes the JVMs itself (pytest's process group is killed on a timeout).
  const started = Date.now();
  const result = await runKazooSuite({ server: 'zookeeper', size: 3, portOffset: await freePortOffset(3) },
    { shimDir: join(root, 'test', 'compat'), extraArgs: args });
  await record(result, started, 'a 3-server ZooKeeper 3.8.0 ensemble');
  process.exit(0);
}

// Configured like kazoo's own harness: super:test, every 4lw, SASL digest users.
const zk = await startReferenceZooKeeper({ sasl: true });
const stopOnSignal = () => void zk.stop().finally(() => process.exit(130));
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);
try {
  const started = Date.now();
  const result = await runKazooSuite(`${zk.host}:${zk.port}`, { extraArgs: args });
  await record(result, started, 'ZooKeeper 3.8.0');
} finally {
  await zk.stop();
}
