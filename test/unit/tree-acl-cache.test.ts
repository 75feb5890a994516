// Proves the ACL cache interns equal lists into one entry, forgets an entry when its last use is
// released, and that its shortcut for a repeated one-ACL list never hands out a forgotten entry
// or the entry of a different list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AclCache } from '../../src/tree/acl-cache.js';
import type { Acl } from '../../src/proto/data.js';

const open = (): Acl[] => [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const readOnly = (): Acl[] => [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
const digest = (): Acl[] => [{ perms: 31, id: { scheme: 'digest', id: 'u:h' } }];

test('equal lists share one entry, counted per use', () => {
  const cache = new AclCache();
  const a = cache.acquire(open());
  const b = cache.acquire(open());
  assert.equal(a, b);
  assert.equal(a.uses, 2);
  assert.equal(cache.size, 1);
  const c = cache.acquire([...open(), ...digest()]);
  assert.notEqual(c, a);
  assert.equal(cache.acquire([...open(), ...digest()]), c);
});

test('a repeated one-ACL list is matched on every field', () => {
  const cache = new AclCache();
  const a = cache.acquire(open());
  const r = cache.acquire(readOnly());
  const d = cache.acquire(digest());
  assert.notEqual(r, a);
  assert.notEqual(d, a);
  assert.equal(cache.acquire(digest()), d);
  assert.equal(cache.acquire(open()), a);
  assert.equal(cache.acquire([{ perms: 31, id: { scheme: 'world', id: 'anyone2' } }]) === a, false);
  assert.deepEqual(cache.entries().map((e) => e.uses).sort(), [1, 1, 2, 2]);
});

test('an entry released to no use is forgotten and never handed out again', () => {
  const cache = new AclCache();
  const first = cache.acquire(open());
  cache.release(first);
  assert.equal(cache.size, 0);
  const second = cache.acquire(open());
  assert.notEqual(second, first);
  assert.equal(second.uses, 1);
  assert.deepEqual(cache.entries(), [second]);
  assert.equal(cache.acquireRef(second.ref), second);
});
