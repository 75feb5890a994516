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
import type { LearnerMessage } from './learner-messages.js';

const KIND = {
  VOTE: 1, FOLLOWERINFO: 2, LEADERINFO: 3, ACKEPOCH: 4, DIFF: 5, TRUNC: 6, SNAP: 7, PROPOSAL: 8,
  COMMIT: 9, NEWLEADER: 10, ACK: 11, UPTODATE: 12, INFORM: 13, PING: 14, NOTLEADER: 15,
  REQUEST: 20, SYNC: 21, SYNCED: 22, TOUCH: 23, CONFIG: 24,
} as const;

function writeLearner(w: JuteWriter, m: LearnerMessage): void {
  w.writeByte(KIND[m.type]);
  switch (m.type) {
    case 'REQUEST': {
      const q = m.request;
      w.writeLong(q.sessionId).writeInt(q.cxid).writeInt(q.type).writeBuffer(q.payload).writeInt(q.timeoutMs);
      w.writeVector(q.authIds, (w2, id) => w2.writeString(id.scheme).writeString(id.id));
      break;
    }
    case 'SYNC':
      w.writeInt(m.id);
      break;
    case 'SYNCED':
      w.writeInt(m.id).writeLong(m.zxid);
      break;
    case 'TOUCH':
      w.writeVector(m.sessions, (w2, id) => w2.writeLong(id));
      break;
    case 'CONFIG':
      w.writeString(m.text);
      break;
  }
}

function readLearner(kind: number, r: JuteReader): LearnerMessage {
  switch (kind) {
    case KIND.REQUEST: {
      const sessionId = r.readLong();
      const cxid = r.readInt();
      const type = r.readInt();
      const payload = r.readBufferCopy() ?? Buffer.alloc(0);
      const timeoutMs = r.readInt();
      const authIds = r.readVector((r2) => ({ scheme: r2.readString() ?? '', id: r2.readString() ?? '' })) ?? [];
      return { type: 'REQUEST', request: { sessionId, cxid, type, payload, timeoutMs, authIds } };
    }
    case KIND.SYNC: return { type: 'SYNC', id: r.readInt() };
    case KIND.SYNCED: return { type: 'SYNCED', id: r.readInt(), zxid: r.readLong() };
    case KIND.CONFIG: return { type: 'CONFIG', text: r.readString() ?? '' };
    default: return { type: 'TOUCH', sessions: r.readVector((r2) => r2.readLong()) ?? [] };
  }
}

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
    return w.take();
  }
  if (envelope.kind === 'learner') {
    writeLearner(w, envelope.m);
    return w.take();
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
      w.writeLong(m.zxid).writeBuffer(m.state ?? null);
      break;
    case 'PROPOSAL':
    case 'INFORM':
      writeEntry(w, m.entry);
      break;
    case 'DIFF':
    case 'PING':
    case 'NOTLEADER':
      break;
  }
  return w.take();
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
    case KIND.SNAP: {
      const zxid = r.readLong();
      const state = r.readBufferCopy();
      m = state === null ? { type: 'SNAP', zxid } : { type: 'SNAP', zxid, state };
      break;
    }
    case KIND.PROPOSAL: m = { type: 'PROPOSAL', entry: readEntry(r) }; break;
    case KIND.COMMIT: m = { type: 'COMMIT', zxid: r.readLong() }; break;
    case KIND.NEWLEADER: m = { type: 'NEWLEADER', zxid: r.readLong() }; break;
    case KIND.ACK: m = { type: 'ACK', zxid: r.readLong() }; break;
    case KIND.UPTODATE: m = { type: 'UPTODATE', commitZxid: r.readLong() }; break;
    case KIND.INFORM: m = { type: 'INFORM', entry: readEntry(r) }; break;
    case KIND.PING: m = { type: 'PING' }; break;
    case KIND.NOTLEADER: m = { type: 'NOTLEADER' }; break;
    case KIND.REQUEST: case KIND.SYNC: case KIND.SYNCED: case KIND.TOUCH: case KIND.CONFIG: {
      const learner = readLearner(kind, r);
      r.expectEnd(learner.type);
      return { kind: 'learner', m: learner };
    }
    default: throw new JuteError(`unknown quorum message kind ${kind}`);
  }
  r.expectEnd(m.type);
  return { kind: 'zab', m };
}
