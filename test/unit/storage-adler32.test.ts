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
  for (const length of [1, 2, 15, 5551, 5552, 5553, 11104, 65536, 200_001]) {
    const data = randomBytes(length);
    assert.equal(adler32(data), naive(data), `length ${length}`);
  }
});

test('a running checksum over slices equals the checksum of the whole', () => {
  const data = randomBytes(30_000);
  for (const cut of [0, 1, 5552, 12_345, 29_999, 30_000]) {
    const running = adler32(data, adler32(data, ADLER32_INITIAL, 0, cut), cut, data.length);
    assert.equal(running, adler32(data), `cut at ${cut}`);
  }
});
