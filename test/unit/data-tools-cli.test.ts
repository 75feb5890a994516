// Proves the data tools' command lines behave like ZooKeeper's (messages, exit codes, argument order), that purge keeps what PurgeTxnLog keeps and prints its lines, that gzip snapshots and broken seals are handled, and that the progress bar appears on a terminal's stderr only, rate-limited, never in the output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { OutputClosed, runDataToolWith } from '../../src/cli/data-tools.js';
import { ProgressBar } from '../../src/cli/data-tools-progress.js';
import { OpCode } from '../../src/proto/op-code.js';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import { writeSnapshot } from '../../src/storage/snapshot.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { createTxn } from './storage-test-helpers.js';

process.env.TZ = 'UTC';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures');
const TOOLS = join(FIXTURES, 'data-tools');
const SNAPSHOT = join(TOOLS, 'data', 'version-2', 'snapshot.f2');
const GOLDEN_TEXT = join(TOOLS, 'golden', 'snapshot.f2.txt');

interface RunOptions {
  nowMs?: () => number;
  stderrIsTTY?: boolean;
  stdoutIsTTY?: boolean;
  cwd?: string;
  stdout?: (text: string) => Promise<void>;
}

async function run(command: string, argv: string[], options: RunOptions = {}) {
  const out: string[] = [];
  let stderr = '';
  const code = await runDataToolWith(command, argv, {
    stdout: options.stdout ?? (async (text) => void out.push(text)),
    stdoutIsTTY: options.stdoutIsTTY ?? false,
    stderr: { isTTY: options.stderrIsTTY ?? false, columns: 100, write: (text) => void (stderr += text) },
    nowMs: options.nowMs ?? (() => 0),
    cwd: options.cwd ?? '/work',
  });
  return { code, stdout: out.join(''), stderr };
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tszk-data-tools-'));
}

test('snapshot-dump refuses bad invocations as SnapshotFormatter does (exit 2)', async () => {
  const usage = await run('snapshot-dump', []);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^USAGE: zk-server snapshot-dump \[-d\|-json\] snapshot_file\n {7}-d dump the data for each znode\n/);
  assert.equal(usage.stdout, '');
  assert.equal((await run('snapshot-dump', [SNAPSHOT, 'extra'])).code, 2, 'nothing may follow the file');
  assert.equal((await run('snapshot-dump', ['-d'])).code, 2);
  const missing = await run('snapshot-dump', ['no/such/snapshot.1'], { cwd: '/work/x' });
  assert.deepEqual([missing.code, missing.stderr], [2, "File '/work/x/no/such/snapshot.1' does not exist.\n"]);
  const directory = await run('snapshot-dump', [TOOLS]);
  assert.deepEqual([directory.code, directory.stderr], [2, `'${TOOLS}' is a directory. it must be a file.\n`]);
  const both = await run('snapshot-dump', ['-d', '-json', SNAPSHOT]);
  assert.deepEqual([both.code, both.stderr], [2, 'Cannot specify both data dump (-d) and json mode (-json) in same call\n']);
  const unknown = await run('frobnicate', []);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown data tool command: frobnicate/);
});

test('snapshot-dump reads .gz snapshots, and warns on stderr (only) about a broken seal', async () => {
  const dir = await tempDir();
  try {
    const bytes = await readFile(SNAPSHOT);
    await writeFile(join(dir, 'snapshot.f2.gz'), gzipSync(bytes));
    const golden = await readFile(GOLDEN_TEXT, 'utf8');
    const gz = await run('snapshot-dump', [join(dir, 'snapshot.f2.gz')]);
    assert.deepEqual([gz.code, gz.stderr], [0, '']);
    assert.equal(gz.stdout, golden);
    // A 3.8 snapshot ends: "/" (end of nodes), checksum, "/", digest (zxid, version, value), checksum, "/".
    const broken = Buffer.from(bytes);
    const endOfNodes = broken.length - (5 + 8 + 5 + 20 + 8 + 5);
    assert.deepEqual([...broken.subarray(endOfNodes, endOfNodes + 5)], [0, 0, 0, 1, 0x2f]);
    broken[endOfNodes + 5 + 7] = broken[endOfNodes + 5 + 7]! ^ 0xff;
    await writeFile(join(dir, 'snapshot.f2'), broken);
    const sealed = await run('snapshot-dump', [join(dir, 'snapshot.f2')]);
    assert.equal(sealed.code, 0);
    assert.equal(sealed.stdout, golden, 'stdout stays what SnapshotFormatter (which never checks) prints');
    assert.match(sealed.stderr, /^warning: .*snapshot\.f2: checksum mismatch/);
    await writeFile(join(dir, 'snapshot.9'), Buffer.from('not a snapshot at all'));
    const garbage = await run('snapshot-dump', [join(dir, 'snapshot.9')]);
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /mismatching magic headers/);
    await writeFile(join(dir, 'snapshot.8.snappy'), bytes);
    assert.equal((await run('snapshot-dump', [join(dir, 'snapshot.8.snappy')])).code, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('txnlog-dump takes -d/--dump and -h like TxnLogToolkit, and names a missing file', async () => {
  const log = join(TOOLS, 'data', 'version-2', 'log.f3');
  const golden = await readFile(join(TOOLS, 'golden', 'log.f3.txt'), 'utf8');
  for (const argv of [[log], ['-d', log], ['--dump', log], [log, '-d']]) {
    const result = await run('txnlog-dump', argv);
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, golden, ''], argv.join(' '));
  }
  const help = await run('txnlog-dump', ['-h']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: zk-server txnlog-dump/);
  assert.equal((await run('txnlog-dump', [])).code, 1);
  const unknown = await run('txnlog-dump', ['-r', log]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^Unrecognized option: -r\n/);
  const missing = await run('txnlog-dump', ['/no//such/log.1/']);
  assert.deepEqual([missing.code, missing.stderr], [1, "File doesn't exist or not readable: /no/such/log.1\n"]);
});

test('a reader that goes away (| head) ends the dump quietly with 0', async () => {
  let writes = 0;
  const result = await run('snapshot-dump', ['-d', SNAPSHOT], {
    stdout: async () => {
      writes++;
      throw new OutputClosed();
    },
  });
  assert.deepEqual([result.code, result.stderr, writes], [0, '', 1]);
});

/** The zk-3.8-datadir fixture (logs in datalog/, snapshots in data/) copied, with every file's mtime at `mtimeSec`. */
async function purgeFixture(mtimeSec: number): Promise<{ root: string; data: string; datalog: string }> {
  const root = await tempDir();
  const data = join(root, 'data');
  const datalog = join(root, 'datalog');
  await cp(join(FIXTURES, 'zk-3.8-datadir', 'data'), data, { recursive: true });
  await cp(join(FIXTURES, 'zk-3.8-datadir', 'datalog'), datalog, { recursive: true });
  for (const dir of [data, datalog]) {
    for (const name of await readdir(join(dir, 'version-2'))) await utimes(join(dir, 'version-2', name), mtimeSec, mtimeSec);
  }
  return { root, data, datalog };
}

test('purge dataLogDir snapDir -n 3 keeps the 3 newest snapshots and the logs they need, printing each removal', async () => {
  const { root, data, datalog } = await purgeFixture(1_700_000_000);
  try {
    const result = await run('purge', [`${datalog}/`, data, '-n', '3']);
    assert.deepEqual([result.code, result.stderr], [0, '']);
    const when = 'Nov 14, 2023, 10:13:20 PM';
    assert.equal(
      result.stdout,
      [
        `Removing file: ${when}\t${datalog}/version-2/log.1\n`,
        `Removing file: ${when}\t${datalog}/version-2/log.a\n`,
        `Removing file: ${when}\t${data}/version-2/snapshot.0\n`,
        `Removing file: ${when}\t${data}/version-2/snapshot.9\n`,
        `Removing file: ${when}\t${data}/version-2/snapshot.f\n`,
      ].join(''),
    );
    // log.11 stays: it holds the txns right after snapshot.17, the oldest snapshot kept.
    assert.deepEqual((await readdir(join(datalog, 'version-2'))).sort(), ['log.11', 'log.19', 'log.21', 'log.28']);
    assert.deepEqual((await readdir(join(data, 'version-2'))).sort(), ['snapshot.17', 'snapshot.1f', 'snapshot.26']);
    const again = await run('purge', [datalog, data, '-n', '3']);
    assert.deepEqual([again.code, again.stdout], [0, ''], 'a second purge finds nothing to remove');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('purge refuses what PurgeTxnLog refuses, and swapped directories remove nothing', async () => {
  const { root, data, datalog } = await purgeFixture(1_700_000_000);
  try {
    const usage = /^Usage:\nzk-server purge dataLogDir \[snapDir\] -n count\n/;
    const few = await run('purge', [datalog, data, '-n', '2']);
    assert.deepEqual([few.code, few.stderr], [1, 'count should be greater than or equal to 3\n']);
    assert.match(few.stdout, usage);
    const word = await run('purge', [datalog, '-n', 'three']);
    assert.deepEqual([word.code, word.stderr], [1, "'three' can not be parsed to integer.\n"]);
    const missing = await run('purge', ['nowhere', '-n', '3'], { cwd: '/work' });
    assert.deepEqual([missing.code, missing.stderr], [1, "Path '/work/nowhere' does not exist. \n"]);
    assert.match((await run('purge', [datalog, data, '-x', '3'])).stdout, usage);
    assert.equal((await run('purge', [datalog, '3'])).code, 1);
    const swapped = await run('purge', [data, datalog, '-n', '3']);
    assert.equal(swapped.code, 1);
    assert.match(swapped.stderr, /^Log directory has snapshot files\. Check if dataLogDir and dataDir configuration is correct\./);
    assert.equal((await readdir(join(data, 'version-2'))).length, 6);
    assert.equal((await readdir(join(datalog, 'version-2'))).length, 6);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('purge with one directory holding both snapshots and logs', async () => {
  const { root, data, datalog } = await purgeFixture(0);
  try {
    for (const name of await readdir(join(datalog, 'version-2'))) await cp(join(datalog, 'version-2', name), join(data, 'version-2', name), { preserveTimestamps: true });
    const result = await run('purge', [data, '-n', '5']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `Removing file: Jan 1, 1970, 12:00:00 AM\t${data}/version-2/snapshot.0\n`);
    await mkdir(join(root, 'empty'));
    assert.deepEqual(await run('purge', [join(root, 'empty'), '-n', '3']).then((r) => [r.code, r.stdout]), [0, '']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

/** A tszk-written snapshot of `count` nodes under /big (10 parents of count/10 children). */
async function bigSnapshot(dir: string, count: number): Promise<string> {
  const tree = new DataTree();
  let zxid = 0n;
  const apply = (path: string) => {
    zxid++;
    tree.apply({ clientId: 0x1234n, cxid: 1, zxid, time: 1_700_000_000_000n, type: OpCode.create }, createTxn(path, `data ${zxid}`));
  };
  apply('/big');
  for (let p = 0; p < 10; p++) {
    apply(`/big/p${p}`);
    for (let c = 0; c < count / 10; c++) apply(`/big/p${p}/c${c}`);
  }
  const written = await writeSnapshot(new NodeFileSystem(), dir, tree.beginSnapshot(), [{ id: 0x1234n, timeoutMs: 4000 }], {
    yieldEvery: 10_000,
    yieldFn: async () => undefined,
  });
  return written.path;
}

test('a tszk-written snapshot dumps every node; the progress bar shows on a terminal stderr only, never in the output', async () => {
  const dir = await tempDir();
  try {
    const snapshot = await bigSnapshot(dir, 20_000);
    let clock = 0;
    const ticking = () => (clock += 40);
    const plain = await run('snapshot-dump', [snapshot]);
    assert.deepEqual([plain.code, plain.stderr], [0, '']);
    // 20,010 nodes under /big, /big, the root and /zookeeper{,/quota,/config}; the root counts twice.
    assert.ok(plain.stdout.startsWith('ZNode Details (count=20016):\n'));
    assert.equal(plain.stdout.match(/^\/big\/p\d\/c\d+$/gm)?.length, 20_000);
    const tail = plain.stdout.slice(-200);
    assert.ok(tail.endsWith('Session Details (sid, timeout, ephemeralCount):\n0x00000000001234, 4000, 0\n----\nLast zxid: 0x4e2b\n'), tail);
    const drawn = await run('snapshot-dump', [snapshot], { stderrIsTTY: true, nowMs: ticking });
    assert.equal(drawn.code, 0);
    assert.ok(drawn.stdout === plain.stdout, 'the output is untouched');
    assert.match(drawn.stderr, /\rloading snapshot \[#*\.*\] \d+% /);
    assert.match(drawn.stderr, /\rdumping nodes \[#*\.*\] \d+% /);
    assert.ok(drawn.stderr.endsWith('\r\x1b[K'), 'the bar is erased at the end');
    const toTerminal = await run('snapshot-dump', [snapshot], { stderrIsTTY: true, stdoutIsTTY: true, nowMs: ticking });
    assert.equal(toTerminal.stderr, '', 'no bar when the dump itself is on the terminal');
    const piped = await run('snapshot-dump', ['-json', snapshot], { nowMs: ticking });
    assert.equal(piped.stderr, '', 'no bar when stderr is not a terminal');
    const logBar = await run('txnlog-dump', [join(TOOLS, 'data', 'version-2', 'log.1')], { stderrIsTTY: true, nowMs: ticking });
    assert.match(logBar.stderr, /\rdumping txns \[/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ProgressBar redraws at most once per interval and shows counts', () => {
  let written = '';
  let now = 0;
  const terminal = { isTTY: true, columns: 60, write: (text: string) => void (written += text) };
  const bar = new ProgressBar(terminal, 'import', 1000, { nowMs: () => now, minIntervalMs: 100 });
  for (let i = 1; i <= 1000; i++) {
    now += 1;
    bar.update(i);
  }
  const draws = written.split('\r').filter((part) => part.startsWith('import')).length;
  assert.ok(draws >= 9 && draws <= 11, `about one draw per 100 ms over 1000 ms, got ${draws}`);
  assert.match(bar.render(), /^import \[#+\] 100% 1000\/1000$/);
  bar.finish();
  assert.ok(written.endsWith('\r\x1b[K'));
  let silent = '';
  const quiet = new ProgressBar({ isTTY: false, columns: 80, write: (text) => void (silent += text) }, 'x', 10, { nowMs: () => 0 });
  quiet.update(5);
  quiet.finish();
  assert.equal(silent, '');
  const unknownTotal = new ProgressBar(terminal, 'txns', 0, { nowMs: () => 0 });
  unknownTotal.update(12_345);
  assert.equal(unknownTotal.render(), 'txns 12.3k');
});
