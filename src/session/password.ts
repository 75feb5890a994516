/**
 * Session passwords as ZooKeeper makes them: `new java.util.Random(sessionId ^ 0xB3415C00L)`
 * fills 16 bytes. Deterministic, so any server can check a password without storing it.
 */
const multiplier = 0x5deece66dn;
const mask48 = (1n << 48n) - 1n;
const superSecret = 0xb3415c00n;

/** java.util.Random, enough of it for nextBytes. */
class JavaRandom {
  private seed: bigint;

  constructor(seed: bigint) {
    this.seed = (BigInt.asUintN(64, seed) ^ multiplier) & mask48;
  }

  nextInt(): number {
    this.seed = (this.seed * multiplier + 0xbn) & mask48;
    return Number(BigInt.asIntN(32, this.seed >> 16n));
  }

  nextBytes(out: Buffer): void {
    let i = 0;
    while (i < out.length) {
      let rnd = this.nextInt();
      for (let n = Math.min(out.length - i, 4); n-- > 0; rnd >>= 8) out[i++] = rnd & 0xff;
    }
  }
}

export const PASSWORD_BYTES = 16;

/** The password of session `sessionId`. */
export function sessionPassword(sessionId: bigint): Buffer {
  const out = Buffer.alloc(PASSWORD_BYTES);
  new JavaRandom(sessionId ^ superSecret).nextBytes(out);
  return out;
}

/** Does `passwd` match the session's password? */
export function checkPassword(sessionId: bigint, passwd: Buffer | null): boolean {
  return sessionId !== 0n && passwd !== null && passwd.equals(sessionPassword(sessionId));
}
