/**
 * Seeded random jute values for round-trip property tests: a failure reproduces from its seed.
 * Values lean on edges (0, -1, min/max ints and longs, empty and multi-byte strings).
 */
import type { Acl, Stat } from '../../src/proto/data.js';
import { OpCode } from '../../src/proto/op-code.js';
import type { SubTxnBody, TxnBody } from '../../src/proto/txn.js';
import { seededRandom } from './seeded-random.js';

/** mulberry32: tiny, seeded, good enough to pick random shapes reproducibly. */
export function prng(seed: number) {
  const next = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const int32 = () => pick([0, -1, 1, 0x7fffffff, -0x80000000, int(-1000, 1000), (next() * 2 ** 32) | 0]);
  const long = () => pick([0n, -1n, 1n, (1n << 63n) - 1n, -(1n << 63n), BigInt(int32()), BigInt.asIntN(64, (BigInt(int32()) << 32n) ^ BigInt(int32() >>> 0))]);
  const bytes = (max = 40) => Buffer.from(Array.from({ length: int(0, max) }, () => int(0, 255)));
  const string = () => pick(['', '/', '/a/b', 'héllo', '日本語/ノード', '\u{1F600}', 'x'.repeat(int(0, 300)), `/n${int(0, 1e6)}`]);
  return { next, int, pick, int32, long, bytes, string, bool: () => next() < 0.5 };
}
export type Rng = ReturnType<typeof prng>;

export const randomAcl = (g: Rng): Acl => ({ perms: g.int(0, 31), id: { scheme: g.pick(['world', 'digest', 'ip', 'auth', 'sasl']), id: g.string() } });
export const randomAcls = (g: Rng) => Array.from({ length: g.int(0, 4) }, () => randomAcl(g));
export const randomStat = (g: Rng): Stat => ({
  czxid: g.long(), mzxid: g.long(), ctime: g.long(), mtime: g.long(), version: g.int32(), cversion: g.int32(), aversion: g.int32(),
  ephemeralOwner: g.long(), dataLength: g.int32(), numChildren: g.int32(), pzxid: g.long(),
});
export const randomCreate = (g: Rng) => ({ path: g.string(), data: g.pick([null, g.bytes()]), acl: g.pick([null, randomAcls(g)]), flags: g.int(0, 6) });

export function randomSubTxn(g: Rng): SubTxnBody {
  const path = g.string();
  switch (g.int(0, 6)) {
    case 0: return { type: g.pick([OpCode.create, OpCode.create2] as const), path, data: g.pick([null, g.bytes()]), acl: randomAcls(g), ephemeral: g.bool(), parentCVersion: g.int32() };
    case 1: return { type: OpCode.createTTL, path, data: g.pick([null, g.bytes()]), acl: randomAcls(g), parentCVersion: g.int32(), ttl: g.long() };
    case 2: return { type: OpCode.createContainer, path, data: g.pick([null, g.bytes()]), acl: randomAcls(g), parentCVersion: g.int32() };
    case 3: return { type: g.pick([OpCode.delete, OpCode.deleteContainer] as const), path };
    case 4: return { type: OpCode.setData, path, data: g.pick([null, g.bytes()]), version: g.int32() };
    case 5: return { type: OpCode.check, path, version: g.int32() };
    default: return { type: OpCode.error, err: g.int32() };
  }
}

export function randomTxnBody(g: Rng): TxnBody {
  switch (g.int(0, 4)) {
    case 0: return { type: OpCode.setACL, path: g.string(), acl: randomAcls(g), version: g.int32() };
    case 1: return { type: OpCode.createSession, timeOut: g.int32() };
    case 2: return { type: OpCode.closeSession, paths2Delete: Array.from({ length: g.int(0, 3) }, () => g.string()) };
    case 3: return { type: OpCode.multi, txns: Array.from({ length: g.int(0, 5) }, () => randomSubTxn(g)) };
    default: return randomSubTxn(g);
  }
}
