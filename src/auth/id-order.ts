/**
 * The order in which ZooKeeper iterates a connection's auth ids. It keeps them in a set backed
 * by a ConcurrentHashMap, so `auth` ACL expansion and whoAmI list them in hash-bucket order, not
 * insertion order. Reproducing it keeps the ACLs clients read back identical to ZooKeeper's.
 */
import type { Id } from '../proto/data.js';

/** java.lang.String.hashCode over UTF-16 code units. */
export function javaStringHash(value: string): number {
  let h = 0;
  for (let i = 0; i < value.length; i++) h = (Math.imul(31, h) + value.charCodeAt(i)) | 0;
  return h;
}

/** The jute-generated Id.hashCode: 37 * (37 * 17 + scheme.hashCode()) + id.hashCode(). */
export function idHash(id: Id): number {
  let result = 17;
  result = (Math.imul(37, result) + javaStringHash(id.scheme)) | 0;
  result = (Math.imul(37, result) + javaStringHash(id.id)) | 0;
  return result;
}

/** ConcurrentHashMap's bucket for `hash` in a table of `size` (a power of two). */
function bucket(hash: number, size: number): number {
  return ((hash ^ (hash >>> 16)) & 0x7fffffff) & (size - 1);
}

/** The ids in ConcurrentHashMap iteration order (table of 16, doubled past 3/4 full). */
export function inZooKeeperOrder(ids: readonly Id[]): Id[] {
  let size = 16;
  while (ids.length > (size * 3) / 4) size *= 2;
  return ids
    .map((id, index) => ({ id, index, bucket: bucket(idHash(id), size) }))
    .sort((a, b) => a.bucket - b.bucket || a.index - b.index)
    .map((entry) => entry.id);
}
