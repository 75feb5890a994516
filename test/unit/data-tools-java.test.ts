// Proves the Java behaviour the data tools print through is reproduced exactly: HashSet/HashMap iteration order (tree bins included) against orders Java 17 produced, Java 17's UTF-8 decoding where it differs from Node's, and the number, date and record formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  JavaHashOrder, jacksonQuote, javaAclListToString, javaDate, javaHexPadded, javaLongCompare, javaLongHash, javaMediumDateTime,
  javaShortLongDateTime, javaStringCompare, javaStringHash, javaStringSetOrder, javaZxidFromName,
  juteAclNested, juteCsvString,
} from '../../src/cli/data-tools-java.js';
import { javaUtf8Decode } from '../../src/cli/data-tools-utf8.js';

process.env.TZ = 'UTC';

const TOOLS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'data-tools');

test('HashSet<String>(8) and HashMap<Long, _> iterate in the order Java 17 iterated the same insertions', async () => {
  const lines = (await readFile(join(TOOLS, 'java-hash-order.txt'), 'utf8')).trim().split('\n');
  assert.ok(lines.length >= 50);
  let cases = 0;
  let withTreeBins = 0;
  for (const line of lines) {
    const [input = '', output = ''] = line.split('\t');
    const [kind, ...keys] = input.split(' ');
    const expected = output === '' ? [] : output.split(' ').map(Number);
    let order: number[];
    if (kind === 'S') {
      const names = keys.map((hex) => Buffer.from(hex, 'hex').toString('utf8'));
      const set = new JavaHashOrder<string>(javaStringHash, javaStringCompare, 8);
      for (const name of names) set.add(name);
      order = [...set.keys()].map((name) => names.indexOf(name));
      if (hasTreeBin(set)) withTreeBins++;
      assert.deepEqual(javaStringSetOrder(names, 8), [...set.keys()]);
    } else {
      const ids = keys.map((key) => BigInt(key));
      const map = new JavaHashOrder<bigint>(javaLongHash, javaLongCompare);
      for (const id of ids) map.add(id);
      order = [...map.keys()].map((id) => ids.indexOf(id));
      if (hasTreeBin(map)) withTreeBins++;
    }
    assert.deepEqual(order, expected, `case ${cases}: ${kind} with ${keys.length} keys`);
    cases++;
  }
  assert.ok(withTreeBins >= 10, `the cases exercise red-black tree bins (${withTreeBins})`);
});

/** Whether any bin of `map` is a tree now (reads the model's private table; test-only). */
function hasTreeBin<K>(map: JavaHashOrder<K>): boolean {
  const table = (map as unknown as { table: Array<{ inTree: boolean } | null> }).table;
  return table.some((node) => node !== null && node.inTree);
}

test('the HashMap model grows like Java: 8 slots for HashSet(8), doubling past 0.75 load, a long bin doubling a small table', () => {
  const set = new JavaHashOrder<string>(javaStringHash, javaStringCompare, 8);
  assert.equal(set.capacity, 0);
  for (let i = 0; i < 6; i++) set.add(`n${i}`);
  assert.equal(set.capacity, 8);
  set.add('n6');
  assert.equal(set.capacity, 16);
  assert.equal(set.add('n6'), false, 'a repeated key is not added');
  assert.equal(set.size, 7);
  // Equal hashes share a bin: the 7th add passes the load factor (8 -> 16); from the 9th in one bin
  // on, each add doubles the table instead of making a tree (16 -> 32 -> 64), then the bin becomes one.
  const colliding = new JavaHashOrder<string>(javaStringHash, javaStringCompare, 8);
  const names = Array.from({ length: 16 }, (_, i) => [0, 1, 2, 3].map((b) => ((i >> b) & 1 ? 'BB' : 'Aa')).join(''));
  assert.equal(new Set(names.map(javaStringHash)).size, 1);
  for (const name of names.slice(0, 7)) colliding.add(name);
  assert.equal(colliding.capacity, 16);
  colliding.add(names[7]!);
  colliding.add(names[8]!);
  assert.equal(colliding.capacity, 32);
  assert.ok(!hasTreeBin(colliding));
  for (const name of names.slice(9)) colliding.add(name);
  assert.equal(colliding.capacity, 64);
  assert.ok(hasTreeBin(colliding));
  // Tree order: the root first, then each node after its tree parent; not insertion order.
  assert.notDeepEqual([...colliding.keys()], names);
});

test('String.hashCode and Long.hashCode', () => {
  assert.equal(javaStringHash(''), 0);
  assert.equal(javaStringHash('hello'), 99162322);
  assert.equal(javaStringHash('zookeeper'), 1600681804);
  assert.equal(javaStringHash('Aa'), javaStringHash('BB'));
  assert.equal(javaLongHash(0x100000dea2b0002n), Number(BigInt.asIntN(32, 0x100000dea2b0002n ^ 0x100000dn)));
  assert.equal(javaLongHash(-1n), 0);
});

test("new String(bytes, UTF_8) as Java 17 decodes it, where Node's decoder differs", async () => {
  const lines = (await readFile(join(TOOLS, 'java-utf8-decode.txt'), 'utf8')).trim().split('\n');
  let nodeDiffers = 0;
  for (const line of lines) {
    const [hex = '', units = ''] = line.split(' ');
    const bytes = Buffer.from(hex, 'hex');
    const decoded = javaUtf8Decode(bytes);
    const got = Array.from({ length: decoded.length }, (_, i) => decoded.charCodeAt(i).toString(16).padStart(4, '0')).join('');
    assert.equal(got, units, `bytes ${hex}`);
    const node = bytes.toString('utf8');
    if (Array.from({ length: node.length }, (_, i) => node.charCodeAt(i).toString(16).padStart(4, '0')).join('') !== units) nodeDiffers++;
  }
  assert.ok(nodeDiffers >= 100, `the cases include Java-specific decodings (${nodeDiffers})`);
  assert.equal(javaUtf8Decode(Buffer.from('ascii only')), 'ascii only');
  assert.equal(javaUtf8Decode(Buffer.from([0xed, 0xa0, 0x80])), '\ufffd');
});

test('%#016x, file-name zxids, dates in the en locale', () => {
  assert.equal(javaHexPadded(0n), '0x00000000000000');
  assert.equal(javaHexPadded(0x26n), '0x00000000000026');
  assert.equal(javaHexPadded(0x100000dea2b0002n), '0x100000dea2b0002');
  assert.equal(javaHexPadded(-5n), '0xfffffffffffffffb');
  assert.equal(javaZxidFromName('snapshot.1f', 'snapshot'), 0x1fn);
  assert.equal(javaZxidFromName('snapshot.1f.gz', 'snapshot'), 0x1fn);
  assert.equal(javaZxidFromName('snap.1f', 'snapshot'), -1n);
  assert.equal(javaZxidFromName('snapshot.xyz', 'snapshot'), -1n);
  assert.equal(javaZxidFromName('snapshot.ffffffffffffffff', 'snapshot'), -1n, 'Long.parseLong overflows');
  // The values Java 17 printed for these instants with TZ=UTC.
  assert.equal(javaShortLongDateTime(1795463096120n), '11/23/26, 7:44:56 PM UTC');
  assert.equal(javaShortLongDateTime(0n), '1/1/70, 12:00:00 AM UTC');
  assert.equal(javaMediumDateTime(1795463096120), 'Nov 23, 2026, 7:44:56 PM');
  assert.equal(javaMediumDateTime(0), 'Jan 1, 1970, 12:00:00 AM');
  assert.equal(javaDate(0n), 'Thu Jan 01 00:00:00 UTC 1970');
  assert.equal(javaDate(1795463096120n), 'Mon Nov 23 19:44:56 UTC 2026');
  assert.match(javaDate(0x7fffffffffffffffn), /out of range/, 'a corrupt time never crashes a dump');
});

test("jute's CSV record text and Jackson's JSON quoting", () => {
  assert.equal(juteCsvString("a,b}c%d\ne\rf\0"), "'a%2Cb%7Dc%25d%0Ae%0Df%00");
  assert.equal(juteCsvString(null), '');
  const acl = { perms: 31, id: { scheme: 'digest', id: 'user:x,y' } };
  assert.equal(javaAclListToString([acl, { perms: 1, id: { scheme: 'ip', id: '127.0.0.1' } }]), "[31,s{'digest,'user:x%2Cy}\n, 1,s{'ip,'127.0.0.1}\n]");
  assert.equal(javaAclListToString([]), '[]');
  assert.equal(javaAclListToString(null), 'null');
  assert.equal(juteAclNested(acl), "s{31,s{'digest,'user:x%2Cy}}");
  assert.equal(jacksonQuote('a"b\\c\u0001\t\n\u001f\u007fü'), 'a\\"b\\\\c\\u0001\\t\\n\\u001F\u007fü');
});
