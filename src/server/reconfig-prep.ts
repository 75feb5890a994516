/**
 * A reconfig on the leader (ZooKeeper's PrepRequestProcessor for op 16): the new membership as
 * /zookeeper/config's new data, versioned with the txn's own zxid, or the error ZooKeeper 3.8
 * answers, checked in its order: reconfig off, session, another reconfig in flight, the expected
 * config version, the arguments, a quorum of the new voters in sync with the leader, and the
 * caller's right to write /zookeeper/config (super only, by its ACL) last. Pure.
 */
import { isAllowed } from '../auth/acl.js';
import { ConfigError } from '../config/config-error.js';
import { applyReconfig, formatMembership, isQuorumOf } from '../config/membership.js';
import type { Id } from '../proto/data.js';
import { CONFIG_NODE, Perms } from '../proto/defs.js';
import { ErrorCode } from '../proto/error-code.js';
import { OpCode } from '../proto/op-code.js';
import type { TxnEntry } from '../proto/txn.js';
import type { DataTree } from '../tree/data-tree.js';
import type { Request } from './request.js';
import type { QuorumView } from './zk-server.js';

export interface ReconfigEnv {
  readonly tree: DataTree;
  /** The ensemble's view; undefined on a standalone server. */
  readonly view: QuorumView | undefined;
  readonly reconfigEnabled: boolean;
  readonly skipAcl: boolean;
}

export interface ReconfigContext {
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly authIds: readonly Id[];
  readonly sessionValid: boolean;
}

export function prepareReconfig(
  request: Extract<Request, { op: typeof OpCode.reconfig }>, context: ReconfigContext, env: ReconfigEnv, zxid: bigint, time: bigint,
): TxnEntry {
  const header = { clientId: context.sessionId, cxid: context.cxid, zxid, time, type: OpCode.reconfig };
  const refuse = (err: number): TxnEntry => ({ header: { ...header, type: OpCode.error }, body: { type: OpCode.error, err } });
  const view = env.view;
  if (!env.reconfigEnabled || view === undefined) return refuse(ErrorCode.RECONFIGDISABLED);
  if (!context.sessionValid) return refuse(ErrorCode.SESSIONEXPIRED);
  if (view.reconfigPending()) return refuse(ErrorCode.RECONFIGINPROGRESS);
  const current = view.membership();
  if (request.curConfigId !== -1n && request.curConfigId !== current.version) return refuse(ErrorCode.BADVERSION);
  // A leaving id that is not a number fails ZooKeeper's Long.parseLong: MARSHALLINGERROR.
  if ((request.leaving ?? '').split(',').some((id) => id.trim() !== '' && !/^\d+$/.test(id.trim()))) return refuse(ErrorCode.MARSHALLINGERROR);
  let servers;
  try {
    servers = applyReconfig(current, { joining: request.joining, leaving: request.leaving, newMembers: request.newMembers });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return refuse(ErrorCode.BADARGUMENTS);
  }
  if (!servers.some((s) => s.type === 'participant')) return refuse(ErrorCode.BADARGUMENTS);
  if (!isQuorumOf(servers, view.syncedServers())) return refuse(ErrorCode.NEWCONFIGNOQUORUM);
  const node = env.tree.getNode(CONFIG_NODE);
  if (!env.skipAcl && node !== undefined && !isAllowed(node.acl.acl, Perms.WRITE, context.authIds)) return refuse(ErrorCode.NOAUTH);
  const data = Buffer.from(formatMembership({ servers, version: zxid }), 'utf8');
  return { header, body: { type: OpCode.reconfig, path: CONFIG_NODE, data, version: -1 } };
}
