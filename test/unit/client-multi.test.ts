// Proves the client's multi codec: ops are encoded as MultiHeader + record items ending with
// {-1, true, -1}, multiRead is chosen only for all-read lists, results (errors included) are
// decoded exactly as sent, and SetWatches batches split at 128 K characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { readMultiResponse, writeMulti } from '../../src/client/multi.js';
import { encodeOps, unchrootResults } from '../../src/client/multi-ops.js';
import { buildSetWatches, SET_WATCHES_MAX_CHARS } from '../../src/client/set-watches.js';
import * as R from '../../src/proto/records.js';
import { OpCode } from '../../src/proto/op-code.js';
import { Ids } from '../../src/proto/data.js';
import { KeeperError } from '../../src/proto/error-code.js';

const stat = { czxid: 1n, mzxid: 2n, ctime: 3n, mtime: 4n, version: 5, cversion: 6, aversion: 7, ephemeralOwner: 8n, dataLength: 9, numChildren: 10, pzxid: 11n };

test('write ops are encoded item by item with the done marker, chroot applied', () => {
  const { opCode, encoded } = encodeOps(
    [
      { op: 'create', path: '/a', data: 'x', mode: 'EPHEMERAL' },
      { op: 'check', path: '/a', version: 3 },
      { op: 'setData', path: '/a', data: Buffer.from('y') },
      { op: 'delete', path: '/a' },
      { op: 'create', path: '/t', mode: 'PERSISTENT_WITH_TTL', ttl: 500 },
    ],
    '/root',
  );
  assert.equal(opCode, OpCode.multi);
  const w = new JuteWriter();
  writeMulti(w, encoded);
  const expected = new JuteWriter();
  R.MultiHeader.write(expected, { type: 1, done: false, err: -1 });
  R.CreateRequest.write(expected, { path: '/root/a', data: Buffer.from('x'), acl: [...Ids.OPEN_ACL_UNSAFE], flags: 1 });
  R.MultiHeader.write(expected, { type: 13, done: false, err: -1 });
  R.CheckVersionRequest.write(expected, { path: '/root/a', version: 3 });
  R.MultiHeader.write(expected, { type: 5, done: false, err: -1 });
  R.SetDataRequest.write(expected, { path: '/root/a', data: Buffer.from('y'), version: -1 });
  R.MultiHeader.write(expected, { type: 2, done: false, err: -1 });
  R.DeleteRequest.write(expected, { path: '/root/a', version: -1 });
  R.MultiHeader.write(expected, { type: 21, done: false, err: -1 });
  R.CreateTTLRequest.write(expected, { path: '/root/t', data: null, acl: [...Ids.OPEN_ACL_UNSAFE], flags: 5, ttl: 500n });
  R.MultiHeader.write(expected, { type: -1, done: true, err: -1 });
  assert.deepEqual(w.toBuffer(), expected.toBuffer());
});

test('all-read lists use multiRead; mixed lists and bad paths are refused', () => {
  assert.equal(encodeOps([{ op: 'getData', path: '/a' }, { op: 'getChildren', path: '/' }], null).opCode, OpCode.multiRead);
  assert.equal(encodeOps([], null).opCode, OpCode.multi);
  assert.throws(() => encodeOps([{ op: 'getData', path: '/a' }, { op: 'delete', path: '/a' }], null), /Mixing/);
  assert.throws(() => encodeOps([{ op: 'delete', path: 'a' }], null), KeeperError);
  assert.throws(() => encodeOps([{ op: 'create', path: '/a', acl: [] }], null), (e: unknown) => (e as KeeperError).code === -114);
});

test('results are decoded as sent, error results included, and created paths un-chrooted', () => {
  const w = new JuteWriter();
  R.MultiHeader.write(w, { type: 1, done: false, err: 0 });
  R.CreateResponse.write(w, { path: '/root/a' });
  R.MultiHeader.write(w, { type: 15, done: false, err: 0 });
  R.Create2Response.write(w, { path: '/root/b', stat });
  R.MultiHeader.write(w, { type: 5, done: false, err: 0 });
  R.SetDataResponse.write(w, { stat });
  R.MultiHeader.write(w, { type: 2, done: false, err: 0 });
  R.MultiHeader.write(w, { type: 13, done: false, err: 0 });
  R.MultiHeader.write(w, { type: 4, done: false, err: 0 });
  R.GetDataResponse.write(w, { data: Buffer.from('d'), stat });
  R.MultiHeader.write(w, { type: 8, done: false, err: 0 });
  R.GetChildrenResponse.write(w, { children: ['c'] });
  R.MultiHeader.write(w, { type: -1, done: false, err: -101 });
  R.ErrorResponse.write(w, { err: -101 });
  R.MultiHeader.write(w, { type: -1, done: true, err: -1 });
  const results = unchrootResults(readMultiResponse(new JuteReader(w.toBuffer()), 10), '/root');
  assert.deepEqual(results, [
    { type: 'create', opCode: 1, path: '/a' },
    { type: 'create', opCode: 15, path: '/b', stat },
    { type: 'setData', opCode: 5, stat },
    { type: 'delete', opCode: 2 },
    { type: 'check', opCode: 13 },
    { type: 'getData', opCode: 4, data: Buffer.from('d'), stat },
    { type: 'getChildren', opCode: 8, children: ['c'] },
    { type: 'error', opCode: -1, err: -101 },
  ]);
});

test('a response with more results than ops, or an unknown type, is a decoding error', () => {
  const w = new JuteWriter();
  R.MultiHeader.write(w, { type: 2, done: false, err: 0 });
  R.MultiHeader.write(w, { type: 2, done: false, err: 0 });
  R.MultiHeader.write(w, { type: -1, done: true, err: -1 });
  assert.throws(() => readMultiResponse(new JuteReader(w.toBuffer()), 1), /more than 1/);
  const bad = new JuteWriter();
  R.MultiHeader.write(bad, { type: 77, done: false, err: 0 });
  assert.throws(() => readMultiResponse(new JuteReader(bad.toBuffer()), 5), /unknown multi result type 77/);
});

test('SetWatches batches split at 128 K characters; SetWatches2 only when persistent watches ride along', () => {
  const long = Array.from({ length: 300 }, (_, i) => '/' + String(i).padStart(1000, 'x'));
  const requests = buildSetWatches(42n, { data: long, exist: ['/e'], child: [], persistent: [], persistentRecursive: ['/r'] });
  const perBatch = Math.ceil(SET_WATCHES_MAX_CHARS / 1001);
  assert.equal(requests.length, Math.ceil(302 / perBatch));
  assert.deepEqual(requests.map((r) => r.pathCount).reduce((a, b) => a + b), 302);
  assert.ok(requests.slice(0, -1).every((r) => r.opCode === OpCode.setWatches));
  const last = requests.at(-1)!;
  assert.equal(last.opCode, OpCode.setWatches2);
  const w = new JuteWriter();
  last.write(w);
  const decoded = R.SetWatches2.read(new JuteReader(w.toBuffer()));
  assert.equal(decoded.relativeZxid, 42n);
  assert.deepEqual(decoded.existWatches, ['/e']);
  assert.deepEqual(decoded.persistentRecursiveWatches, ['/r']);
  assert.deepEqual(buildSetWatches(1n, { data: [], exist: [], child: [], persistent: [], persistentRecursive: [] }), []);
});
