// Proves the quorum protocol's codec: every election notification and ZAB message survives an
// encode/decode round trip, and truncated or unknown frames are refused, never misread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEnvelope, encodeEnvelope } from '../../src/zab/wire.js';
import type { Envelope } from '../../src/zab/peer.js';
import { JuteError } from '../../src/jute/reader.js';

const entry = { zxid: 0x5_0000_0007n, data: Buffer.from('txn bytes') };
const samples: Envelope[] = [
  { kind: 'vote', n: { leader: 3n, zxid: 0x2_0000_0010n, electionEpoch: 7n, peerEpoch: 2n, state: 0 } },
  { kind: 'zab', m: { type: 'FOLLOWERINFO', acceptedEpoch: 4n, lastZxid: 0x4_0000_0001n, observer: true } },
  { kind: 'zab', m: { type: 'LEADERINFO', newEpoch: 5n } },
  { kind: 'zab', m: { type: 'ACKEPOCH', currentEpoch: 4n, lastZxid: 9n } },
  { kind: 'zab', m: { type: 'DIFF' } },
  { kind: 'zab', m: { type: 'TRUNC', zxid: 0x4_0000_0003n } },
  { kind: 'zab', m: { type: 'SNAP', zxid: entry.zxid } },
  { kind: 'zab', m: { type: 'SNAP', zxid: entry.zxid, state: Buffer.from('snapshot bytes') } },
  { kind: 'zab', m: { type: 'PROPOSAL', entry } },
  { kind: 'zab', m: { type: 'COMMIT', zxid: entry.zxid } },
  { kind: 'zab', m: { type: 'NEWLEADER', zxid: 0x5_0000_0000n } },
  { kind: 'zab', m: { type: 'ACK', zxid: entry.zxid } },
  { kind: 'zab', m: { type: 'UPTODATE', commitZxid: entry.zxid } },
  { kind: 'zab', m: { type: 'INFORM', entry } },
  { kind: 'zab', m: { type: 'PING' } },
  { kind: 'zab', m: { type: 'NOTLEADER' } },
  { kind: 'learner', m: { type: 'REQUEST', request: { sessionId: -0x1234_5678_9abcn, cxid: 17, type: 2, payload: Buffer.from('record'), timeoutMs: 30_000, authIds: [{ scheme: 'ip', id: '127.0.0.1' }, { scheme: 'digest', id: 'u:h=' }] } } },
  { kind: 'learner', m: { type: 'SYNC', id: 9 } },
  { kind: 'learner', m: { type: 'SYNCED', id: 9, zxid: entry.zxid } },
  { kind: 'learner', m: { type: 'TOUCH', sessions: [1n, -2n] } },
  { kind: 'learner', m: { type: 'CONFIG', text: 'server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nversion=100000000' } },
  { kind: 'learner', m: { type: 'CONFIG', text: '' } },
];

const normal = (e: Envelope) => JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v));

test('every quorum message round-trips', () => {
  for (const sample of samples) assert.equal(normal(decodeEnvelope(encodeEnvelope(sample), 1 << 20)), normal(sample));
});

test('truncated, padded and unknown frames are refused', () => {
  for (const sample of samples) {
    const bytes = encodeEnvelope(sample);
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.throws(() => decodeEnvelope(bytes.subarray(0, cut), 1 << 20), JuteError, `${normal(sample)} cut at ${cut}`);
    }
    assert.throws(() => decodeEnvelope(Buffer.concat([bytes, Buffer.from([0])]), 1 << 20), JuteError);
  }
  assert.throws(() => decodeEnvelope(Buffer.from([99]), 1 << 20), JuteError);
});
