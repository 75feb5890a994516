// Proves zkCli sessions are reproducible and comparable: a scripted session (create -s -e, get -s,
// set -v, ls, stat, delete, deleteall, getAcl/setAcl, addauth, watches) gives the same normalised
// transcript on two fresh real ZooKeeper 3.8 servers, tszk's zk-cli prints exactly what Java's
// zkCli.sh prints, (when a tszk server is available) tszk answers zkCli like ZooKeeper does, and
// one-shot commands (`zk-cli -server h:p cmd args`) exit with zkCli.sh's statuses, --json or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { referenceZooKeeperAvailable, startReferenceZooKeeper, type ReferenceZooKeeper } from '../support/zk-reference.js';
import { runZkCliSession, TSZK_CLI, ZKCLI_SH } from './zkcli-session.js';
import { tszkForComparison } from '../support/tszk-server.js';

const zkCliMissing = !referenceZooKeeperAvailable() || !existsSync(ZKCLI_SH);
const skip = zkCliMissing ? 'reference ZooKeeper 3.8 / zkCli.sh not installed (scripts/install-compat-deps.sh)' : false;

async function withReference<T>(action: (zk: ReferenceZooKeeper) => Promise<T>): Promise<T> {
  const zk = await startReferenceZooKeeper();
  try {
    return await action(zk);
  } finally {
    await zk.stop();
  }
}

let referenceTranscript: string | undefined;

test('the normalised zkCli transcript is identical on two fresh ZooKeeper servers', { skip }, async () => {
  const first = await withReference((zk) => runZkCliSession(zk.host, zk.port));
  const second = await withReference((zk) => runZkCliSession(zk.host, zk.port));
  assert.equal(second, first);
  referenceTranscript = first;
  for (const expected of [
    '  err: Created /zkcli/p/seq-0000000000',
    '  err: Created /zkcli/p/es-0000000002',
    '  err: Node does not exist: /zkcli/none',
    '  err: version No is not valid : /zkcli/p',
    '  err: Insufficient permission : /zkcli/p',
    '  err: Acl is not valid : /zkcli/private',
    '  out: digest: alice',
    "  out: 'world,'anyone",
    '  out: ephemeralOwner = 0x<session1>',
    '  WatchedEvent state:SyncConnected type:NodeDataChanged path:/zkcli/w',
    '  WatchedEvent state:SyncConnected type:PersistentWatchRemoved path:/zkcli/w',
    '  err: Command not found: Command not found bogus',
    '[exit status] 1',
  ]) {
    assert.ok(first.includes(expected + '\n'), `transcript lacks ${JSON.stringify(expected)}:\n${first}`);
  }
});

test("tszk's zk-cli prints exactly what zkCli.sh prints", { skip }, async () => {
  const java = referenceTranscript ?? (await withReference((zk) => runZkCliSession(zk.host, zk.port)));
  const tszk = await withReference((zk) => runZkCliSession(zk.host, zk.port, { cli: 'tszk' }));
  assert.equal(tszk, java);
});

test('zkCli against a tszk server matches zkCli against ZooKeeper', { skip }, async () => {
  const server = await tszkForComparison();
  try {
    const java = referenceTranscript ?? (await withReference((zk) => runZkCliSession(zk.host, zk.port)));
    assert.equal(await runZkCliSession(server.host, server.port), java);
  } finally {
    await server.stop();
  }
});

/** One-shot commands covering success, server errors, usage, parse and fatal errors, unknown commands. */
const ONE_SHOT_COMMANDS: readonly string[][] = [
  ['ls', '/'],
  ['get', '/missing'],
  ['bogus'],
  ['get'],
  ['create', '/zookeeper'],
  ['set', '-v', 'abc', '/zookeeper', 'x'],
  ['sync', '/missing'],
  ['delete', '/zookeeper'],
  ['ls', '-x', '/'],
  ['getAcl', 'bad'],
];

test('one-shot commands exit with zkCli.sh statuses, with and without --json', { skip }, async () => {
  await withReference(async (zk) => {
    const server = ['-server', `${zk.host}:${zk.port}`];
    const run = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 }).status;
    for (const command of ONE_SHOT_COMMANDS) {
      const java = run(ZKCLI_SH, [...server, ...command]);
      assert.equal(run(process.execPath, [TSZK_CLI, ...server, ...command]), java, `${command.join(' ')}`);
      assert.equal(run(process.execPath, [TSZK_CLI, '--json', ...server, ...command]), java, `--json ${command.join(' ')}`);
    }
  });
});
