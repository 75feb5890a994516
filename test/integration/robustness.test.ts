// Proves the server survives hostile input: 100,000 malformed or mutated frames (garbage before
// the handshake, bad lengths, truncated and bit-flipped records, unknown op codes) from many
// connections while an honest client keeps working; the server never crashes, the honest
// session never notices, and the server's memory stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { JuteWriter } from '../../src/jute/writer.js';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';
import { Prng } from '../../src/util/prng.js';
import { RawSession, withLength } from '../support/raw-session.js';
import { startTszk } from '../support/tszk-server.js';
import { connectBody } from '../support/wire.js';
import { FrameDecoder } from '../../src/jute/frame-decoder.js';
import { JuteReader } from '../../src/jute/reader.js';

const FRAMES_TOTAL = 100_000;
const FRAMES_PER_CONNECTION = 200;
const PARALLEL = 8;
const RSS_LIMIT_BYTES = 512 * 1024 * 1024;
const WORLD = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** Valid request payloads (no length prefix) to mutate. */
function seeds(): Buffer[] {
  const make = (type: number, write: (w: JuteWriter) => void): Buffer => {
    const w = new JuteWriter();
    R.RequestHeader.write(w, { xid: 7, type });
    write(w);
    return w.toBuffer();
  };
  return [
    make(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/fuzz/x', data: Buffer.from('abc'), acl: WORLD, flags: 3 })),
    make(OpCode.setData, (w) => R.SetDataRequest.write(w, { path: '/fuzz', data: Buffer.from('zz'), version: -1 })),
    make(OpCode.getChildren2, (w) => R.GetChildren2Request.write(w, { path: '/', watch: true })),
    make(OpCode.setACL, (w) => R.SetACLRequest.write(w, { path: '/fuzz', acl: WORLD, version: -1 })),
    make(OpCode.multi, (w) => {
      R.MultiHeader.write(w, { type: OpCode.create, done: false, err: -1 });
      R.CreateRequest.write(w, { path: '/fuzz/m', data: null, acl: WORLD, flags: 0 });
      R.MultiHeader.write(w, { type: OpCode.delete, done: false, err: -1 });
      R.DeleteRequest.write(w, { path: '/fuzz/m', version: -1 });
      R.MultiHeader.write(w, { type: -1, done: true, err: -1 });
    }),
    make(OpCode.setWatches2, (w) => R.SetWatches2.write(w, { relativeZxid: 0n, dataWatches: ['/a'], existWatches: [], childWatches: ['/'], persistentWatches: [], persistentRecursiveWatches: ['/fuzz'] })),
    make(OpCode.auth, (w) => R.AuthPacket.write(w, { type: 0, scheme: 'digest', auth: Buffer.from('u:p') })),
    make(OpCode.addWatch, (w) => R.AddWatchRequest.write(w, { path: '/fuzz', mode: 1 })),
  ];
}

function mutate(rng: Prng, payload: Buffer): Buffer {
  const out = Buffer.from(payload);
  // Kinds 0, 1, 3 and 4 get an error reply and leave the connection open; 2 and 5 close it, so
  // they are rarer to let each connection carry many frames.
  const kind = rng.chance(0.04) ? rng.pick([2, 5]) : rng.pick([0, 1, 3, 4]);
  switch (kind) {
    case 0: // flip bits
      for (let i = 0, n = 1 + rng.below(4); i < n; i++) out[rng.below(out.length)]! ^= 1 << rng.below(8);
      return withLength(out);
    case 1: // truncate the record
      return withLength(out.subarray(0, rng.below(out.length)));
    case 2: // unknown or internal op code
      out.writeInt32BE(rng.pick([-10, 20, 102, 999, -77, 0x7fffffff]), 4);
      return withLength(out);
    case 3: { // absurd inner length
      const at = 8 + rng.below(Math.max(1, out.length - 12));
      out.writeInt32BE(rng.pick([-2, 0x7fffffff, 0x100000, -0x80000000]), Math.min(at, out.length - 4));
      return withLength(out);
    }
    case 4: // random bytes
      return withLength(Buffer.from(Array.from({ length: rng.below(64) }, () => rng.below(256))));
    default: // the frame length lies
      return Buffer.concat([Buffer.from([rng.below(256), rng.below(256), rng.below(256), rng.below(256)]), out]);
  }
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match === null ? 0 : Number(match[1]) * 1024;
}

/**
 * One hostile connection: maybe garbage first, else a handshake, then mutated frames. Resolves
 * with the number of hostile frames the server demonstrably processed: one per reply it sent,
 * plus the frame that made it close the connection.
 */
function attack(port: number, rng: Prng, pool: Buffer[]): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const decoder = new FrameDecoder(1 << 24);
    let replies = -1;
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(Math.max(0, replies) + (closedByServer ? 1 : 0));
    };
    const timer = setTimeout(() => finish(false), 5_000);
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    socket.on('data', (chunk: Buffer) => {
      try {
        replies += decoder.push(chunk).length;
      } catch {
        finish(true);
      }
      if (replies >= FRAMES_PER_CONNECTION) finish(false);
    });
    socket.on('connect', () => {
      const chunks: Buffer[] = [];
      if (rng.chance(0.1)) {
        chunks.push(Buffer.from(Array.from({ length: 4 + rng.below(40) }, () => rng.below(256))));
      } else {
        chunks.push(withLength(connectBody(0n, Buffer.alloc(16), 10_000, 0n, rng.chance(0.5))));
        for (let i = 0; i < FRAMES_PER_CONNECTION; i++) chunks.push(mutate(rng, rng.pick(pool)));
      }
      const all = Buffer.concat(chunks);
      // Deliver in random-sized pieces so frames split at arbitrary offsets.
      let offset = 0;
      while (offset < all.length) {
        const size = 1 + rng.below(2048);
        socket.write(all.subarray(offset, offset + size));
        offset += size;
      }
    });
  });
}

test('100,000 hostile frames do not crash the server or disturb an honest client', { timeout: 10 * 60_000 }, async () => {
  const server = await startTszk({ config: { maxClientCnxns: '0' } });
  try {
    const honest = await RawSession.open(server.host, server.port);
    await honest.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/fuzz', data: null, acl: WORLD, flags: 0 }));
    // The honest client's own node is digest-protected: hostile frames may legitimately change
    // /fuzz (its ACL included), but nothing they send can authenticate as `honest`.
    const auth = await honest.call(OpCode.auth, (w) => R.AuthPacket.write(w, { type: 0, scheme: 'digest', auth: Buffer.from('honest:secret') }), -4);
    assert.equal(auth.err, 0);
    const created = await honest.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/honest', data: null, acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }], flags: 0 }));
    assert.equal(created.err, 0);
    const rng = new Prng(7);
    const pool = seeds();
    let processed = 0;
    let connections = 0;
    let honestOps = 0;
    let rssMax = 0;
    let honestRunning = true;
    const honestLoop = (async () => {
      while (honestRunning) {
        const value = Buffer.from(`n${honestOps}`);
        const set = await honest.call(OpCode.setData, (w) => R.SetDataRequest.write(w, { path: '/honest', data: value, version: -1 }));
        assert.equal(set.err, 0);
        const get = await honest.call(OpCode.getData, (w) => R.GetDataRequest.write(w, { path: '/honest', watch: false }));
        assert.equal(get.err, 0);
        assert.equal(R.GetDataResponse.read(new JuteReader(get.body, 0, get.body.length, Infinity)).data?.toString(), value.toString());
        honestOps++;
      }
    })();
    while (processed < FRAMES_TOTAL) {
      assert.ok(connections < FRAMES_TOTAL, 'the server processes almost nothing of what it is sent');
      const batch = await Promise.all(Array.from({ length: PARALLEL }, () => attack(server.port, rng, pool)));
      connections += PARALLEL;
      processed += batch.reduce((a, b) => a + b, 0);
      rssMax = Math.max(rssMax, rssOf(server.process.pid!));
      assert.equal(server.process.exitCode, null, `server exited:\n${server.output()}`);
    }
    honestRunning = false;
    await honestLoop;
    assert.ok(honestOps > 10, `the honest client made only ${honestOps} round trips`);
    assert.ok(rssMax < RSS_LIMIT_BYTES, `server RSS reached ${rssMax} bytes`);
    const after = await RawSession.open(server.host, server.port);
    const check = await after.call(OpCode.exists, (w) => R.ExistsRequest.write(w, { path: '/honest', watch: false }));
    assert.equal(check.err, 0);
    after.close();
    honest.close();
  } finally {
    await server.stop();
  }
});

test('a client that never reads its replies cannot run the server out of memory', { timeout: 5 * 60_000 }, async () => {
  const server = await startTszk({ config: { maxClientCnxns: '0' } });
  try {
    const setup = await RawSession.open(server.host, server.port);
    const big = Buffer.alloc(512 * 1024, 7);
    assert.equal((await setup.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/big', data: big, acl: WORLD, flags: 0 }))).err, 0);
    // A greedy reader: sends getData of 512 KiB over and over and never reads (paused socket).
    const greedy = net.connect({ host: server.host, port: server.port });
    await new Promise<void>((resolve) => greedy.once('connect', () => resolve()));
    greedy.on('error', () => undefined);
    greedy.pause();
    greedy.write(withLength(connectBody(0n, Buffer.alloc(16), 30_000)));
    const request = (() => {
      const w = new JuteWriter();
      R.RequestHeader.write(w, { xid: 1, type: OpCode.getData });
      R.GetDataRequest.write(w, { path: '/big', watch: false });
      return withLength(w.toBuffer());
    })();
    const batch = Buffer.concat(Array.from({ length: 100 }, () => request));
    let rssMax = 0;
    // 4,000 requests would owe 2 GiB of replies: the server must stop reading, or drop the peer.
    for (let i = 0; i < 40 && !greedy.destroyed; i++) {
      greedy.write(batch);
      await new Promise((r) => setTimeout(r, 50));
      rssMax = Math.max(rssMax, rssOf(server.process.pid!));
    }
    const ok = await setup.call(OpCode.exists, (w) => R.ExistsRequest.write(w, { path: '/big', watch: false }));
    assert.equal(ok.err, 0, 'other sessions are served meanwhile');
    assert.ok(rssMax < 400 * 1024 * 1024, `server RSS reached ${rssMax} bytes`);
    greedy.destroy();
    setup.close();
  } finally {
    await server.stop();
  }
});
