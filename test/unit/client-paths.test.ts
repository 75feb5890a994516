// Proves the client's connect-string parsing (hosts, default port, IPv6, chroot) and its
// client-side path rules and chroot mapping match the Java client's, messages included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectString, formatHost, DEFAULT_PORT } from '../../src/client/connect-string.js';
import { InvalidArgumentError, prependChroot, stripChroot, validatePath } from '../../src/client/paths.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';

test('connect strings: hosts, default port, IPv6 and chroot', () => {
  assert.deepEqual(parseConnectString('127.0.0.1:2182'), { hosts: [{ host: '127.0.0.1', port: 2182 }], chroot: null });
  assert.deepEqual(parseConnectString('a,b:3000,c:').hosts, [
    { host: 'a', port: DEFAULT_PORT },
    { host: 'b', port: 3000 },
    { host: 'c', port: DEFAULT_PORT },
  ]);
  assert.deepEqual(parseConnectString('[::1]:2200,[fe80::1]').hosts, [
    { host: '::1', port: 2200 },
    { host: 'fe80::1', port: DEFAULT_PORT },
  ]);
  assert.deepEqual(parseConnectString('h:1/app/sub'), { hosts: [{ host: 'h', port: 1 }], chroot: '/app/sub' });
  assert.equal(parseConnectString('h:1/').chroot, null, 'a chroot of / means none');
  assert.equal(formatHost({ host: '::1', port: 5 }), '[::1]:5');
  assert.equal(formatHost({ host: 'h', port: 5 }), 'h:5');
});

test('bad connect strings are refused before any connection', () => {
  assert.throws(() => parseConnectString(''), InvalidArgumentError);
  assert.throws(() => parseConnectString('/app'), InvalidArgumentError);
  assert.throws(() => parseConnectString('h:x'), InvalidArgumentError);
  assert.throws(() => parseConnectString('h:70000'), InvalidArgumentError);
  assert.throws(() => parseConnectString('h:1/app/'), /Path must not end with \/ character/);
  assert.throws(() => parseConnectString('[::1'), InvalidArgumentError);
});

test('path validation gives PathUtils messages and code BADARGUMENTS', () => {
  const cases: [string, string][] = [
    ['', 'Path length must be > 0'],
    ['a', 'Path must start with / character'],
    ['/a/', 'Path must not end with / character'],
    ['/a//b', 'Invalid path string "/a//b" caused by empty node name specified @3'],
    ['/a/./b', 'Invalid path string "/a/./b" caused by relative paths not allowed @3'],
    ['/a/..', 'Invalid path string "/a/.." caused by relative paths not allowed @4'],
    ['/a\u0000', 'Invalid path string "/a\u0000" caused by null character not allowed @2'],
    ['/a\u0001', 'Invalid path string "/a\u0001" caused by invalid character @2'],
    ['/\ud83d\ude00', 'Invalid path string "/\ud83d\ude00" caused by invalid character @1'],
  ];
  for (const [path, message] of cases) {
    assert.throws(
      () => validatePath(path),
      (err: unknown) => err instanceof KeeperError && err.code === ErrorCode.BADARGUMENTS && err.message === message,
      JSON.stringify(path),
    );
  }
  for (const ok of ['/', '/a', '/a.b', '/..a', '/a..', '/.a/b', '/zookeeper/config', '/\u00e9']) validatePath(ok);
  validatePath('/a/', true);
  assert.throws(() => validatePath('/a//', true), /empty node name specified @3/);
});

test('chroot is prepended to requests and stripped from replies', () => {
  assert.equal(prependChroot(null, '/x'), '/x');
  assert.equal(prependChroot('/app', '/'), '/app');
  assert.equal(prependChroot('/app', '/x/y'), '/app/x/y');
  assert.equal(stripChroot('/app', '/app'), '/');
  assert.equal(stripChroot('/app', '/app/x'), '/x');
  assert.equal(stripChroot('/app', '/zookeeper/config'), '/zookeeper/config', 'paths outside the chroot stay whole');
  assert.equal(stripChroot('/app', '/apple'), '/apple', 'a sibling with the chroot as prefix is not inside it');
  assert.equal(stripChroot(null, '/x'), '/x');
});
