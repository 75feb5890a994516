/**
 * What a learner and its leader say besides ZAB itself (ZooKeeper's REQUEST, SYNC and the
 * session touches a follower piggybacks on its PING replies): client writes a follower or
 * observer forwards, `sync` round trips, and which sessions the learner's clients kept alive.
 * ZAB never looks inside them; the host's server layer gives them meaning.
 */
import type { Id } from '../proto/data.js';

/** A client write (or createSession / closeSession) forwarded to the leader for prep and proposal. */
export interface ForwardedRequest {
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly type: number;
  /** The request record after its RequestHeader (empty for createSession). */
  readonly payload: Uint8Array;
  /** The identities the learner's connection has authenticated (ZooKeeper's QuorumPacket authinfo). */
  readonly authIds: readonly Id[];
  /** The negotiated timeout, for createSession. */
  readonly timeoutMs: number;
}

export type LearnerMessage =
  | { readonly type: 'REQUEST'; readonly request: ForwardedRequest }
  /** Learner -> leader: tell me how far you have proposed (a client's `sync`). */
  | { readonly type: 'SYNC'; readonly id: number }
  /** Leader -> learner: every txn up to `zxid` was proposed before the SYNC arrived. */
  | { readonly type: 'SYNCED'; readonly id: number; readonly zxid: bigint }
  /** Learner -> leader: sessions its clients touched since the last report (keeps them alive). */
  | { readonly type: 'TOUCH'; readonly sessions: readonly bigint[] }
  /**
   * Membership: a learner that just synced asks (empty `text`), the leader answers with the
   * config in effect (ZooKeeper sends it with NEWLEADER), so every member agrees on it and its version.
   */
  | { readonly type: 'CONFIG'; readonly text: string };
