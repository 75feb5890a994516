/** ACL checks exactly as ZooKeeper 3.8's ZooKeeperServer.checkACL and PrepRequestProcessor.fixupACL. */
import type { Acl, Id } from '../proto/data.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { schemeOf } from './schemes.js';

/** May a connection with `authIds` do `perm` on a node with `acl`? */
export function isAllowed(acl: readonly Acl[], perm: number, authIds: readonly Id[]): boolean {
  if (acl.length === 0) return true;
  for (const id of authIds) if (id.scheme === 'super') return true;
  for (const a of acl) {
    if ((a.perms & perm) === 0) continue;
    if (a.id.scheme === 'world' && a.id.id === 'anyone') return true;
    // A sasl id on a connection means SASL is on: its ACL entries can match.
    const scheme = schemeOf(a.id.scheme, true);
    if (scheme === undefined) continue;
    for (const id of authIds) {
      if (id.scheme === a.id.scheme && scheme.matches(id.id, a.id.id)) return true;
    }
  }
  return false;
}

/** Throws NOAUTH unless allowed. */
export function checkAcl(acl: readonly Acl[], perm: number, authIds: readonly Id[], path?: string): void {
  if (!isAllowed(acl, perm, authIds)) throw new KeeperError(ErrorCode.NOAUTH, path);
}

/**
 * Validates a new node's ACL and expands `auth` ids to the caller's authenticated ids.
 * Duplicates are dropped; an empty list, an unknown scheme or a malformed id is INVALIDACL.
 */
export function fixupAcl(path: string, authIds: readonly Id[], acls: readonly Acl[] | null, withSasl = false): Acl[] {
  // The usual list, world:anyone alone, stays as it is (what the loop below would give too).
  if (acls !== null && acls.length === 1 && acls[0]!.id.scheme === 'world' && acls[0]!.id.id === 'anyone') return [acls[0]!];
  const unique: Acl[] = [];
  for (const a of acls ?? []) {
    if (!unique.some((u) => u.perms === a.perms && u.id.scheme === a.id.scheme && u.id.id === a.id.id)) unique.push(a);
  }
  if (unique.length === 0) throw new KeeperError(ErrorCode.INVALIDACL, path);
  const out: Acl[] = [];
  for (const a of unique) {
    if (a.id.scheme === 'world' && a.id.id === 'anyone') {
      out.push(a);
    } else if (a.id.scheme === 'auth') {
      let expanded = false;
      for (const id of authIds) {
        if (schemeOf(id.scheme, withSasl)?.expandsAuth) {
          expanded = true;
          out.push({ perms: a.perms, id });
        }
      }
      if (!expanded) throw new KeeperError(ErrorCode.INVALIDACL, path);
    } else {
      const scheme = schemeOf(a.id.scheme, withSasl);
      if (scheme === undefined || !scheme.isValid(a.id.id)) throw new KeeperError(ErrorCode.INVALIDACL, path);
      out.push(a);
    }
  }
  return out;
}

/** getACL without ADMIN: digest ids are masked to `user:x`. */
export function maskDigests(acl: readonly Acl[]): Acl[] {
  return acl.map((a) => (a.id.scheme === 'digest' ? { perms: a.perms, id: { scheme: 'digest', id: a.id.id.replace(/:.*/g, ':x') } } : a));
}
