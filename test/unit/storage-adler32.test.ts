// Proves Adler-32 matches RFC 1950 / java.util.zip.Adler32: known values, a naive reference on
// random inputs (long enough to cross the modulo-reduction runs), and running continuation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { adler32, ADLER32_INITIAL } from '../../src/storage/adler32.js';

function naive(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

test('known values', () => {
  assert.equal(adler32(Buffer.alloc(0)), 1);
  assert.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398);
  assert.equal(adler32(Buffer.from('abc')), 0x024d0127);
  // All 0xff bytes make the sums overflow fastest.
  assert.equal(adler32(Buffer.alloc(100_000, 0xff)), naive(Buffer.alloc(100_000, 0xff)));
});

test('equals a naive implementation on random inputs of many lengths', () => {
  for (const length of [1, 2, 15, 3799, 3800, 3801, 5551, 5552, 5553, 7600, 11104, 65536, 200_001]) {
    const data = randomBytes(length);
    assert.equal(adler32(data), naive(data), `length ${length}`);
  }
});

test('sums at their largest: runs of 0xff bytes continued from a checksum whose halves are near the modulus', () => {
  // A random prefix walked until both running sums are close to 65521, then whole runs of the
  // largest byte: the int32 sums reach their bound (see RUN_BYTES_MAX) and must not wrap.
  const prefix = randomBytes(2_000_000);
  let a = 1;
  let b = 0;
  for (let length = 1; length <= prefix.length; length++) {
    a = (a + prefix[length - 1]!) % 65521;
    b = (b + a) % 65521;
    if (a < 65300 || b < 65300) continue;
    const data = Buffer.concat([prefix.subarray(0, length), Buffer.alloc(20_000, 0xff)]);
    const previous = ((b << 16) | a) >>> 0;
    assert.equal(previous, naive(prefix.subarray(0, length)));
    assert.equal(adler32(data, previous, length, data.length), naive(data));
    return;
  }
  assert.fail('no prefix gave both sums near the modulus');
});

test('a running checksum over slices equals the checksum of the whole', () => {
  const data = randomBytes(30_000);
  for (const cut of [0, 1, 5552, 12_345, 29_999, 30_000]) {
    const running = adler32(data, adler32(data, ADLER32_INITIAL, 0, cut), cut, data.length);
    assert.equal(running, adler32(data), `cut at ${cut}`);
  }
});
