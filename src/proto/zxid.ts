/**
 * zxid = epoch << 32 | counter. This module owns that arithmetic; nothing else shifts zxids.
 */
export type Zxid = bigint & { readonly __brand?: 'Zxid' };

const counterMask = 0xffff_ffffn;

export function makeZxid(epoch: bigint | number, counter: bigint | number): Zxid {
  return (BigInt(epoch) << 32n) | (BigInt(counter) & counterMask);
}

export function epochOf(zxid: Zxid): bigint {
  return zxid >> 32n;
}

export function counterOf(zxid: Zxid): bigint {
  return zxid & counterMask;
}

/** True when the counter can no longer advance within this epoch. */
export function isCounterExhausted(zxid: Zxid): boolean {
  return counterOf(zxid) === counterMask;
}

/** `0x<hex>` as ZooKeeper prints zxids (Long.toHexString, no padding). */
export function zxidHex(zxid: bigint): string {
  return '0x' + BigInt.asUintN(64, zxid).toString(16);
}
