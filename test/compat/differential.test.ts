// Proves tszk answers like Apache ZooKeeper 3.8: the same seeded random operation sequences
// (10,000+ ops over several sessions: creates of every plain mode, versions, ACLs and auth,
// ephemerals, sequentials, multi, multiRead, watches of every kind, session closes) sent in
// lockstep to both servers give identical error codes, data, children, Stat fields (zxids and
// session ids renumbered, times masked), and the same watch events, delivered to the same
// sessions, before the same replies.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { JuteReader } from '../../src/jute/reader.js';
import type { JuteWriter } from '../../src/jute/writer.js';
import type { Acl, Stat } from '../../src/proto/data.js';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';
import { Prng } from '../../src/util/prng.js';
import { RawSession, type Received } from '../support/raw-session.js';
import { fourLetterWord, referenceZooKeeperAvailable, startReferenceZooKeeper, type ReferenceZooKeeper } from '../support/zk-reference.js';
import { startTszk, type TszkServer } from '../support/tszk-server.js';

const OPS_TOTAL = Number(process.env.DIFF_OPS ?? 10_000);
const SEEDS = (process.env.DIFF_SEEDS ?? '1,2').split(',').map(Number);
const SESSIONS = 4;
const skip = referenceZooKeeperAvailable() ? false : 'real ZooKeeper (Debian zookeeper) is not installed';

const WORLD_ALL: Acl = { perms: 31, id: { scheme: 'world', id: 'anyone' } };
const ACLS: Acl[][] = [
  [WORLD_ALL],
  [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }],
  [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }, { perms: 31, id: { scheme: 'digest', id: 'bob:2LmZrvwIvTBsBwsOhDLWv8L7F4A=' } }],
  [{ perms: 31, id: { scheme: 'auth', id: '' } }],
  [{ perms: 31, id: { scheme: 'ip', id: '127.0.0.1' } }],
  [{ perms: 13, id: { scheme: 'ip', id: '10.0.0.0/8' } }, { perms: 3, id: { scheme: 'world', id: 'anyone' } }],
  [{ perms: 31, id: { scheme: 'digest', id: 'malformed' } }],
];
const NAMES = ['a', 'b', 'c'];

/** One server's view: its sessions and the maps that renumber its zxids and session ids. */
class Side {
  sessions: Array<RawSession | undefined> = [];
  private readonly zxids = new Map<bigint, number>();
  private readonly sessionIds = new Map<bigint, string>();
  constructor(readonly host: string, readonly port: number) {}

  zxid(z: bigint): string {
    if (z === -1n || z === 0n) return String(z);
    let n = this.zxids.get(z);
    if (n === undefined) this.zxids.set(z, (n = this.zxids.size));
    return `z${n}`;
  }

  owner(id: bigint): string {
    if (id === 0n) return '0';
    return this.sessionIds.get(id) ?? `other:${id >> 56n}`;
  }

  labelSession(id: bigint, label: string): void {
    this.sessionIds.set(id, label);
  }

  stat(s: Stat): string {
    return `[${this.zxid(s.czxid)} ${this.zxid(s.mzxid)} ${this.zxid(s.pzxid)} v${s.version} c${s.cversion} a${s.aversion} o${this.owner(s.ephemeralOwner)} l${s.dataLength} n${s.numChildren}]`;
  }
}

/** A readable, comparable rendering of one received frame. */
function render(side: Side, op: number, m: Received): string {
  const head = `xid=${m.xid} zxid=${side.zxid(m.zxid)} err=${m.err}`;
  const r = new JuteReader(m.body, 0, m.body.length, Infinity);
  if (m.xid === -1) {
    const e = R.WatcherEvent.read(r);
    return `EVENT type=${e.type} state=${e.state} path=${e.path}`;
  }
  if (m.err !== 0 && op !== OpCode.multi && op !== OpCode.multiRead) return `${head}${m.body.length > 0 ? ' BODY!' : ''}`;
  return `${head} ${renderBody(side, op, r)}`;
}

function renderBody(side: Side, op: number, r: JuteReader): string {
  switch (op) {
    case OpCode.create: return R.CreateResponse.read(r).path ?? 'null';
    case OpCode.create2: {
      const c = R.Create2Response.read(r);
      return `${c.path} ${side.stat(c.stat)}`;
    }
    case OpCode.exists: case OpCode.setData: case OpCode.setACL: return side.stat(R.ExistsResponse.read(r).stat);
    case OpCode.getData: {
      const g = R.GetDataResponse.read(r);
      return `${g.data?.toString('hex') ?? 'null'} ${side.stat(g.stat)}`;
    }
    case OpCode.getACL: {
      const g = R.GetACLResponse.read(r);
      return `${JSON.stringify(g.acl)} ${side.stat(g.stat)}`;
    }
    case OpCode.getChildren: return JSON.stringify((R.GetChildrenResponse.read(r).children ?? []).sort());
    case OpCode.getChildren2: {
      const g = R.GetChildren2Response.read(r);
      return `${JSON.stringify((g.children ?? []).sort())} ${side.stat(g.stat)}`;
    }
    case OpCode.getEphemerals: return JSON.stringify((R.GetEphemeralsResponse.read(r).ephemerals ?? []).sort());
    case OpCode.getAllChildrenNumber: return String(R.GetAllChildrenNumberResponse.read(r).totalNumber);
    case OpCode.sync: return R.SyncResponse.read(r).path ?? 'null';
    case OpCode.addWatch: return `err=${R.ErrorResponse.read(r).err}`;
    case OpCode.whoAmI: return JSON.stringify((R.WhoAmIResponse.read(r).clientInfo ?? []).map((c) => `${c.authScheme}:${c.user}`));
    case OpCode.multi: case OpCode.multiRead: {
      const parts: string[] = [];
      for (;;) {
        const h = R.MultiHeader.read(r);
        if (h.done) break;
        const sub = h.type === -1 ? `error(${R.ErrorResponse.read(r).err})` : h.type === OpCode.check || h.type === OpCode.delete ? '' : renderBody(side, h.type === OpCode.getData ? OpCode.getData : h.type, r);
        parts.push(`${h.type}/${h.err}:${sub}`);
      }
      return parts.join(' | ');
    }
    default: return r.remaining > 0 ? `+${r.remaining}B` : '';
  }
}

interface Op {
  readonly session: number;
  readonly type: number;
  readonly label: string;
  /** `lastZxid` is the last zxid this side's session saw (what a client sends as relativeZxid). */
  readonly write?: (w: JuteWriter, lastZxid: bigint) => void;
}

const SPECIAL_PATHS = ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config', '/diff/'];
/**
 * Read only: ZooKeeper 3.8 crashes (SyncThread, ArrayIndexOutOfBoundsException in StatsTrack)
 * when a client writes other text into a quota node, so the generator never writes there.
 */
const QUOTA_STATS = '/zookeeper/quota/diff/a/zookeeper_stats';
/** A quota on /diff/a, made the way zkCli's setquota makes one; the server keeps its stats node current. */
const QUOTA_SETUP: Array<[string, string | null]> = [
  ['/diff/a', null], ['/zookeeper/quota/diff', null], ['/zookeeper/quota/diff/a', null],
  ['/zookeeper/quota/diff/a/zookeeper_limits', 'count=10,bytes=-1'], ['/zookeeper/quota/diff/a/zookeeper_stats', 'count=0,bytes=0'],
];

/** Random operations over a small path universe, learning names from the reference's replies. */
class Generator {
  readonly known = new Set<string>(['/diff']);
  constructor(private readonly rng: Prng) {}

  private path(): string {
    const rng = this.rng;
    if (this.known.size > 1 && rng.chance(0.6)) return rng.pick([...this.known]);
    if (rng.chance(0.02)) return rng.pick(SPECIAL_PATHS);
    let p = '/diff';
    const depth = 1 + rng.below(3);
    for (let i = 0; i < depth; i++) p += '/' + rng.pick(NAMES);
    return rng.chance(0.02) ? p + '/' : p;
  }

  private version(): number {
    return this.rng.chance(0.6) ? -1 : this.rng.below(3);
  }

  private createRecord(): { path: string; data: Buffer | null; acl: Acl[]; flags: number } {
    const rng = this.rng;
    const flags = rng.pick([0, 0, 0, 1, 1, 2, 3]);
    const base = this.path();
    return {
      path: flags >= 2 && rng.chance(0.5) ? base + '/s-' : base,
      data: rng.chance(0.1) ? null : Buffer.from(`d${rng.below(100)}`),
      acl: rng.chance(0.8) ? [WORLD_ALL] : rng.pick(ACLS),
      flags,
    };
  }

  /** One multi sub-op: its writer and a description for failure messages. */
  private subOp(): { label: string; write: (w: JuteWriter) => void } {
    const rng = this.rng;
    const kind = rng.below(4);
    if (kind === 0) {
      const c = this.createRecord();
      return { label: `create ${c.path} f${c.flags}`, write: (w) => {
        R.MultiHeader.write(w, { type: OpCode.create, done: false, err: -1 });
        R.CreateRequest.write(w, c);
      } };
    }
    const path = this.path();
    const version = this.version();
    if (kind === 1) {
      return { label: `delete ${path} v${version}`, write: (w) => {
        R.MultiHeader.write(w, { type: OpCode.delete, done: false, err: -1 });
        R.DeleteRequest.write(w, { path, version });
      } };
    }
    if (kind === 2) {
      const data = Buffer.from(`m${rng.below(100)}`);
      return { label: `setData ${path} v${version}`, write: (w) => {
        R.MultiHeader.write(w, { type: OpCode.setData, done: false, err: -1 });
        R.SetDataRequest.write(w, { path, data, version });
      } };
    }
    return { label: `check ${path} v${version}`, write: (w) => {
      R.MultiHeader.write(w, { type: OpCode.check, done: false, err: -1 });
      R.CheckVersionRequest.write(w, { path, version });
    } };
  }

  next(): Op {
    const rng = this.rng;
    const session = rng.below(SESSIONS);
    const roll = rng.below(100);
    if (roll < 20) {
      const c = this.createRecord();
      const type = rng.chance(0.5) ? OpCode.create : OpCode.create2;
      return { session, type, label: `create ${c.path} f${c.flags}`, write: (w) => R.CreateRequest.write(w, c) };
    }
    const path = this.path();
    const watch = rng.chance(0.4);
    if (roll < 30) {
      const version = this.version();
      return { session, type: OpCode.delete, label: `delete ${path} v${version}`, write: (w) => R.DeleteRequest.write(w, { path, version }) };
    }
    if (roll < 42) {
      const data = Buffer.from(`s${rng.below(1000)}`);
      const version = this.version();
      return { session, type: OpCode.setData, label: `setData ${path} v${version}`, write: (w) => R.SetDataRequest.write(w, { path, data, version }) };
    }
    if (roll < 50) return { session, type: OpCode.exists, label: `exists ${path}${watch ? ' watch' : ''}`, write: (w) => R.ExistsRequest.write(w, { path, watch }) };
    if (roll < 58) {
      const target = rng.chance(0.1) ? QUOTA_STATS : path;
      return { session, type: OpCode.getData, label: `getData ${target}${watch ? ' watch' : ''}`, write: (w) => R.GetDataRequest.write(w, { path: target, watch }) };
    }
    if (roll < 64) return { session, type: OpCode.getChildren, label: `getChildren ${path}${watch ? ' watch' : ''}`, write: (w) => R.GetChildrenRequest.write(w, { path, watch }) };
    if (roll < 68) return { session, type: OpCode.getChildren2, label: `getChildren2 ${path}${watch ? ' watch' : ''}`, write: (w) => R.GetChildren2Request.write(w, { path, watch }) };
    if (roll < 71) return { session, type: OpCode.getACL, label: `getACL ${path}`, write: (w) => R.GetACLRequest.write(w, { path }) };
    if (roll < 74) {
      const acl = rng.pick(ACLS);
      const version = this.version();
      return { session, type: OpCode.setACL, label: `setACL ${path}`, write: (w) => R.SetACLRequest.write(w, { path, acl, version }) };
    }
    if (roll < 82) {
      const subs = Array.from({ length: 1 + rng.below(4) }, () => this.subOp());
      return { session, type: OpCode.multi, label: `multi [${subs.map((o) => o.label).join('; ')}]`, write: (w) => {
        for (const sub of subs) sub.write(w);
        R.MultiHeader.write(w, { type: -1, done: true, err: -1 });
      } };
    }
    if (roll < 85) {
      const paths = [this.path(), this.path()];
      return { session, type: OpCode.multiRead, label: 'multiRead', write: (w) => {
        R.MultiHeader.write(w, { type: OpCode.getData, done: false, err: -1 });
        R.GetDataRequest.write(w, { path: paths[0]!, watch: false });
        R.MultiHeader.write(w, { type: OpCode.getChildren, done: false, err: -1 });
        R.GetChildrenRequest.write(w, { path: paths[1]!, watch: false });
        R.MultiHeader.write(w, { type: -1, done: true, err: -1 });
      } };
    }
    if (roll < 87) {
      const mode = rng.below(2);
      return { session, type: OpCode.addWatch, label: `addWatch ${path} ${mode}`, write: (w) => R.AddWatchRequest.write(w, { path, mode }) };
    }
    if (roll < 89) {
      const type = 1 + rng.below(3);
      // Not checkWatches: ZooKeeper 3.8.0 answers it OK when any connection watches the path
      // (WatchManager.containsWatcher, fixed in 3.9); tszk answers for the caller's own watches.
      const op = OpCode.removeWatches;
      return { session, type: op, label: `${op === OpCode.removeWatches ? 'removeWatches' : 'checkWatches'} ${path} ${type}`, write: (w) => R.RemoveWatchesRequest.write(w, { path, type }) };
    }
    if (roll < 91) {
      const prefixPath = rng.pick(['/', '/diff', '/diff/a']);
      return { session, type: OpCode.getEphemerals, label: `getEphemerals ${prefixPath}`, write: (w) => R.GetEphemeralsRequest.write(w, { prefixPath }) };
    }
    if (roll < 93) return { session, type: OpCode.getAllChildrenNumber, label: `getAllChildrenNumber ${path}`, write: (w) => R.GetAllChildrenNumberRequest.write(w, { path }) };
    if (roll < 94) return { session, type: OpCode.sync, label: `sync ${path}`, write: (w) => R.SyncRequest.write(w, { path }) };
    if (roll < 95) return { session, type: OpCode.whoAmI, label: 'whoAmI' };
    if (roll < 97) {
      const user = rng.pick(['bob:bobpw', 'alice:pw', 'bob:wrong']);
      return { session, type: OpCode.auth, label: `auth ${user}`, write: (w) => R.AuthPacket.write(w, { type: 0, scheme: 'digest', auth: Buffer.from(user) }) };
    }
    if (roll < 98) {
      if (rng.chance(0.6)) return { session, type: OpCode.closeSession, label: 'closeSession' };
      const lists = Array.from({ length: 5 }, () => Array.from({ length: rng.below(3) }, () => this.path()));
      const back = BigInt(rng.below(20));
      const two = rng.chance(0.5);
      return {
        session, type: two ? OpCode.setWatches2 : OpCode.setWatches,
        label: `setWatches${two ? '2' : ''} back=${back} ${JSON.stringify(lists)}`,
        write: (w, lastZxid) => {
          const relativeZxid = lastZxid > back ? lastZxid - back : 0n;
          const [dataWatches, existWatches, childWatches, persistentWatches, persistentRecursiveWatches] = lists as [string[], string[], string[], string[], string[]];
          if (two) R.SetWatches2.write(w, { relativeZxid, dataWatches, existWatches, childWatches, persistentWatches, persistentRecursiveWatches });
          else R.SetWatches.write(w, { relativeZxid, dataWatches, existWatches, childWatches });
        },
      };
    }
    return { session, type: OpCode.ping, label: 'ping' };
  }
}

let zk: ReferenceZooKeeper | undefined;
let tszk: TszkServer | undefined;

before(async () => {
  if (skip) return;
  [zk, tszk] = await Promise.all([startReferenceZooKeeper(), startTszk()]);
});
after(async () => {
  await Promise.all([zk?.stop(), tszk?.stop()]);
});

async function ensureSession(side: Side, index: number, label: string): Promise<RawSession> {
  let s = side.sessions[index];
  if (s === undefined || s.closed) {
    s = await RawSession.open(side.host, side.port);
    side.sessions[index] = s;
    side.labelSession(s.sessionId, label);
  }
  return s;
}

async function runSeed(seed: number, ops: number): Promise<void> {
  const sides = [new Side(zk!.host, zk!.port), new Side(tszk!.host, tszk!.port)];
  const generator = new Generator(new Prng(seed));
  let generation = 0;
  for (const side of sides) {
    const s = await ensureSession(side, 0, 'S0.0');
    await s.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/diff', data: null, acl: [WORLD_ALL], flags: 0 }));
    for (const [path, data] of QUOTA_SETUP) {
      await s.call(OpCode.create, (w) => R.CreateRequest.write(w, { path, data: data === null ? null : Buffer.from(data), acl: [WORLD_ALL], flags: 0 }));
    }
  }
  const history: string[] = [];
  for (let i = 0; i < ops; i++) {
    const op = generator.next();
    generation++;
    const perSide: string[][] = sides.map(() => []);
    for (let k = 0; k < sides.length; k++) {
      const side = sides[k]!;
      const results = perSide[k]!;
      const wasOpen = side.sessions[op.session] !== undefined;
      const session = await ensureSession(side, op.session, `S${op.session}.${generation}`);
      // A session the server dropped on its own shows here (both sides must agree on it).
      if (wasOpen && session.stream.length === 0) results.push('(session was reopened)');
      const marks = side.sessions.map((s) => s?.stream.length ?? 0);
      const xid = op.type === OpCode.auth ? -4 : op.type === OpCode.ping ? -2 : i + 10;
      const lastZxid = session.stream.reduce((z, m) => (m.xid !== -1 && m.zxid > z ? m.zxid : z), 0n);
      const write = op.write;
      const reply = await session.call(op.type, write === undefined ? undefined : (w) => write(w, lastZxid), op.type === OpCode.setWatches || op.type === OpCode.setWatches2 ? -8 : xid);
      if (op.type === OpCode.closeSession) await session.waitClosed();
      // The op's own session: events (if any) and the reply, in arrival order.
      const own = session.stream.slice(marks[op.session]).map((m) => (m.xid === -1 ? render(side, 0, m) : `${op.label} -> ${render(side, op.type, m)}`));
      // A closing session's ephemerals go in ZooKeeper's hash-set order: its events are a set.
      if (op.type === OpCode.closeSession) own.splice(0, own.length - 1, ...own.slice(0, -1).sort());
      results.push(own.join('\n    '));
      if (op.type === OpCode.closeSession || (op.type === OpCode.auth && reply.err !== 0)) side.sessions[op.session] = undefined;
      if (WRITES.has(op.type)) results.push(await eventsElsewhere(side, op.session, marks, op.type === OpCode.closeSession));
      if (k === 0 && reply.err === 0 && (op.type === OpCode.create || op.type === OpCode.create2)) {
        const path = new JuteReader(reply.body, 0, reply.body.length, Infinity).readString();
        if (path !== null) generator.known.add(path);
      }
    }
    if (process.env.DIFF_CHECK_WATCHES !== undefined) {
      // Debugging aid: compare both servers' watch tables (wchp) after every op.
      for (let k = 0; k < sides.length; k++) perSide[k]!.push(await watchTable(sides[k]!));
    }
    const zookeeper = perSide[0]!.join('\n    ');
    const tszkResult = perSide[1]!.join('\n    ');
    if (zookeeper !== tszkResult && process.env.DIFF_DEBUG !== undefined) {
      await new Promise((r) => setTimeout(r, 500));
      for (let k = 0; k < sides.length; k++) {
        const side = sides[k]!;
        if (k === 0) console.log(zk!.logTail().split('\n').filter((l) => /WARN|ERROR|Exception/.test(l)).slice(-20).join('\n'));
        side.sessions.forEach((s, index) => console.log(`side ${k} S${index} closed=${s?.closed} tail:`, s?.stream.slice(-6).map((m) => (m.xid === -1 ? render(side, 0, m) : `xid=${m.xid}`)).join(' / ')));
      }
    }
    if (zookeeper !== tszkResult) {
      const logFile = process.env.DIFF_LOG;
      if (logFile !== undefined) writeFileSync(logFile, history.join('\n') + '\n');
      const dumps = await Promise.all(sides.map((side) => fourLetterWord(side.host, side.port, 'dump').catch((e: Error) => e.message)));
      assert.fail(`dump: zookeeper:\n${dumps[0]}\ndump: tszk:\n${dumps[1]}\n` + `seed ${seed} op ${i} S${op.session}: ${op.label}\n  zookeeper: ${zookeeper}\n  tszk:      ${tszkResult}\nrecent ops (session: op -> zookeeper's result):\n${history.slice(-15).join('\n')}`);
    }
    history.push(`  ${i} S${op.session}: ${zookeeper}`);
  }
  // Close every session the same way on both sides: nothing is left to expire at different times.
  for (const side of sides) {
    for (const s of side.sessions) {
      if (s === undefined) continue;
      await s.call(OpCode.closeSession, undefined, 1);
      await s.waitClosed();
    }
    side.sessions = [];
  }
}

/** `wchp` with session ids replaced by this side's session labels, sorted. */
async function watchTable(side: Side): Promise<string> {
  const text = await fourLetterWord(side.host, side.port, 'wchp');
  const out: string[] = [];
  let path = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('\t')) out.push(`${path}=${side.owner(BigInt(line.trim()))}`);
    else if (line !== '') path = line;
  }
  return `watches: ${out.sort().join(' ')}`;
}

/** Ops after which other sessions may receive events. */
const WRITES = new Set<number>([OpCode.setWatches, OpCode.setWatches2, OpCode.create, OpCode.create2, OpCode.delete, OpCode.setData, OpCode.setACL, OpCode.multi, OpCode.closeSession]);

/**
 * The watch events other sessions received because of one op: a ping on each is answered only
 * after every event written to it before. A session close deletes its ephemerals in hash-set
 * order in ZooKeeper, so those events are compared as a set.
 */
async function eventsElsewhere(side: Side, except: number, marks: number[], unordered: boolean): Promise<string> {
  const parts: string[] = [];
  for (let index = 0; index < side.sessions.length; index++) {
    const s = side.sessions[index];
    if (s === undefined || index === except || s.closed) continue;
    await s.call(OpCode.ping, undefined, -2);
    const events = s.stream.slice(marks[index] ?? 0).filter((m) => m.xid === -1).map((m) => render(side, 0, m));
    if (unordered) events.sort();
    if (events.length > 0) parts.push(`S${index} events: ${events.join(', ')}`);
  }
  return parts.join('; ');
}

test('random operation sequences give identical results on tszk and ZooKeeper 3.8', { skip, timeout: 20 * 60_000 }, async () => {
  for (const seed of SEEDS) {
    try {
      await runSeed(seed, Math.ceil(OPS_TOTAL / SEEDS.length));
    } catch (e) {
      // Say what each server logged last: a closed connection is explained there.
      (e as Error).message += `\n--- tszk log tail ---\n${tszk!.output().slice(-3000)}\n--- zookeeper log tail ---\n${zk!.logTail().slice(-3000)}`;
      throw e;
    }
  }
});
