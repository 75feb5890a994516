// Proves snapshot-dump and txnlog-dump print byte for byte what ZooKeeper 3.8's SnapshotFormatter (plain, -d, -json) and TxnLogToolkit printed on the same files (TZ=UTC), exit codes included, for two dataDirs written by real ZooKeeper and for crafted broken logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDataToolWith } from '../../src/cli/data-tools.js';

// The goldens were printed with TZ=UTC; Node re-reads TZ when it is assigned.
process.env.TZ = 'UTC';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures');
const TOOLS = join(FIXTURES, 'data-tools');
const GOLDEN = join(TOOLS, 'golden');

interface Run {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

async function run(command: string, argv: string[], nowMs = 0): Promise<Run> {
  const out: string[] = [];
  let stderr = '';
  const code = await runDataToolWith(command, argv, {
    stdout: async (text) => void out.push(text),
    stdoutIsTTY: false,
    stderr: { isTTY: false, columns: 80, write: (text) => void (stderr += text) },
    nowMs: () => nowMs,
    cwd: '/',
  });
  return { code, stdout: Buffer.from(out.join(''), 'utf8'), stderr };
}

/** Byte comparison with a readable first difference. */
function assertSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return;
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  const context = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, at - 80), at + 80).toString('utf8'));
  assert.fail(`${what}: first difference at byte ${at} of ${expected.length}\n  ours: ${context(actual)}\n  java: ${context(expected)}`);
}

/** SnapshotFormatter -json prints the wall clock; running ours at the golden's instant makes it comparable. */
function goldenTimestamp(json: Buffer): number {
  const match = /"timestamp":(\d+)/.exec(json.toString('utf8'));
  assert.ok(match, 'golden JSON has a timestamp');
  return Number(match[1]);
}

async function checkSnapshot(file: string, goldenPrefix: string): Promise<void> {
  const plain = await run('snapshot-dump', [file]);
  assert.equal(plain.code, 0, plain.stderr);
  assertSameBytes(plain.stdout, await readFile(`${goldenPrefix}.txt`), `${file}`);
  const data = await run('snapshot-dump', ['-d', file]);
  assert.equal(data.code, 0, data.stderr);
  assertSameBytes(data.stdout, await readFile(`${goldenPrefix}.d.txt`), `-d ${file}`);
  const goldenJson = await readFile(`${goldenPrefix}.json`);
  const json = await run('snapshot-dump', ['-json', file], goldenTimestamp(goldenJson));
  assert.equal(json.code, 0, json.stderr);
  assertSameBytes(json.stdout, goldenJson, `-json ${file}`);
  assert.equal(plain.stderr + data.stderr + json.stderr, '', 'valid snapshots draw no warning');
}

async function checkLog(file: string, golden: string): Promise<void> {
  const result = await run('txnlog-dump', [file]);
  assert.equal(result.code, 0, result.stderr);
  assertSameBytes(result.stdout, await readFile(golden), file);
}

test('snapshots with escapes, hash collisions (tree bins), binary data and 24 sessions dump as SnapshotFormatter does', async () => {
  const dir = join(TOOLS, 'data', 'version-2');
  const snapshots = (await readdir(dir)).filter((name) => name.startsWith('snapshot.'));
  assert.ok(snapshots.length >= 2);
  for (const name of snapshots) await checkSnapshot(join(dir, name), join(GOLDEN, name));
});

test('txn logs with every txn type, multi, failed multi, invalid UTF-8 and zero padding dump as TxnLogToolkit does', async () => {
  const dir = join(TOOLS, 'data', 'version-2');
  const logs = (await readdir(dir)).filter((name) => name.startsWith('log.'));
  assert.ok(logs.length >= 2);
  for (const name of logs) await checkLog(join(dir, name), join(GOLDEN, `${name}.txt`));
});

test('the zk-3.8-datadir fixture (separate dataLogDir, fuzzy snapshots) dumps as the Java tools do', async () => {
  const base = join(FIXTURES, 'zk-3.8-datadir');
  let files = 0;
  for (const sub of ['data', 'datalog']) {
    const dir = join(base, sub, 'version-2');
    for (const name of await readdir(dir)) {
      const prefix = join(GOLDEN, `zk-3.8-datadir-${name}`);
      if (name.startsWith('snapshot.')) await checkSnapshot(join(dir, name), prefix);
      else await checkLog(join(dir, name), `${prefix}.txt`);
      files++;
    }
  }
  assert.ok(files >= 10);
});

test('broken logs end where TxnLogToolkit ends, with its exit code and message', async () => {
  const messages: Record<string, RegExp> = {
    'bad-magic': /^Invalid magic number for bad-magic\.txnlog$/m,
    partial: /^Last transaction was partial\.$/m,
    'cut-after-payload': /EOFException/,
    'unsupported-type': /Unsupported Txn with type=%d13/,
  };
  const dir = join(TOOLS, 'crafted');
  const names = (await readdir(dir)).map((name) => name.replace(/\.txnlog$/, ''));
  assert.ok(names.length >= 7);
  for (const name of names) {
    const result = await run('txnlog-dump', [join(dir, `${name}.txnlog`)]);
    assertSameBytes(result.stdout, await readFile(join(GOLDEN, `crafted-${name}.txt`)), name);
    assert.equal(result.code, Number((await readFile(join(GOLDEN, `crafted-${name}.exit`), 'utf8')).trim()), `${name} exit code`);
    const message = messages[name];
    if (message !== undefined) assert.match(result.stderr, message, name);
    else assert.equal(result.stderr, '', name);
  }
});
