// Proves the server log: ZooKeeper's logback line layout, level filtering, and a file that rolls by size keeping a bounded number of old files (name.1 ... name.N), without losing or splitting lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerLogger, formatLogLine, logTimestamp } from '../../src/runtime/logger.js';

const FIXED = new Date(2026, 10, 23, 19, 43, 36, 123).getTime();

test('lines have logback\'s layout: timestamp, myid, padded level, component, message', () => {
  assert.equal(logTimestamp(FIXED), '2026-11-23 19:43:36,123');
  assert.equal(formatLogLine(FIXED, '3', 'INFO', 'session', 'Established session 0x1'), '2026-11-23 19:43:36,123 [myid:3] - INFO  [session] - Established session 0x1\n');
  assert.equal(formatLogLine(FIXED, '', 'WARN', 'txnlog', 'slow'), '2026-11-23 19:43:36,123 [myid:] - WARN  [txnlog] - slow\n');
});

test('the file keeps lines at or above the threshold', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tszk-log-'));
  try {
    const logger = new ServerLogger({ level: 'WARN', console: false, file: { dir, name: 'zk.log', maxFileBytes: 1 << 20, maxBackupIndex: 2 }, nowMs: () => FIXED });
    logger.log('DEBUG', 'debug line');
    logger.log('INFO', 'info line');
    logger.log('WARN', 'warn line', 'txnlog');
    logger.log('ERROR', 'error line');
    logger.close();
    assert.equal(readFileSync(join(dir, 'zk.log'), 'utf8'), '2026-11-23 19:43:36,123 [myid:] - WARN  [txnlog] - warn line\n2026-11-23 19:43:36,123 [myid:] - ERROR [main] - error line\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the file rolls by size and keeps at most maxBackupIndex old files, every line whole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tszk-log-'));
  try {
    const lineBytes = formatLogLine(FIXED, '', 'INFO', 'main', 'message 000').length;
    const logger = new ServerLogger({ level: 'INFO', console: false, file: { dir, name: 'zk.log', maxFileBytes: lineBytes * 3, maxBackupIndex: 2 }, nowMs: () => FIXED });
    assert.equal(logger.filePath, join(dir, 'zk.log'));
    for (let i = 0; i < 20; i++) logger.log('INFO', `message ${String(i).padStart(3, '0')}`);
    logger.close();
    assert.deepEqual(readdirSync(dir).sort(), ['zk.log', 'zk.log.1', 'zk.log.2']);
    const read = (name: string): string[] => readFileSync(join(dir, name), 'utf8').trimEnd().split('\n').map((l) => l.slice(-3));
    assert.deepEqual(read('zk.log'), ['018', '019']);
    assert.deepEqual(read('zk.log.1'), ['015', '016', '017']);
    assert.deepEqual(read('zk.log.2'), ['012', '013', '014']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an existing file is appended to and counts toward the size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tszk-log-'));
  try {
    const options = { level: 'INFO' as const, console: false, file: { dir, name: 'zk.log', maxFileBytes: 200, maxBackupIndex: 1 }, nowMs: () => FIXED };
    const first = new ServerLogger(options);
    first.log('INFO', 'x'.repeat(100));
    first.close();
    const second = new ServerLogger(options);
    second.log('INFO', 'y'.repeat(100));
    second.close();
    assert.ok(existsSync(join(dir, 'zk.log.1')), 'the second line did not fit: the file rolled');
    assert.match(readFileSync(join(dir, 'zk.log.1'), 'utf8'), /x{100}/);
    assert.match(readFileSync(join(dir, 'zk.log'), 'utf8'), /y{100}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a log directory that cannot be created is reported and the server keeps logging to the console', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tszk-log-'));
  try {
    const blocker = join(dir, 'file');
    new ServerLogger({ level: 'INFO', console: false, file: { dir, name: 'file', maxFileBytes: 10, maxBackupIndex: 0 } }).close();
    const logger = new ServerLogger({ level: 'ERROR', console: false, file: { dir: join(blocker, 'sub'), name: 'zk.log', maxFileBytes: 10, maxBackupIndex: 0 } });
    assert.equal(logger.filePath, undefined);
    logger.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
