/**
 * Quotas as ZooKeeper keeps them: a quota on /p is the node /zookeeper/quota/p/zookeeper_limits
 * (its limits) with a sibling zookeeper_stats that the server keeps up to date with the count
 * and bytes under /p. The text format is StatsTrack's: `count=N,bytes=M[=;key=value...]`.
 */
import { QUOTA_NODE } from '../proto/defs.js';
import { parentOf } from './path.js';

export const LIMIT_NODE = 'zookeeper_limits';
export const STAT_NODE = 'zookeeper_stats';

/** StatsTrack: named counters; a missing one reads as -1 (no limit). */
export class StatsTrack {
  private readonly values = new Map<string, bigint>();

  static parse(data: Buffer | null): StatsTrack {
    const track = new StatsTrack();
    const text = data === null ? '' : data.toString('utf8');
    if (text === '') return track;
    for (const pair of text.split(/[,;]+/)) {
      const [key, value] = pair.split('=').filter((part, i, all) => i < all.length - 1 || part !== '') as [string, string?];
      if (key === undefined || key === '') continue;
      const text = value === undefined || value === '' ? '-1' : value;
      if (/^-?\d+$/.test(text)) track.values.set(key, BigInt(text));
    }
    return track;
  }

  get(key: string): bigint {
    return this.values.get(key) ?? -1n;
  }

  set(key: string, value: bigint): void {
    this.values.set(key, value);
  }

  /** `count=..,bytes=..` first; other keys sorted after an extra `=` (for old parsers). */
  toString(): string {
    let out = `count=${this.get('count')},bytes=${this.get('bytes')}`;
    const rest = [...this.values.keys()].filter((k) => k !== 'count' && k !== 'bytes').sort();
    if (rest.length > 0) out += '=' + rest.map((k) => `;${k}=${this.values.get(k)}`).join('');
    return out;
  }
}

export function limitPath(path: string): string {
  return `${QUOTA_NODE}${path}/${LIMIT_NODE}`;
}

export function statPath(path: string): string {
  return `${QUOTA_NODE}${path}/${STAT_NODE}`;
}

/** The real path a /zookeeper/quota/... node speaks for, or undefined. */
export function quotaTarget(quotaNodeParent: string): string | undefined {
  return quotaNodeParent.startsWith(QUOTA_NODE) ? quotaNodeParent.substring(QUOTA_NODE.length) : undefined;
}

/** The paths that have a quota (ZooKeeper's PathTrie of them). */
export class QuotaPaths {
  private readonly paths = new Set<string>();

  add(path: string): void {
    this.paths.add(path);
  }

  delete(path: string): void {
    this.paths.delete(path);
  }

  get size(): number {
    return this.paths.size;
  }

  /** The deepest quota path that is `path` or one of its ancestors (never "/"), if any. */
  maxPrefix(path: string): string | undefined {
    if (this.paths.size === 0) return undefined;
    for (let p = path; p !== '/' && p !== ''; p = parentOf(p)) {
      if (this.paths.has(p)) return p;
    }
    return undefined;
  }
}
