import type { Acl } from '../proto/data.js';

/** One distinct ACL list, shared by every znode that has it (ReferenceCountedACLCache). */
export interface AclEntry {
  /** The id snapshots store in place of the list. */
  readonly ref: bigint;
  readonly acl: readonly Acl[];
  uses: number;
}

/** ZooKeeper stores `-1` for an open (world:anyone:cdrwa) list in snapshots it writes. */
export const OPEN_ACL_REF = -1n;

function sameAcl(a: Acl, b: Acl): boolean {
  return a.perms === b.perms && a.id.scheme === b.id.scheme && a.id.id === b.id.id;
}

function keyOf(acl: readonly Acl[]): string {
  let key = '';
  for (const a of acl) key += `${a.perms}\u0000${a.id.scheme}\u0000${a.id.id}\u0001`;
  return key;
}

/** Interns ACL lists so that a million znodes with the same ACL share one list. */
export class AclCache {
  private readonly byKey = new Map<string, AclEntry>();
  private readonly byRef = new Map<bigint, AclEntry>();
  private nextRef = 1n;
  /** The entry of the last one-ACL list acquired: most creates repeat it, and need no key then. */
  private lastSingle: AclEntry | undefined;

  /** The shared entry for `acl`, counting one more use. */
  acquire(acl: readonly Acl[]): AclEntry {
    const last = this.lastSingle;
    if (last !== undefined && acl.length === 1 && sameAcl(last.acl[0]!, acl[0]!) && last.uses > 0 && this.byRef.get(last.ref) === last) {
      last.uses++;
      return last;
    }
    const entry = this.acquireByKey(acl);
    if (acl.length === 1) this.lastSingle = entry;
    return entry;
  }

  private acquireByKey(acl: readonly Acl[]): AclEntry {
    const key = keyOf(acl);
    let entry = this.byKey.get(key);
    if (entry === undefined) {
      entry = { ref: this.nextRef++, acl: acl.map((a) => ({ perms: a.perms, id: { scheme: a.id.scheme, id: a.id.id } })), uses: 0 };
      this.byKey.set(key, entry);
      this.byRef.set(entry.ref, entry);
    }
    entry.uses++;
    return entry;
  }

  /** One more use of an entry this cache gave out and still holds (a loader's repeat). */
  acquireAgain(entry: AclEntry): AclEntry {
    entry.uses++;
    return entry;
  }

  /** One use fewer; the entry is forgotten when unused. */
  release(entry: AclEntry): void {
    entry.uses--;
    if (entry.uses > 0) return;
    // A snapshot load may have put another entry under the same key or ref: leave that one.
    const key = keyOf(entry.acl);
    if (this.byKey.get(key) === entry) this.byKey.delete(key);
    if (this.byRef.get(entry.ref) === entry) this.byRef.delete(entry.ref);
  }

  /** Adds a list read from a snapshot under its stored ref. */
  load(ref: bigint, acl: readonly Acl[]): void {
    const entry: AclEntry = { ref, acl, uses: 0 };
    this.byKey.set(keyOf(acl), entry);
    this.byRef.set(ref, entry);
    if (ref >= this.nextRef) this.nextRef = ref + 1n;
  }

  /** The entry stored under `ref` by a snapshot, counting one use. */
  acquireRef(ref: bigint): AclEntry | undefined {
    if (ref === OPEN_ACL_REF) return this.acquire([{ perms: 31, id: { scheme: 'world', id: 'anyone' } }]);
    const entry = this.byRef.get(ref);
    if (entry !== undefined) entry.uses++;
    return entry;
  }

  /** Entries in use, for a snapshot. */
  entries(): AclEntry[] {
    return [...this.byRef.values()];
  }

  get size(): number {
    return this.byRef.size;
  }
}
