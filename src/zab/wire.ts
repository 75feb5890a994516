/**
 * Bytes of the quorum protocol between tszk servers: election notifications and ZAB messages,
 * each one length-prefixed frame (the same framing as the client port). The layout is tszk's own
 * (joining Java servers is not a goal), built from jute primitives; the first byte says what
 * follows.
 */
import { JuteError, JuteReader } from '../jute/reader.js';
import { JuteWriter } from '../jute/writer.js';
import type { Notification, PeerStateValue } from '../election/vote.js';
import type { Entry, ZabMessage } from './messages.js';
import type { Envelope } from './peer.js';

const KIND = {
  VOTE: 1, FOLLOWERINFO: 2, LEADERINFO: 3, ACKEPOCH: 4, DIFF: 5, TRUNC: 6, SNAP: 7, PROPOSAL: 8,
  COMMIT: 9, NEWLEADER: 10, ACK: 11, UPTODATE: 12, INFORM: 13, PING: 14,
} as const;

function writeEntry(w: JuteWriter, e: Entry): void {
  w.writeLong(e.zxid).writeBuffer(e.data);
}

function readEntry(r: JuteReader): Entry {
  const zxid = r.readLong();
  const data = r.readBufferCopy();
  if (data === null) throw new JuteError('entry without data');
  return { zxid, data };
}

/** One envelope as a frame payload (no length prefix). */
export function encodeEnvelope(envelope: Envelope): Buffer {
  const w = new JuteWriter(64);
  if (envelope.kind === 'vote') {
    const n = envelope.n;
    w.writeByte(KIND.VOTE).writeLong(n.leader).writeLong(n.zxid).writeLong(n.electionEpoch).writeLong(n.peerEpoch).writeInt(n.state);
    return w.toBuffer();
  }
  const m = envelope.m;
  w.writeByte(KIND[m.type]);
  switch (m.type) {
    case 'FOLLOWERINFO':
      w.writeLong(m.acceptedEpoch).writeLong(m.lastZxid).writeBool(m.observer);
      break;
    case 'LEADERINFO':
      w.writeLong(m.newEpoch);
      break;
    case 'ACKEPOCH':
      w.writeLong(m.currentEpoch).writeLong(m.lastZxid);
      break;
    case 'TRUNC':
    case 'COMMIT':
    case 'NEWLEADER':
    case 'ACK':
      w.writeLong(m.zxid);
      break;
    case 'UPTODATE':
      w.writeLong(m.commitZxid);
      break;
    case 'SNAP':
      w.writeVector(m.entries, writeEntry);
      break;
    case 'PROPOSAL':
    case 'INFORM':
      writeEntry(w, m.entry);
      break;
    case 'DIFF':
    case 'PING':
      break;
  }
  return w.toBuffer();
}

/** Decodes a frame payload; throws JuteError on anything malformed. */
export function decodeEnvelope(bytes: Buffer, maxBuffer: number): Envelope {
  const r = new JuteReader(bytes, 0, bytes.length, maxBuffer);
  const kind = r.readByte();
  let m: ZabMessage;
  switch (kind) {
    case KIND.VOTE: {
      const n: Notification = { leader: r.readLong(), zxid: r.readLong(), electionEpoch: r.readLong(), peerEpoch: r.readLong(), state: r.readInt() as PeerStateValue };
      if (n.state < 0 || n.state > 3) throw new JuteError(`bad peer state ${n.state}`);
      r.expectEnd('vote');
      return { kind: 'vote', n };
    }
    case KIND.FOLLOWERINFO: m = { type: 'FOLLOWERINFO', acceptedEpoch: r.readLong(), lastZxid: r.readLong(), observer: r.readBool() }; break;
    case KIND.LEADERINFO: m = { type: 'LEADERINFO', newEpoch: r.readLong() }; break;
    case KIND.ACKEPOCH: m = { type: 'ACKEPOCH', currentEpoch: r.readLong(), lastZxid: r.readLong() }; break;
    case KIND.DIFF: m = { type: 'DIFF' }; break;
    case KIND.TRUNC: m = { type: 'TRUNC', zxid: r.readLong() }; break;
    case KIND.SNAP: m = { type: 'SNAP', entries: r.readVector(readEntry) ?? [] }; break;
    case KIND.PROPOSAL: m = { type: 'PROPOSAL', entry: readEntry(r) }; break;
    case KIND.COMMIT: m = { type: 'COMMIT', zxid: r.readLong() }; break;
    case KIND.NEWLEADER: m = { type: 'NEWLEADER', zxid: r.readLong() }; break;
    case KIND.ACK: m = { type: 'ACK', zxid: r.readLong() }; break;
    case KIND.UPTODATE: m = { type: 'UPTODATE', commitZxid: r.readLong() }; break;
    case KIND.INFORM: m = { type: 'INFORM', entry: readEntry(r) }; break;
    case KIND.PING: m = { type: 'PING' }; break;
    default: throw new JuteError(`unknown quorum message kind ${kind}`);
  }
  r.expectEnd(m.type);
  return { kind: 'zab', m };
}
