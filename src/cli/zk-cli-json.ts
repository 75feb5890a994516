/**
 * zk-cli's `--json` output: one JSON document per command, on one line of stdout, for scripts.
 *
 * Representation rules (they are the contract; README "The shell" repeats them):
 * - Stat: the 32-bit fields (version, cversion, aversion, dataLength, numChildren) are JSON
 *   numbers; the 64-bit ones (czxid, mzxid, pzxid, ctime, mtime, ephemeralOwner) are decimal
 *   STRINGS, because JSON numbers lose precision past 2^53 and zxids and session ids go there.
 * - Data: `data` is the text when the bytes are valid UTF-8 (`"encoding": "utf8"`), otherwise
 *   base64 (`"encoding": "base64"`); a null buffer is `"data": null`.
 * - Errors: `{"error": {"code": "NONODE", "message": "Node does not exist: /a"}}`, the code being
 *   ZooKeeper's error name or one of USAGE, BADARGUMENTS, COMMAND_NOT_FOUND, NOT_CONNECTED,
 *   UNIMPLEMENTED; the exit status is the one zkCli would give.
 */
import type { Acl, Stat } from '../proto/data.js';
import { errorName, KeeperError } from '../proto/error-code.js';
import { eventTypeName, keeperStateName, type WatchedEvent } from '../client/types.js';
import { permString } from './zk-cli-format.js';

/** A Stat as zk-cli prints it in JSON. */
export interface StatJson {
  readonly czxid: string;
  readonly mzxid: string;
  readonly ctime: string;
  readonly mtime: string;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: string;
  readonly dataLength: number;
  readonly numChildren: number;
  readonly pzxid: string;
}

/** The Stat with its 64-bit fields as decimal strings. */
export function statJson(stat: Stat): StatJson {
  return {
    czxid: stat.czxid.toString(),
    mzxid: stat.mzxid.toString(),
    ctime: stat.ctime.toString(),
    mtime: stat.mtime.toString(),
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: stat.ephemeralOwner.toString(),
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
    pzxid: stat.pzxid.toString(),
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Node data as text when it is valid UTF-8, else base64; null stays null. */
export function dataJson(data: Buffer | null): { data: string | null; encoding: 'utf8' | 'base64' } {
  if (data === null) return { data: null, encoding: 'utf8' };
  try {
    return { data: strictUtf8.decode(data), encoding: 'utf8' };
  } catch {
    return { data: data.toString('base64'), encoding: 'base64' };
  }
}

/** One ACL entry: scheme, id, permission letters (cdrwa order) and the numeric mask. */
export function aclJson(acl: Acl): { scheme: string; id: string; perms: string; permsMask: number } {
  return { scheme: acl.id.scheme, id: acl.id.id, perms: permString(acl.perms), permsMask: acl.perms };
}

/** A watch notification or state change, with Java's names. */
export function eventJson(event: WatchedEvent): { event: { type: string; state: string; path: string | null } } {
  return { event: { type: eventTypeName(event.type), state: keeperStateName(event.state), path: event.path } };
}

/** The stable code of a failure: a KeeperError's name, else `fallback`. */
export function errorCodeOf(cause: unknown, fallback: string): string {
  return cause instanceof KeeperError ? errorName(cause.code) : fallback;
}

/** The document of a failed command. */
export function errorJson(code: string, message: string, warnings: readonly string[] = []): Record<string, unknown> {
  const doc: Record<string, unknown> = { error: { code, message } };
  if (warnings.length > 0) doc['warnings'] = [...warnings];
  return doc;
}

/** One document on one line; bigints (none should remain) become decimal strings rather than throwing. */
export function jsonLine(doc: unknown): string {
  return JSON.stringify(doc, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)) + '\n';
}
