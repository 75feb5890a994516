// Proves the pure core's ZooKeeper rules: path validation, digest ids and ACL checks, session
// passwords (against a value captured from real ZooKeeper 3.8), session expiry in ticks, and
// the watch registry's one-shot, persistent and recursive semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { isChildPath, parentOf, pathProblem } from '../../src/tree/path.js';
import { sha1 } from '../../src/util/sha1.js';
import { digestId, authenticate } from '../../src/auth/schemes.js';
import { fixupAcl, isAllowed, maskDigests } from '../../src/auth/acl.js';
import { sessionPassword, checkPassword } from '../../src/session/password.js';
import { SessionTracker } from '../../src/session/session-tracker.js';
import { WatchManager } from '../../src/watch/watch-manager.js';
import { EventType, WatcherType } from '../../src/proto/defs.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { sequenceSuffix } from '../../src/server/prep.js';

test('path rules match PathUtils.validatePath', () => {
  for (const ok of ['/', '/a', '/a/b', '/a.b', '/..a', '/a..', '/.a', '/zookeeper', '/\u00e9t\u00e9']) {
    assert.equal(pathProblem(ok), undefined, ok);
  }
  for (const bad of ['', 'a', '/a/', '//a', '/a//b', '/.', '/..', '/a/./b', '/a/../b', '/a\u0000b', '/a\u0001', '/\u007f', '/\ud83d\ude00', '/\ufff0']) {
    assert.notEqual(pathProblem(bad), undefined, JSON.stringify(bad));
  }
});

test('isChildPath agrees with parentOf on direct children, and refuses grandchildren and look-alikes', () => {
  const paths = ['/', '/a', '/ab', '/a/b', '/a/bc', '/a/b/c', '/ab/c', '/zookeeper', '/zookeeper/quota', '/a/b/cd'];
  for (const path of paths) {
    for (const parent of paths) {
      assert.equal(isChildPath(path, parent), path !== '/' && parentOf(path) === parent, `${path} under ${parent}`);
    }
  }
});

test('sha1 equals node:crypto on random inputs of every length up to 200', () => {
  for (let n = 0; n <= 200; n++) {
    const input = randomBytes(n);
    assert.equal(sha1(input).toString('hex'), createHash('sha1').update(input).digest('hex'));
  }
});

test('digest ids are user:base64(sha1(user:password)), the documented example included', () => {
  assert.equal(digestId('user1:12345'), 'user1:+owfoSBn/am19roBPzR1/MfCblE=');
  assert.equal(digestId('super:test'), 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=');
  const superIds = authenticate('digest', Buffer.from('super:test'), '127.0.0.1', 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=');
  assert.deepEqual(superIds?.map((id) => id.scheme), ['super', 'digest']);
  assert.equal(authenticate('kerberos', Buffer.from('x'), '127.0.0.1', undefined), null);
});

test('ACL checks: world, digest, ip prefixes, super, empty lists', () => {
  const digest = { scheme: 'digest', id: digestId('bob:pw') };
  const acl = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }, { perms: 31, id: digest }];
  assert.equal(isAllowed(acl, 1, []), true);
  assert.equal(isAllowed(acl, 2, []), false);
  assert.equal(isAllowed(acl, 2, [digest]), true);
  assert.equal(isAllowed(acl, 2, [{ scheme: 'super', id: '' }]), true);
  assert.equal(isAllowed([], 16, []), true);
  const ipAcl = [{ perms: 31, id: { scheme: 'ip', id: '10.1.0.0/16' } }];
  assert.equal(isAllowed(ipAcl, 1, [{ scheme: 'ip', id: '10.1.200.3' }]), true);
  assert.equal(isAllowed(ipAcl, 1, [{ scheme: 'ip', id: '10.2.0.1' }]), false);
  assert.deepEqual(maskDigests(acl)[1]!.id, { scheme: 'digest', id: 'bob:x' });
});

test('fixupAcl: auth expands to authenticated digest ids; invalid lists are INVALIDACL', () => {
  const bob = { scheme: 'digest', id: digestId('bob:pw') };
  const ip = { scheme: 'ip', id: '127.0.0.1' };
  assert.deepEqual(fixupAcl('/p', [ip, bob], [{ perms: 31, id: { scheme: 'auth', id: '' } }]), [{ perms: 31, id: bob }]);
  const invalid = (acl: Parameters<typeof fixupAcl>[2], ids = [ip]) =>
    assert.throws(() => fixupAcl('/p', ids, acl), (e) => e instanceof KeeperError && e.code === ErrorCode.INVALIDACL);
  invalid([{ perms: 31, id: { scheme: 'auth', id: '' } }]);
  invalid([]);
  invalid(null);
  invalid([{ perms: 31, id: { scheme: 'digest', id: 'no-colon' } }]);
  invalid([{ perms: 31, id: { scheme: 'world', id: 'someone' } }]);
  invalid([{ perms: 31, id: { scheme: 'ip', id: '300.1.1.1' } }]);
});

test('session passwords match real ZooKeeper 3.8 (captured for session 0x0100000b82430000)', () => {
  assert.equal(sessionPassword(0x0100000b82430000n).toString('hex'), '9f06cc4b40ddfa5c1580981889afff5a');
  assert.equal(checkPassword(0x0100000b82430000n, Buffer.from('9f06cc4b40ddfa5c1580981889afff5a', 'hex')), true);
  assert.equal(checkPassword(0x0100000b82430000n, Buffer.alloc(16)), false);
});

test('sessions expire at the first tick boundary after last touch + timeout', () => {
  const tracker = new SessionTracker(2000, 1n, 10_000);
  const id = tracker.newSessionId();
  assert.equal(id >> 56n, 1n, 'the server id is in the top byte');
  tracker.add(id, 4000, 10_500);
  assert.deepEqual(tracker.takeExpired(15_999), []);
  tracker.touch(id, 15_000);
  assert.deepEqual(tracker.takeExpired(19_999), []);
  assert.deepEqual(tracker.takeExpired(20_000).map((s) => s.id), [id]);
  assert.equal(tracker.isActive(id), false, 'an expiring session takes no new requests');
});

test('sequential suffixes are %010d of the parent cversion, negative numbers included', () => {
  assert.equal(sequenceSuffix(0), '0000000000');
  assert.equal(sequenceSuffix(42), '0000000042');
  assert.equal(sequenceSuffix(2147483647), '2147483647');
  assert.equal(sequenceSuffix(-5), '-000000005');
  assert.equal(sequenceSuffix(-2147483648), '-2147483648');
});

test('watches: one-shot standard, persistent, recursive (no child events), delete dedupe', () => {
  const w = new WatchManager();
  w.addDataWatch('/a', 1);
  w.addChildWatch('/a', 1);
  w.addPersistentWatch('/a', 2, false);
  w.addPersistentWatch('/', 3, true);
  const fire = (path: string, type: number) => w.trigger([{ path, type: type as 1, acl: [] }]).map((n) => `${n.watcher}:${n.type}:${n.path}`).sort();
  assert.deepEqual(fire('/a', EventType.NodeDataChanged), ['1:3:/a', '2:3:/a', '3:3:/a']);
  assert.deepEqual(fire('/a', EventType.NodeDataChanged), ['2:3:/a', '3:3:/a'], 'the standard data watch is gone');
  assert.deepEqual(fire('/a', EventType.NodeChildrenChanged), ['1:4:/a', '2:4:/a'], 'recursive watches never see child events');
  assert.deepEqual(fire('/a/b/c', EventType.NodeCreated), ['3:1:/a/b/c']);
  w.addDataWatch('/d', 5);
  w.addChildWatch('/d', 5);
  assert.deepEqual(fire('/d', EventType.NodeDeleted), ['3:2:/d', '5:2:/d'], 'one NodeDeleted per watcher');
  assert.equal(w.contains('/a', WatcherType.Data, 2), true);
  assert.equal(w.remove('/a', WatcherType.Any, 2), true);
  assert.equal(w.remove('/a', WatcherType.Any, 2), false);
  w.removeWatcher(3);
  assert.deepEqual(fire('/x', EventType.NodeCreated), []);
});
