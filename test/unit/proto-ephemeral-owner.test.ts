// Proves ephemeralKindOf tells the four kinds of ephemeralOwner apart as ZooKeeper's
// EphemeralType does (high byte 0xFF: TTL; Long.MIN_VALUE: container; 0: persistent), over the
// edges of each range and random 64-bit values compared with the masked form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EphemeralOwner, ephemeralKindOf, ttlEphemeralOwner } from '../../src/proto/defs.js';
import { prng } from './storage-test-helpers.js';

/** The definition: the high byte all ones, as `(owner & 0xFF00000000000000L) == 0xFF00000000000000L`. */
function maskedKind(owner: bigint): string {
  if (owner === 0n) return 'void';
  if (owner === EphemeralOwner.container) return 'container';
  return (BigInt.asUintN(64, owner) & 0xff00_0000_0000_0000n) === 0xff00_0000_0000_0000n ? 'ttl' : 'normal';
}

test('the edges of each kind', () => {
  assert.equal(ephemeralKindOf(0n), 'void');
  assert.equal(ephemeralKindOf(-0x8000_0000_0000_0000n), 'container');
  assert.equal(ephemeralKindOf(ttlEphemeralOwner(1n)), 'ttl');
  assert.equal(ephemeralKindOf(ttlEphemeralOwner(0xff_ffff_ffffn)), 'ttl');
  assert.equal(ephemeralKindOf(-(2n ** 56n)), 'ttl');
  assert.equal(ephemeralKindOf(-1n), 'ttl');
  assert.equal(ephemeralKindOf(-(2n ** 56n) - 1n), 'normal');
  assert.equal(ephemeralKindOf(-0x8000_0000_0000_0000n + 1n), 'normal');
  assert.equal(ephemeralKindOf(1n), 'normal');
  assert.equal(ephemeralKindOf(0x01_00_0000_0000_0001n), 'normal');
  assert.equal(ephemeralKindOf(2n ** 63n - 1n), 'normal');
});

test('equals the masked definition on random signed 64-bit values', () => {
  const random = prng(11);
  for (let i = 0; i < 20_000; i++) {
    const high = BigInt(Math.floor(random() * 2 ** 32));
    const low = BigInt(Math.floor(random() * 2 ** 32));
    // Half of them forced into the top byte 0xFE..0xFF, where the ranges meet.
    const bits = i % 2 === 0 ? (high << 32n) | low : ((0xfen + BigInt(i % 4 === 1 ? 1 : 0)) << 56n) | ((high & 0xff_ffffn) << 32n) | low;
    const owner = BigInt.asIntN(64, bits);
    assert.equal(ephemeralKindOf(owner), maskedKind(owner), `0x${BigInt.asUintN(64, owner).toString(16)}`);
  }
});
