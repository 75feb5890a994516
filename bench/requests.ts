/**
 * Request bodies and reply readers the workloads need, written with the project's jute records
 * (the same codec the server uses), so that both servers see byte-identical requests.
 */
import type { JuteWriter } from '../src/jute/writer.js';
import { Ids } from '../src/proto/data.js';
import { CreateFlags } from '../src/proto/defs.js';
import * as R from '../src/proto/records.js';
import { replyBody } from './load-session.js';

/** Version -1: any version matches. */
export const ANY_VERSION = -1;
const OPEN_ACL = [...Ids.OPEN_ACL_UNSAFE];

export type Encode = (writer: JuteWriter) => void;

export function createBody(path: string, data: Buffer, flags: number = CreateFlags.PERSISTENT): Encode {
  return (w) => R.CreateRequest.write(w, { path, data, acl: OPEN_ACL, flags });
}

export function setDataBody(path: string, data: Buffer): Encode {
  return (w) => R.SetDataRequest.write(w, { path, data, version: ANY_VERSION });
}

export function getDataBody(path: string, watch = false): Encode {
  return (w) => R.GetDataRequest.write(w, { path, watch });
}

export function existsBody(path: string, watch = false): Encode {
  return (w) => R.ExistsRequest.write(w, { path, watch });
}

export function deleteBody(path: string): Encode {
  return (w) => R.DeleteRequest.write(w, { path, version: ANY_VERSION });
}

export function getChildrenBody(path: string, watch = false): Encode {
  return (w) => R.GetChildrenRequest.write(w, { path, watch });
}

/** sync: the server the session is on catches up with the leader before answering (ensembles). */
export function syncBody(path: string): Encode {
  return (w) => R.SyncRequest.write(w, { path });
}

/** The path a create reply carries (the sequential name for sequential nodes). */
export function createdPath(frame: Buffer): string {
  return R.CreateResponse.read(replyBody(frame)).path ?? '';
}

/** The names a getChildren reply lists. */
export function childNames(frame: Buffer): string[] {
  return R.GetChildrenResponse.read(replyBody(frame)).children ?? [];
}

/** numChildren of an exists reply's Stat. */
export function statNumChildren(frame: Buffer): number {
  return R.ExistsResponse.read(replyBody(frame)).stat.numChildren;
}

/** A value of `bytes` bytes, the same for every request (content does not matter to either server). */
export function valueOf(bytes: number): Buffer {
  return Buffer.alloc(bytes, 0x61);
}
