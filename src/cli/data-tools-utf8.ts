/**
 * `new String(bytes, StandardCharsets.UTF_8)` exactly as Java 17 decodes it (String.decodeUTF8_UTF16),
 * which ZooKeeper's tools use for every path and every piece of data they print. It replaces
 * malformed input with U+FFFD like Node does, but groups the bad bytes differently.
 */
const REPLACEMENT = 0xfffd;
const signed = (byte: number) => (byte << 24) >> 24;
const notContinuation = (b: number) => (b & 0xc0) !== 0x80;

/** String.isMalformed3: an overlong E0 lead or a missing continuation byte. */
function isMalformed3(b1: number, b2: number, b3: number): boolean {
  return (b1 === signed(0xe0) && (b2 & 0xe0) === 0x80) || notContinuation(b2) || notContinuation(b3);
}

/** String.malformed3: how many bytes one replacement stands for (1 or 2). */
function malformed3Length(b1: number, b2: number): number {
  return (b1 === signed(0xe0) && (b2 & 0xe0) === 0x80) || notContinuation(b2) ? 1 : 2;
}

/** String.malformed4: how many bytes one replacement stands for (1 to 3). */
function malformed4Length(u1: number, u2: number, b3: number): number {
  if (u1 > 0xf4 || (u1 === 0xf0 && (u2 < 0x90 || u2 > 0xbf)) || (u1 === 0xf4 && (u2 & 0xf0) !== 0x80) || notContinuation(u2)) return 1;
  return notContinuation(b3) ? 2 : 3;
}

/**
 * `new String(bytes, UTF_8)` as Java 17 decodes it (String.decodeUTF8_UTF16): malformed input
 * becomes U+FFFD, but not always one per byte as in WHATWG/Node — e.g. an encoded surrogate
 * (ED A0 80) is ONE replacement in Java and three in Node — and the output would differ.
 */
export function javaUtf8Decode(bytes: Buffer): string {
  if (isAscii(bytes)) return bytes.toString('latin1');
  const units: number[] = [];
  let out = '';
  const flush = () => {
    out += String.fromCharCode(...units);
    units.length = 0;
  };
  const end = bytes.length;
  let sp = 0;
  const at = (i: number) => signed(bytes[i]!);
  while (sp < end) {
    if (units.length >= 4096) flush();
    const b1 = at(sp++);
    if (b1 >= 0) {
      units.push(b1);
    } else if (b1 >> 5 === -2 && (b1 & 0x1e) !== 0) {
      if (sp < end) {
        const b2 = at(sp++);
        if (notContinuation(b2)) {
          units.push(REPLACEMENT);
          sp--;
        } else {
          units.push(((b1 << 6) ^ b2 ^ ((signed(0xc0) << 6) ^ signed(0x80))) & 0xffff);
        }
        continue;
      }
      units.push(REPLACEMENT);
      break;
    } else if (b1 >> 4 === -2) {
      if (sp + 1 < end) {
        const b2 = at(sp++);
        const b3 = at(sp++);
        if (isMalformed3(b1, b2, b3)) {
          units.push(REPLACEMENT);
          sp -= 3;
          sp += malformed3Length(b1, b2);
        } else {
          const c = ((b1 << 12) ^ (b2 << 6) ^ (b3 ^ ((signed(0xe0) << 12) ^ (signed(0x80) << 6) ^ signed(0x80)))) & 0xffff;
          units.push(c >= 0xd800 && c <= 0xdfff ? REPLACEMENT : c);
        }
        continue;
      }
      if (sp < end && ((b1 === signed(0xe0) && (at(sp) & 0xe0) === 0x80) || notContinuation(at(sp)))) {
        units.push(REPLACEMENT);
        continue;
      }
      units.push(REPLACEMENT);
      break;
    } else if (b1 >> 3 === -2) {
      if (sp + 2 < end) {
        const b2 = at(sp++);
        const b3 = at(sp++);
        const b4 = at(sp++);
        const uc = (b1 << 18) ^ (b2 << 12) ^ (b3 << 6) ^ (b4 ^ ((signed(0xf0) << 18) ^ (signed(0x80) << 12) ^ (signed(0x80) << 6) ^ signed(0x80)));
        if (notContinuation(b2) || notContinuation(b3) || notContinuation(b4) || uc < 0x10000 || uc > 0x10ffff) {
          units.push(REPLACEMENT);
          sp -= 4;
          sp += malformed4Length(bytes[sp]!, bytes[sp + 1]!, at(sp + 2));
        } else {
          const offset = uc - 0x10000;
          units.push(0xd800 + (offset >> 10), 0xdc00 + (offset & 0x3ff));
        }
        continue;
      }
      const u1 = b1 & 0xff;
      if (u1 > 0xf4 || (sp < end && isMalformed4Second(u1, bytes[sp]!))) {
        units.push(REPLACEMENT);
        continue;
      }
      sp++;
      units.push(REPLACEMENT);
      if (sp < end && notContinuation(at(sp))) continue;
      break;
    } else {
      units.push(REPLACEMENT);
    }
  }
  flush();
  return out;
}

/** String.isMalformed4_2 on unsigned bytes. */
function isMalformed4Second(u1: number, u2: number): boolean {
  return (u1 === 0xf0 && (u2 < 0x90 || u2 > 0xbf)) || (u1 === 0xf4 && (u2 & 0xf0) !== 0x80) || notContinuation(u2);
}

function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}
