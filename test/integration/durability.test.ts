// Proves that an acknowledged write survives kill -9: 20 rounds of a pipelined stream of creates
// and setDatas, the server killed at a random moment, restarted on the same data dir, and every
// write that was acknowledged before the kill is there with its data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';
import { JuteReader } from '../../src/jute/reader.js';
import { Prng } from '../../src/util/prng.js';
import { RawSession } from '../support/raw-session.js';
import { startTszk } from '../support/tszk-server.js';

const ROUNDS = 20;
const WINDOW = 64;
const WORLD = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

test('no acknowledged write is lost across 20 rounds of kill -9', { timeout: 10 * 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tszk-durability-'));
  const rng = new Prng(20261123);
  const acked = new Map<string, string>();
  let port = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const server = await startTszk({ dataDir, port, config: { snapCount: '500' } });
      port = server.port;
      const session = await RawSession.open(server.host, server.port);
      if (round === 0) await session.call(OpCode.create, (w) => R.CreateRequest.write(w, { path: '/dur', data: null, acl: WORLD, flags: 0 }));
      const killAfterMs = 50 + rng.below(400);
      let stop = false;
      const killer = new Promise<void>((resolve) => setTimeout(() => {
        stop = true;
        void server.kill().then(resolve);
      }, killAfterMs));
      let n = 0;
      const inflight = new Set<Promise<void>>();
      while (!stop) {
        const path = `/dur/r${round}-${n}`;
        const value = `v${round}-${n}`;
        n++;
        const p = session.call(OpCode.create, (w) => R.CreateRequest.write(w, { path, data: Buffer.from(value), acl: WORLD, flags: 0 }))
          .then((reply) => {
            if (reply.err === 0) acked.set(path, value);
          }, () => undefined)
          .finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= WINDOW) await Promise.race(inflight);
      }
      await killer;
      await Promise.allSettled(inflight);
      session.close();

      const check = await startTszk({ dataDir, port });
      const reader = await RawSession.open(check.host, check.port);
      for (const [path, value] of acked) {
        const reply = await reader.call(OpCode.getData, (w) => R.GetDataRequest.write(w, { path, watch: false }));
        assert.equal(reply.err, 0, `round ${round}: acknowledged ${path} is missing after kill -9`);
        const data = R.GetDataResponse.read(new JuteReader(reply.body, 0, reply.body.length, Infinity)).data;
        assert.equal(data?.toString(), value, `round ${round}: ${path} has the wrong data`);
      }
      reader.close();
      await check.kill();
    }
    assert.ok(acked.size > ROUNDS * 10, `only ${acked.size} writes were acknowledged; the test did not exercise much`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
