/**
 * Adler-32 (RFC 1950), the checksum ZooKeeper puts on every txn-log record and at the end of
 * every snapshot (java.util.zip.Adler32). Pure.
 */

/** The checksum of no bytes; pass it as `previous` to start a running checksum. */
export const ADLER32_INITIAL = 1;

const MODULUS = 65521;
/**
 * Largest run of bytes whose sums stay below 2^31 before reduction, so that they can be kept in
 * int32 arithmetic: with a, b < 65521 at the start of a run of n bytes of at most 255,
 * b grows by at most n * 65520 + 255 * n(n + 1) / 2, which is < 2^31 - 65521 for n = 3800.
 * (zlib's NMAX, 5552, is the bound for unsigned 32-bit sums.)
 */
const RUN_BYTES_MAX = 3800;

/**
 * Continues the checksum `previous` over `data[start, end)`; returns an unsigned 32-bit value.
 * `adler32(b)` is Java's `new Adler32().update(b).getValue()`.
 */
export function adler32(data: Uint8Array, previous = ADLER32_INITIAL, start = 0, end = data.length): number {
  let a = previous & 0xffff;
  let b = (previous >>> 16) & 0xffff;
  let index = start;
  while (index < end) {
    const runEnd = Math.min(end, index + RUN_BYTES_MAX);
    // Eight bytes per step: a gains their sum, b gains 8a plus each byte weighted by how many
    // of the eight sums it is part of (8 for the first, 1 for the last). `| 0` keeps V8 on
    // int32 arithmetic, exact within a run (see RUN_BYTES_MAX).
    const unrolledEnd = runEnd - ((runEnd - index) & 7);
    for (; index < unrolledEnd; index += 8) {
      const x0 = data[index]!, x1 = data[index + 1]!, x2 = data[index + 2]!, x3 = data[index + 3]!;
      const x4 = data[index + 4]!, x5 = data[index + 5]!, x6 = data[index + 6]!, x7 = data[index + 7]!;
      b = (b + (a << 3) + (x0 << 3) + 7 * x1 + 6 * x2 + 5 * x3 + (x4 << 2) + 3 * x5 + (x6 << 1) + x7) | 0;
      a = (a + x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7) | 0;
    }
    for (; index < runEnd; index++) {
      a = (a + data[index]!) | 0;
      b = (b + a) | 0;
    }
    a %= MODULUS;
    b %= MODULUS;
  }
  return ((b << 16) | a) >>> 0;
}
