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
  switch (rng.below(6)) {
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

/** One hostile connection: maybe garbage first, else a handshake, then mutated frames. */
function attack(port: number, rng: Prng, pool: Buffer[]): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let sent = 0;
    const finish = () => {
      socket.destroy();
      resolve(sent);
    };
    const timer = setTimeout(finish, 5_000);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(sent);
    });
    socket.on('data', () => undefined);
    socket.on('connect', () => {
      const chunks: Buffer[] = [];
      if (rng.chance(0.1)) {
        chunks.push(Buffer.from(Array.from({ length: 4 + rng.below(40) }, () => rng.below(256))));
        sent++;
      } else {
        chunks.push(withLength(connectBody(0n, Buffer.alloc(16), 10_000, 0n, rng.chance(0.5))));
        for (let i = 0; i < FRAMES_PER_CONNECTION; i++) {
          chunks.push(mutate(rng, rng.pick(pool)));
          sent++;
        }
      }
      const all = Buffer.concat(chunks);
      // Deliver in random-sized pieces so frames split at arbitrary offsets.
      let offset = 0;
      while (offset < all.length) {
        const size = 1 + rng.below(2048);
        socket.write(all.subarray(offset, offset + size));
        offset += size;
      }
      socket.end();
    });
  });
}

test('100,000 hostile frames do not crash the server or disturb an honest client', { timeout: 10 * 60_000 }, async () => {
  const server = await startTszk({ config: { maxClientCnxns: '0' } });
  try {
    const honest = await RawSession.open(server.host, server.port);
    await honest.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/fuzz', data: null, acl: WORLD, flags: 0 }));
    const rng = new Prng(7);
    const pool = seeds();
    let sent = 0;
    let honestOps = 0;
    let rssMax = 0;
    let honestRunning = true;
    const honestLoop = (async () => {
      while (honestRunning) {
        const value = Buffer.from(`n${honestOps}`);
        const set = await honest.call(OpCode.setData, (w) => R.SetDataRequest.write(w, { path: '/fuzz', data: value, version: -1 }));
        assert.equal(set.err, 0);
        const get = await honest.call(OpCode.getData, (w) => R.GetDataRequest.write(w, { path: '/fuzz', watch: false }));
        assert.equal(get.err, 0);
        honestOps++;
      }
    })();
    while (sent < FRAMES_TOTAL) {
      const batch = await Promise.all(Array.from({ length: PARALLEL }, () => attack(server.port, rng, pool)));
      sent += batch.reduce((a, b) => a + b, 0);
      rssMax = Math.max(rssMax, rssOf(server.process.pid!));
      assert.equal(server.process.exitCode, null, `server exited:\n${server.output()}`);
    }
    honestRunning = false;
    await honestLoop;
    assert.ok(honestOps > 10, `the honest client made only ${honestOps} round trips`);
    assert.ok(rssMax < RSS_LIMIT_BYTES, `server RSS reached ${rssMax} bytes`);
    const after = await RawSession.open(server.host, server.port);
    const check = await after.call(OpCode.exists, (w) => R.ExistsRequest.write(w, { path: '/fuzz', watch: false }));
    assert.equal(check.err, 0);
    after.close();
    honest.close();
  } finally {
    await server.stop();
  }
});
