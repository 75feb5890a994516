/**
 * The Java behaviour ZooKeeper's data tools print through, reproduced so that our dumps match
 * theirs byte for byte: the iteration order of java.util.HashMap/HashSet (SnapshotFormatter walks
 * each node's children HashSet and the sessions HashMap), Long.toHexString and `%#016x`, the
 * en-locale DateFormat patterns TxnLogToolkit and PurgeTxnLog use, jute's CSV `toString` of
 * records, and Jackson's JSON string quoting.
 *
 * The HashMap model follows OpenJDK 8+: a power-of-two table, `hash ^ (hash >>> 16)` spreading,
 * insertion-ordered bins, doubling at 0.75 load, order-preserving splits on resize, and bins that
 * become red-black trees at 9 entries once the table has 64 slots (smaller tables double
 * instead). A tree bin's iteration order is its `next` chain, which moves the tree's root to the
 * front and links each new node right after its tree parent, so that is modelled too. Only
 * insertion is modelled: the tools build their maps by adding and never remove.
 */
import type { Acl } from '../proto/data.js';
import { javaHex } from './zk-cli-format.js';

export { javaHex };

/** HashMap.TREEIFY_THRESHOLD: a bin whose chain reaches this length (plus the new node) becomes a tree. */
const TREEIFY_THRESHOLD = 8;
/** HashMap.UNTREEIFY_THRESHOLD: a split tree half this small goes back to a chain. */
const UNTREEIFY_THRESHOLD = 6;
/** HashMap.MIN_TREEIFY_CAPACITY: below this table size a long bin doubles the table instead. */
const MIN_TREEIFY_CAPACITY = 64;
const DEFAULT_INITIAL_CAPACITY = 16;
const MAXIMUM_CAPACITY = 1 << 30;
const LOAD_FACTOR = 0.75;

/** java.lang.String.hashCode over UTF-16 code units (JavaScript strings are UTF-16 too). */
export function javaStringHash(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(hash, 31) + value.charCodeAt(i)) | 0;
  return hash;
}

/** java.lang.Long.hashCode: `(int) (value ^ (value >>> 32))`. */
export function javaLongHash(value: bigint): number {
  const unsigned = BigInt.asUintN(64, value);
  return Number(BigInt.asIntN(32, unsigned ^ (unsigned >> 32n)));
}

/** String.compareTo: by UTF-16 code unit, shorter prefix first. */
export function javaStringCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Long.compareTo (signed). */
export function javaLongCompare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One HashMap.Node, or a TreeNode when `inTree` (then `prev`, `parent`, `left`, `right`, `red` are live). */
interface HashNode<K> {
  readonly key: K;
  readonly hash: number;
  next: HashNode<K> | null;
  inTree: boolean;
  prev: HashNode<K> | null;
  parent: HashNode<K> | null;
  left: HashNode<K> | null;
  right: HashNode<K> | null;
  red: boolean;
}

function newNode<K>(key: K, hash: number, next: HashNode<K> | null): HashNode<K> {
  return { key, hash, next, inTree: false, prev: null, parent: null, left: null, right: null, red: false };
}

/** HashMap.tableSizeFor: the smallest power of two >= capacity. */
function tableSizeFor(capacity: number): number {
  let size = 1;
  while (size < capacity && size < MAXIMUM_CAPACITY) size *= 2;
  return size;
}

/** HashMap.hash: the high half folded into the low half. */
function spread(hashCode: number): number {
  return (hashCode ^ (hashCode >>> 16)) | 0;
}

/**
 * The keys of a java.util.HashMap (or HashSet) built by `add` calls, in the order Java iterates
 * them. Keys are compared with `===` (strings and bigints compare by value).
 */
export class JavaHashOrder<K> {
  private table: Array<HashNode<K> | null> = [];
  private threshold: number;
  private count = 0;

  /**
   * `initialCapacity` as passed to `new HashMap<>(n)` / `new HashSet<>(n)`; undefined for the
   * no-argument constructor (16 slots on first use).
   */
  constructor(
    private readonly hashCodeOf: (key: K) => number,
    private readonly compare: (a: K, b: K) => number,
    initialCapacity?: number,
  ) {
    this.threshold = initialCapacity === undefined ? 0 : tableSizeFor(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  /** Slots in the table (0 before the first add); exposed for tests. */
  get capacity(): number {
    return this.table.length;
  }

  /** HashMap.putVal for a new or existing key; returns false when the key was already present. */
  add(key: K): boolean {
    const hash = spread(this.hashCodeOf(key));
    if (this.table.length === 0) this.resize();
    const index = (this.table.length - 1) & hash;
    const head = this.table[index] ?? null;
    if (head === null) {
      this.table[index] = newNode(key, hash, null);
    } else if (head.hash === hash && head.key === key) {
      return false;
    } else if (head.inTree) {
      if (!this.putTreeVal(head, key, hash)) return false;
    } else {
      let node = head;
      for (let binCount = 0; ; binCount++) {
        const next = node.next;
        if (next === null) {
          node.next = newNode(key, hash, null);
          if (binCount >= TREEIFY_THRESHOLD - 1) this.treeifyBin(hash);
          break;
        }
        if (next.hash === hash && next.key === key) return false;
        node = next;
      }
    }
    if (++this.count > this.threshold) this.resize();
    return true;
  }

  /** The keys in Java's iteration order. */
  *keys(): IterableIterator<K> {
    for (const head of this.table) {
      for (let node = head ?? null; node !== null; node = node.next) yield node.key;
    }
  }

  private resize(): void {
    const oldTable = this.table;
    const oldCapacity = oldTable.length;
    const oldThreshold = this.threshold;
    let newCapacity: number;
    let newThreshold = 0;
    if (oldCapacity > 0) {
      if (oldCapacity >= MAXIMUM_CAPACITY) {
        this.threshold = 2 ** 31 - 1;
        return;
      }
      newCapacity = oldCapacity * 2;
      if (newCapacity < MAXIMUM_CAPACITY && oldCapacity >= DEFAULT_INITIAL_CAPACITY) newThreshold = oldThreshold * 2;
    } else if (oldThreshold > 0) {
      newCapacity = oldThreshold;
    } else {
      newCapacity = DEFAULT_INITIAL_CAPACITY;
      newThreshold = Math.trunc(DEFAULT_INITIAL_CAPACITY * LOAD_FACTOR);
    }
    if (newThreshold === 0) {
      const scaled = newCapacity * LOAD_FACTOR;
      newThreshold = newCapacity < MAXIMUM_CAPACITY && scaled < MAXIMUM_CAPACITY ? Math.trunc(scaled) : 2 ** 31 - 1;
    }
    this.threshold = newThreshold;
    const table: Array<HashNode<K> | null> = new Array<HashNode<K> | null>(newCapacity).fill(null);
    this.table = table;
    for (let j = 0; j < oldCapacity; j++) {
      const head = oldTable[j] ?? null;
      if (head === null) continue;
      if (head.next === null) table[head.hash & (newCapacity - 1)] = head;
      else if (head.inTree) this.split(head, j, oldCapacity);
      else splitChain(table, head, j, oldCapacity);
    }
  }

  /** HashMap.treeifyBin: a long bin doubles a small table, or becomes a tree. */
  private treeifyBin(hash: number): void {
    if (this.table.length < MIN_TREEIFY_CAPACITY) {
      this.resize();
      return;
    }
    const index = (this.table.length - 1) & hash;
    let previous: HashNode<K> | null = null;
    for (let node = this.table[index] ?? null; node !== null; node = node.next) {
      node.inTree = true;
      node.prev = previous;
      previous = node;
    }
    const head = this.table[index] ?? null;
    if (head !== null) this.treeify(head);
  }

  /** TreeNode.treeify: builds the tree from the chain starting at `head`, then moves the root first. */
  private treeify(head: HashNode<K>): void {
    let root: HashNode<K> | null = null;
    for (let x: HashNode<K> | null = head; x !== null; ) {
      const next: HashNode<K> | null = x.next;
      x.left = x.right = null;
      if (root === null) {
        x.parent = null;
        x.red = false;
        root = x;
      } else {
        for (let p: HashNode<K> = root; ; ) {
          const dir = this.direction(x.key, x.hash, p);
          const xp: HashNode<K> = p;
          const child: HashNode<K> | null = dir <= 0 ? p.left : p.right;
          if (child === null) {
            x.parent = xp;
            if (dir <= 0) xp.left = x;
            else xp.right = x;
            root = balanceInsertion(root, x);
            break;
          }
          p = child;
        }
      }
      x = next;
    }
    if (root !== null) this.moveRootToFront(root);
  }

  /** TreeNode.putTreeVal for keys of one Comparable class (String, Long): no tie-breaking needed. */
  private putTreeVal(head: HashNode<K>, key: K, hash: number): boolean {
    let root = head;
    while (root.parent !== null) root = root.parent;
    for (let p: HashNode<K> = root; ; ) {
      if (p.hash === hash && p.key === key) return false;
      const dir = this.direction(key, hash, p);
      const xp: HashNode<K> = p;
      const child: HashNode<K> | null = dir <= 0 ? p.left : p.right;
      if (child === null) {
        const xpn = xp.next;
        const x = newNode(key, hash, xpn);
        x.inTree = true;
        if (dir <= 0) xp.left = x;
        else xp.right = x;
        xp.next = x;
        x.parent = x.prev = xp;
        if (xpn !== null) xpn.prev = x;
        this.moveRootToFront(balanceInsertion(root, x));
        return true;
      }
      p = child;
    }
  }

  /** Tree order: by spread hash (signed), then by compareTo. */
  private direction(key: K, hash: number, p: HashNode<K>): number {
    if (p.hash > hash) return -1;
    if (p.hash < hash) return 1;
    const order = this.compare(key, p.key);
    // Equal keys never reach here (they are found first); tieBreakOrder is only for non-comparables.
    return order === 0 ? -1 : order;
  }

  /** TreeNode.moveRootToFront: the root becomes the bin's first node in `next` order. */
  private moveRootToFront(root: HashNode<K>): void {
    const index = (this.table.length - 1) & root.hash;
    const first = this.table[index] ?? null;
    if (root === first) return;
    this.table[index] = root;
    const rp = root.prev;
    const rn = root.next;
    if (rn !== null) rn.prev = rp;
    if (rp !== null) rp.next = rn;
    if (first !== null) first.prev = root;
    root.next = first;
    root.prev = null;
  }

  /** TreeNode.split: the two halves keep their order; a small half becomes a chain, a big one a tree. */
  private split(head: HashNode<K>, index: number, bit: number): void {
    let loHead: HashNode<K> | null = null;
    let loTail: HashNode<K> | null = null;
    let hiHead: HashNode<K> | null = null;
    let hiTail: HashNode<K> | null = null;
    let lo = 0;
    let hi = 0;
    for (let e: HashNode<K> | null = head; e !== null; ) {
      const next: HashNode<K> | null = e.next;
      e.next = null;
      if ((e.hash & bit) === 0) {
        e.prev = loTail;
        if (loTail === null) loHead = e;
        else loTail.next = e;
        loTail = e;
        lo++;
      } else {
        e.prev = hiTail;
        if (hiTail === null) hiHead = e;
        else hiTail.next = e;
        hiTail = e;
        hi++;
      }
      e = next;
    }
    if (loHead !== null) {
      if (lo <= UNTREEIFY_THRESHOLD) {
        this.table[index] = untreeify(loHead);
      } else {
        this.table[index] = loHead;
        if (hiHead !== null) this.treeify(loHead);
      }
    }
    if (hiHead !== null) {
      if (hi <= UNTREEIFY_THRESHOLD) {
        this.table[index + bit] = untreeify(hiHead);
      } else {
        this.table[index + bit] = hiHead;
        if (loHead !== null) this.treeify(hiHead);
      }
    }
  }
}

/** Splits a plain chain into the slots `index` and `index + bit`, keeping relative order. */
function splitChain<K>(table: Array<HashNode<K> | null>, head: HashNode<K>, index: number, bit: number): void {
  let loHead: HashNode<K> | null = null;
  let loTail: HashNode<K> | null = null;
  let hiHead: HashNode<K> | null = null;
  let hiTail: HashNode<K> | null = null;
  for (let e: HashNode<K> | null = head; e !== null; ) {
    const next: HashNode<K> | null = e.next;
    if ((e.hash & bit) === 0) {
      if (loTail === null) loHead = e;
      else loTail.next = e;
      loTail = e;
    } else {
      if (hiTail === null) hiHead = e;
      else hiTail.next = e;
      hiTail = e;
    }
    e = next;
  }
  if (loTail !== null) {
    loTail.next = null;
    table[index] = loHead;
  }
  if (hiTail !== null) {
    hiTail.next = null;
    table[index + bit] = hiHead;
  }
}

/** TreeNode.untreeify: the same chain as plain nodes. */
function untreeify<K>(head: HashNode<K>): HashNode<K> {
  for (let node: HashNode<K> | null = head; node !== null; node = node.next) {
    node.inTree = false;
    node.prev = node.parent = node.left = node.right = null;
    node.red = false;
  }
  return head;
}

function rotateLeft<K>(root: HashNode<K>, p: HashNode<K>): HashNode<K> {
  const r = p.right;
  if (r === null) return root;
  const rl = (p.right = r.left);
  if (rl !== null) rl.parent = p;
  const pp = (r.parent = p.parent);
  if (pp === null) {
    root = r;
    r.red = false;
  } else if (pp.left === p) {
    pp.left = r;
  } else {
    pp.right = r;
  }
  r.left = p;
  p.parent = r;
  return root;
}

function rotateRight<K>(root: HashNode<K>, p: HashNode<K>): HashNode<K> {
  const l = p.left;
  if (l === null) return root;
  const lr = (p.left = l.right);
  if (lr !== null) lr.parent = p;
  const pp = (l.parent = p.parent);
  if (pp === null) {
    root = l;
    l.red = false;
  } else if (pp.right === p) {
    pp.right = l;
  } else {
    pp.left = l;
  }
  l.right = p;
  p.parent = l;
  return root;
}

/** TreeNode.balanceInsertion (CLR red-black insertion fix-up, as OpenJDK writes it). */
function balanceInsertion<K>(root: HashNode<K>, inserted: HashNode<K>): HashNode<K> {
  let x = inserted;
  x.red = true;
  // Each round moves x up at least one level, so the tree's height bounds the loop.
  for (;;) {
    let xp = x.parent;
    if (xp === null) {
      x.red = false;
      return x;
    }
    let xpp = xp.parent;
    if (!xp.red || xpp === null) return root;
    const xppl = xpp.left;
    if (xp === xppl) {
      const xppr = xpp.right;
      if (xppr !== null && xppr.red) {
        xppr.red = false;
        xp.red = false;
        xpp.red = true;
        x = xpp;
      } else {
        if (x === xp.right) {
          x = xp;
          root = rotateLeft(root, x);
          xp = x.parent;
          xpp = xp === null ? null : xp.parent;
        }
        if (xp !== null) {
          xp.red = false;
          if (xpp !== null) {
            xpp.red = true;
            root = rotateRight(root, xpp);
          }
        }
      }
    } else {
      if (xppl !== null && xppl.red) {
        xppl.red = false;
        xp.red = false;
        xpp.red = true;
        x = xpp;
      } else {
        if (x === xp.left) {
          x = xp;
          root = rotateRight(root, x);
          xp = x.parent;
          xpp = xp === null ? null : xp.parent;
        }
        if (xp !== null) {
          xp.red = false;
          if (xpp !== null) {
            xpp.red = true;
            root = rotateLeft(root, xpp);
          }
        }
      }
    }
  }
}

/** `new HashSet<String>(initialCapacity)` filled with `names` in order, iterated as Java does. */
export function javaStringSetOrder(names: readonly string[], initialCapacity?: number): string[] {
  const set = new JavaHashOrder<string>(javaStringHash, javaStringCompare, initialCapacity);
  for (const name of names) set.add(name);
  return [...set.keys()];
}

/** `String.format("%#016x", value)` for a long: 0x, then hex zero-padded to 16 characters in all. */
export function javaHexPadded(value: bigint): string {
  return `0x${javaHex(value).padStart(14, '0')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** Zone abbreviations by UTC offset: Intl is far too slow to ask once per date. */
const zoneNames = new Map<number, string>();
/** The process's time zone, read on first use (resolving it costs as much as formatting). */
let processTimeZone: string | undefined;

/** English locales whose CLDR data name their region's zones (Java's names are mostly these). */
const ZONE_NAME_LOCALES = ['en-US', 'en-GB', 'en-IN', 'en-AU', 'en-NZ', 'en-CA', 'en-ZA', 'en-IE', 'en-SG', 'en-HK'];

/**
 * The local zone's short name as Java prints it: exact for UTC and GMT; otherwise the first
 * English CLDR short name (EST, CET, IST, AEDT, ...), or "GMT+9"-style where CLDR has none
 * (Java would say "JST" there).
 */
function zoneAbbreviation(date: Date): string {
  const timeZone = (processTimeZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone);
  const key = date.getTimezoneOffset();
  let name = zoneNames.get(key);
  if (name !== undefined) return name;
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC' || timeZone === 'Etc/Universal' || timeZone === 'Etc/Zulu') name = 'UTC';
  else if (timeZone === 'GMT' || timeZone === 'Etc/GMT') name = 'GMT';
  else {
    const shortName = (locale: string) =>
      new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value;
    const names = ZONE_NAME_LOCALES.map(shortName);
    name = names.find((candidate) => candidate !== undefined && !/^GMT[+-]/.test(candidate)) ?? names[0] ?? timeZone;
  }
  zoneNames.set(key, name);
  return name;
}

/** java.util.Date.toString in the local time zone: `EEE MMM dd HH:mm:ss zzz yyyy`. */
export function javaDate(epochMs: bigint | number): string {
  const date = new Date(Number(epochMs));
  // Beyond ±100,000,000 days JavaScript has no date; Java would print a year in the millions.
  if (Number.isNaN(date.getTime())) return `(time ${epochMs} ms is out of range)`;
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  return `${WEEKDAYS[date.getDay()]!} ${MONTHS[date.getMonth()]!} ${pad2(date.getDate())} ${time} ${zoneAbbreviation(date)} ${date.getFullYear()}`;
}

/** Local date-time fields of `epochMs`, plus the zone abbreviation. */
function localFields(epochMs: bigint | number): { year: number; month: number; day: number; hour: number; minute: number; second: number; zone: string } {
  let date = new Date(Number(epochMs));
  if (Number.isNaN(date.getTime())) date = new Date(0);
  return {
    year: date.getFullYear(),
    month: date.getMonth(),
    day: date.getDate(),
    hour: date.getHours(),
    minute: date.getMinutes(),
    second: date.getSeconds(),
    zone: zoneAbbreviation(date),
  };
}

function clock12(hour: number, minute: number, second: number): string {
  const hour12 = hour % 12 === 0 ? 12 : hour % 12;
  return `${hour12}:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')} ${hour < 12 ? 'AM' : 'PM'}`;
}

/**
 * `DateFormat.getDateTimeInstance(SHORT, LONG)` in Java 17's default "en" locale, as
 * TxnLogToolkit prints txn times: `M/d/yy, h:mm:ss a z`.
 */
export function javaShortLongDateTime(epochMs: bigint | number): string {
  const f = localFields(epochMs);
  const yy = String(((f.year % 100) + 100) % 100).padStart(2, '0');
  return `${f.month + 1}/${f.day}/${yy}, ${clock12(f.hour, f.minute, f.second)} ${f.zone}`;
}

/**
 * `DateFormat.getDateTimeInstance()` (MEDIUM, MEDIUM) in the "en" locale, as PurgeTxnLog prints
 * file times: `MMM d, y, h:mm:ss a`.
 */
export function javaMediumDateTime(epochMs: bigint | number): string {
  const f = localFields(epochMs);
  return `${MONTHS[f.month]!} ${f.day}, ${f.year}, ${clock12(f.hour, f.minute, f.second)}`;
}

/** jute's CSV string form (ToStringOutputArchive/CsvOutputArchive): `'` then the escaped text; null is empty. */
export function juteCsvString(value: string | null): string {
  if (value === null) return '';
  let out = "'";
  for (const c of value) {
    switch (c) {
      case '\0': out += '%00'; break;
      case '\n': out += '%0A'; break;
      case '\r': out += '%0D'; break;
      case ',': out += '%2C'; break;
      case '}': out += '%7D'; break;
      case '%': out += '%25'; break;
      default: out += c;
    }
  }
  return out;
}

/** ACL.toString(): a top-level jute record in CSV form, ending with a newline. */
export function juteAclToString(acl: Acl): string {
  return `${acl.perms},s{${juteCsvString(acl.id.scheme)},${juteCsvString(acl.id.id)}}\n`;
}

/** An ACL written as a nested record (a vector element): `s{perms,s{'scheme,'id}}`. */
export function juteAclNested(acl: Acl): string {
  return `s{${acl.perms},s{${juteCsvString(acl.id.scheme)},${juteCsvString(acl.id.id)}}}`;
}

/** java.util.List<ACL>.toString(): `[a, b]`, each ACL with its trailing newline; null prints "null". */
export function javaAclListToString(acls: readonly Acl[] | null): string {
  return acls === null ? 'null' : `[${acls.map(juteAclToString).join(', ')}]`;
}

/** Jackson's JsonStringEncoder.quoteAsString: `"` and `\` escaped, control characters as \b \t \n \f \r or \u00XX. */
export function jacksonQuote(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x20 && code !== 0x22 && code !== 0x5c) {
      out += value[i];
      continue;
    }
    switch (code) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x08: out += '\\b'; break;
      case 0x09: out += '\\t'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0c: out += '\\f'; break;
      case 0x0d: out += '\\r'; break;
      default: out += `\\u00${code.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/**
 * Long.parseLong(text, 16) as Util.getZxidFromName uses it: an optional sign and hex digits that
 * fit a signed long; undefined when Java would throw NumberFormatException.
 */
export function javaParseHexLong(text: string): bigint | undefined {
  if (!/^[+-]?[0-9a-fA-F]+$/.test(text)) return undefined;
  const negative = text.startsWith('-');
  const digits = text.replace(/^[+-]/, '');
  const magnitude = BigInt('0x' + digits);
  const value = negative ? -magnitude : magnitude;
  if (value > 0x7fffffffffffffffn || value < -0x8000000000000000n) return undefined;
  return value;
}

/** Util.getZxidFromName: the hex after `<prefix>.`, or -1. */
export function javaZxidFromName(name: string, prefix: string): bigint {
  const parts = name.split('.');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length < 2 || parts[0] !== prefix) return -1n;
  return javaParseHexLong(parts[1]!) ?? -1n;
}

