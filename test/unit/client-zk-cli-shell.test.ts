// Proves zk-cli's shell pieces without a server: Tab completion (command names; znode paths from
// the children of the typed parent, sorted, bounded, nothing on failure), the --json documents
// (stat with 64-bit fields as decimal strings, UTF-8 or base64 data, ACLs, events, errors) and
// the persistent history file (location, bounded size, no duplicates, no addauth secrets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeLine, COMPLETIONS_MAX, currentWord, splitZnodePath } from '../../src/cli/zk-cli-complete.js';
import { aclJson, dataJson, errorJson, eventJson, jsonLine, statJson } from '../../src/cli/zk-cli-json.js';
import { HistoryFile, historyFilePath, isPrivateLine } from '../../src/cli/zk-cli-history.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';

const COMMANDS = ['ls', 'get', 'getAcl', 'getAllChildrenNumber', 'getEphemerals', 'set', 'setAcl', 'stat', 'quit'];

function tree(nodes: Record<string, string[]>) {
  const asked: string[] = [];
  const list = async (path: string) => {
    asked.push(path);
    const children = nodes[path];
    if (children === undefined) throw new KeeperError(ErrorCode.NONODE, path);
    return children;
  };
  return { asked, list };
}

test('completion: the first word completes to command names, sorted', async () => {
  const { asked, list } = tree({});
  assert.deepEqual(await completeLine('get', COMMANDS, list), [['get', 'getAcl', 'getAllChildrenNumber', 'getEphemerals'], 'get']);
  assert.deepEqual(await completeLine('  se', COMMANDS, list), [['set', 'setAcl'], 'se']);
  assert.deepEqual(await completeLine('', COMMANDS, list), [[...COMMANDS].sort(), '']);
  assert.deepEqual(await completeLine('nope', COMMANDS, list), [[], 'nope']);
  assert.deepEqual(asked, [], 'command words never ask the server');
});

test('completion: a path word completes to the children of its parent, as full paths', async () => {
  const { asked, list } = tree({ '/': ['zookeeper', 'app', 'apps'], '/app': ['b', 'a', 'config'], '/app/a': [] });
  assert.deepEqual(await completeLine('ls /ap', COMMANDS, list), [['/app', '/apps'], '/ap']);
  assert.deepEqual(await completeLine('get -s /app/', COMMANDS, list), [['/app/a', '/app/b', '/app/config'], '/app/']);
  assert.deepEqual(await completeLine('get /app/c', COMMANDS, list), [['/app/config'], '/app/c']);
  assert.deepEqual(await completeLine('ls /', COMMANDS, list), [['/app', '/apps', '/zookeeper'], '/']);
  assert.deepEqual(asked, ['/', '/app', '/app', '/']);
  assert.deepEqual(await completeLine('ls /missing/x', COMMANDS, list), [[], '/missing/x'], 'a failing getChildren offers nothing');
  assert.deepEqual(await completeLine('get -', COMMANDS, list), [[], '-'], 'options are not completed');
  assert.deepEqual(await completeLine('set /app/a da', COMMANDS, list), [[], 'da'], 'data words are not completed');
});

test('completion: a huge parent offers at most COMPLETIONS_MAX candidates', async () => {
  const children = Array.from({ length: COMPLETIONS_MAX + 50 }, (_, i) => `n${String(i).padStart(5, '0')}`);
  const [hits] = await completeLine('ls /big/n', COMMANDS, async () => children);
  assert.equal(hits.length, COMPLETIONS_MAX);
  assert.equal(hits[0], '/big/n00000');
});

test('completion helpers: the word under the cursor and the parent of a partial path', () => {
  assert.deepEqual(currentWord('ls -s /a/b'), { word: '/a/b', isCommand: false });
  assert.deepEqual(currentWord('ls'), { word: 'ls', isCommand: true });
  assert.deepEqual(currentWord('ls '), { word: '', isCommand: false });
  assert.deepEqual(splitZnodePath('/a/b/pre'), { parent: '/a/b', prefix: 'pre' });
  assert.deepEqual(splitZnodePath('/pre'), { parent: '/', prefix: 'pre' });
  assert.deepEqual(splitZnodePath('/'), { parent: '/', prefix: '' });
});

test('--json: stat fields, 64-bit ones as exact decimal strings', () => {
  const doc = statJson({
    czxid: 0x1_0000_0001n,
    mzxid: 2n ** 62n + 1n,
    ctime: 1_700_000_000_123n,
    mtime: 1_700_000_000_456n,
    version: 3,
    cversion: -1,
    aversion: 0,
    ephemeralOwner: -0x8000_0000_0000_0000n,
    dataLength: 5,
    numChildren: 2,
    pzxid: 7n,
  });
  assert.deepEqual(JSON.parse(jsonLine(doc)), {
    czxid: '4294967297',
    mzxid: '4611686018427387905',
    ctime: '1700000000123',
    mtime: '1700000000456',
    version: 3,
    cversion: -1,
    aversion: 0,
    ephemeralOwner: '-9223372036854775808',
    dataLength: 5,
    numChildren: 2,
    pzxid: '7',
  });
});

test('--json: data is UTF-8 text when it is valid UTF-8, base64 otherwise; null stays null', () => {
  assert.deepEqual(dataJson(Buffer.from('héllo ✓', 'utf8')), { data: 'héllo ✓', encoding: 'utf8' });
  assert.deepEqual(dataJson(Buffer.from([0xff, 0x00, 0x80])), { data: '/wCA', encoding: 'base64' });
  assert.deepEqual(dataJson(Buffer.alloc(0)), { data: '', encoding: 'utf8' });
  assert.deepEqual(dataJson(null), { data: null, encoding: 'utf8' });
  const binary = Buffer.from([0xc3, 0x28]);
  assert.deepEqual(Buffer.from(dataJson(binary).data!, 'base64'), binary, 'base64 round-trips');
});

test('--json: ACLs, events and errors; each document is one line that JSON.parse reads back', () => {
  assert.deepEqual(aclJson({ perms: 31, id: { scheme: 'world', id: 'anyone' } }), { scheme: 'world', id: 'anyone', perms: 'cdrwa', permsMask: 31 });
  assert.deepEqual(eventJson({ type: 3, state: 3, path: '/a' }), { event: { type: 'NodeDataChanged', state: 'SyncConnected', path: '/a' } });
  assert.deepEqual(errorJson('NONODE', 'Node does not exist: /a'), { error: { code: 'NONODE', message: 'Node does not exist: /a' } });
  assert.deepEqual(errorJson('USAGE', 'get path', ['careful']), { error: { code: 'USAGE', message: 'get path' }, warnings: ['careful'] });
  const line = jsonLine({ path: '/a', n: 1n, text: 'two\nlines' });
  assert.equal(line.split('\n').length, 2, 'exactly one line plus its newline');
  assert.deepEqual(JSON.parse(line), { path: '/a', n: '1', text: 'two\nlines' });
});

test('history file: $ZK_CLI_HISTORY or ~/.zk_cli_history; empty turns it off', () => {
  assert.equal(historyFilePath({}, '/home/u'), '/home/u/.zk_cli_history');
  assert.equal(historyFilePath({ ZK_CLI_HISTORY: '/tmp/h' }, '/home/u'), '/tmp/h');
  assert.equal(historyFilePath({ ZK_CLI_HISTORY: '' }, '/home/u'), null);
  assert.equal(isPrivateLine('addauth digest u:secret'), true);
  assert.equal(isPrivateLine('   '), true);
  assert.equal(isPrivateLine('ls /'), false);
});

test('history file: appends, skips repeats and addauth, stays bounded across sessions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zk-cli-history-'));
  try {
    const path = join(dir, 'history');
    const first = new HistoryFile(path, 5);
    assert.deepEqual(first.load(), [], 'a missing file is an empty history');
    for (const line of ['ls /', 'ls /', 'addauth digest a:b', 'get /a', '', 'stat /a']) first.add(line);
    assert.equal(readFileSync(path, 'utf8'), 'ls /\nget /a\nstat /a\n');
    for (let i = 0; i < 20; i++) first.add(`get /n${i}`);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.ok(lines.length < 10, `bounded at twice the limit while running: ${lines.length}`);
    const second = new HistoryFile(path, 5);
    assert.deepEqual(second.load(), ['get /n15', 'get /n16', 'get /n17', 'get /n18', 'get /n19']);
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 5, 'cut back on load');
    const unwritable = new HistoryFile(join(dir, 'no', 'such', 'dir', 'h'));
    unwritable.add('ls /');
    assert.deepEqual(unwritable.load(), [], 'an unusable history is skipped, not an error');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
