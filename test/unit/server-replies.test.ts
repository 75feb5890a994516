// Proves the hand-laid watch notification frame equals the record codecs' encoding of
// ReplyHeader{xid -1, zxid -1, err 0} + WatcherEvent{type, SyncConnected, path} (the layout the
// golden ZooKeeper 3.8 frames in test/fixtures pin down), for every event type and for paths of
// one-, two-, three- and four-byte UTF-8 characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JuteWriter } from '../../src/jute/writer.js';
import { EventType, KeeperState } from '../../src/proto/defs.js';
import { Xid } from '../../src/proto/op-code.js';
import { ReplyHeader, WatcherEvent } from '../../src/proto/records.js';
import { notificationFrame } from '../../src/server/replies.js';

function viaCodecs(type: number, path: string): Buffer {
  const w = new JuteWriter(16);
  w.writeInt(0);
  ReplyHeader.write(w, { xid: Xid.notification, zxid: -1n, err: 0 });
  WatcherEvent.write(w, { type, state: KeeperState.SyncConnected, path });
  w.patchInt(0, w.length - 4);
  return Buffer.from(w.take());
}

test('a notification frame is ReplyHeader + WatcherEvent, byte for byte', () => {
  const types = [EventType.NodeCreated, EventType.NodeDeleted, EventType.NodeDataChanged, EventType.NodeChildrenChanged];
  const paths = ['/', '/a', '/app/locks/lock-0000000042', '/ünï/路径/😀', `/${'x'.repeat(5000)}`];
  for (const type of types) {
    for (const path of paths) assert.deepEqual(notificationFrame(type, path), viaCodecs(type, path), `${type} ${path.slice(0, 40)}`);
  }
});
