// Proves the client watch registry fires and forgets watches as the Java ZKWatchManager does:
// one-shot data/exist/child watches, persistent and recursive ones that stay, one call per
// listener, and removeWatches grouping (Data, Children, Any).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathAndAncestors, WatchRegistry } from '../../src/client/watch-registry.js';
import { EventType, WatcherType } from '../../src/proto/defs.js';

const names = (set: Set<string>) => [...set].sort();

test('pathAndAncestors walks up to the root', () => {
  assert.deepEqual([...pathAndAncestors('/a/b/c')], ['/a/b/c', '/a/b', '/a', '/']);
  assert.deepEqual([...pathAndAncestors('/')], ['/']);
});

test('data and exist watches fire on created/changed/deleted and are then gone', () => {
  const registry = new WatchRegistry<string>();
  registry.add('data', '/a', 'd');
  registry.add('exist', '/a', 'e');
  registry.add('child', '/a', 'c');
  assert.deepEqual(names(registry.materialize(EventType.NodeDataChanged, '/a')), ['d', 'e']);
  assert.deepEqual(names(registry.materialize(EventType.NodeDataChanged, '/a')), []);
  assert.deepEqual(registry.paths('child'), ['/a']);
  assert.deepEqual(names(registry.materialize(EventType.NodeDeleted, '/a')), ['c']);
  assert.ok(registry.empty);
});

test('child watches fire on NodeChildrenChanged only; deletion fires every one-shot kind', () => {
  const registry = new WatchRegistry<string>();
  registry.add('child', '/p', 'c');
  registry.add('data', '/p', 'd');
  assert.deepEqual(names(registry.materialize(EventType.NodeChildrenChanged, '/p')), ['c']);
  registry.add('child', '/p', 'c');
  assert.deepEqual(names(registry.materialize(EventType.NodeDeleted, '/p')), ['c', 'd']);
});

test('a listener registered twice is called once per event', () => {
  const registry = new WatchRegistry<string>();
  registry.add('data', '/a', 'same');
  registry.add('child', '/a', 'same');
  registry.add('persistent', '/a', 'same');
  assert.deepEqual(names(registry.materialize(EventType.NodeDeleted, '/a')), ['same']);
});

test('persistent watches stay; recursive ones cover descendants', () => {
  const registry = new WatchRegistry<string>();
  registry.add('persistent', '/a', 'p');
  registry.add('persistentRecursive', '/', 'r');
  for (let i = 0; i < 3; i++) assert.deepEqual(names(registry.materialize(EventType.NodeDataChanged, '/a')), ['p', 'r']);
  assert.deepEqual(names(registry.materialize(EventType.NodeCreated, '/a/b/c')), ['r']);
  assert.deepEqual(names(registry.materialize(EventType.None, '/a')), [], 'state events reach no node watcher');
  assert.deepEqual(names(registry.materialize(EventType.NodeChildrenChanged, '/a')), ['p'], 'recursive watches never see NodeChildrenChanged');
  assert.deepEqual(registry.paths('persistentRecursive'), ['/']);
});

test('removeWatches: Data takes data+exist, Children takes child, Any takes all', () => {
  const registry = new WatchRegistry<string>();
  registry.add('data', '/a', 'd');
  registry.add('exist', '/a', 'e');
  registry.add('child', '/a', 'c');
  registry.add('persistent', '/a', 'p');
  const data = registry.remove('/a', WatcherType.Data);
  assert.deepEqual(data && names(data.dataWatchRemoved), ['d', 'e']);
  assert.equal(registry.remove('/a', WatcherType.Data), null, 'nothing left to remove: NOWATCHER');
  assert.ok(registry.has('/a', WatcherType.Data), 'the existence check counts persistent watches');
  const any = registry.remove('/a', WatcherType.Any);
  assert.deepEqual(any && names(any.childWatchRemoved), ['c']);
  assert.deepEqual(any && names(any.persistentWatchRemoved), ['p']);
  assert.ok(registry.empty);
});

test('removing one listener leaves the others on the path', () => {
  const registry = new WatchRegistry<string>();
  registry.add('data', '/a', 'x');
  registry.add('data', '/a', 'y');
  assert.ok(registry.has('/a', WatcherType.Data, 'x'));
  assert.equal(registry.has('/a', WatcherType.Data, 'z'), false);
  const removed = registry.remove('/a', WatcherType.Data, 'x');
  assert.deepEqual(removed && names(removed.dataWatchRemoved), ['x']);
  assert.deepEqual(names(registry.materialize(EventType.NodeDataChanged, '/a')), ['y']);
});
