/**
 * ZAB's messages between a leader and its learners (ZooKeeper's QuorumPacket types), as values.
 * Txn payloads are opaque: ZAB orders and commits them, the host gives them meaning.
 */

/** One txn in the replicated history. */
export interface Entry {
  readonly zxid: bigint;
  readonly data: Uint8Array;
}

export type ZabMessage =
  /** Learner -> leader: discovery, with what the learner has accepted and logged. */
  | { readonly type: 'FOLLOWERINFO'; readonly acceptedEpoch: bigint; readonly lastZxid: bigint; readonly observer: boolean }
  /** Leader -> learner: the new epoch to accept. */
  | { readonly type: 'LEADERINFO'; readonly newEpoch: bigint }
  /** Learner -> leader: epoch accepted; the learner's current epoch and last logged zxid. */
  | { readonly type: 'ACKEPOCH'; readonly currentEpoch: bigint; readonly lastZxid: bigint }
  /** Leader -> learner: the learner's log is a prefix; the missing txns follow as PROPOSALs. */
  | { readonly type: 'DIFF' }
  /** Leader -> learner: drop everything after `zxid`, then txns follow. */
  | { readonly type: 'TRUNC'; readonly zxid: bigint }
  /**
   * Leader -> learner: the learner is too far behind (or diverged below what the leader still
   * holds): the leader's state as of `zxid` replaces the learner's. The peer emits it without
   * `state`; the leader's host attaches its snapshot (and the zxid it really is at) when sending.
   */
  | { readonly type: 'SNAP'; readonly zxid: bigint; readonly state?: Uint8Array }
  | { readonly type: 'PROPOSAL'; readonly entry: Entry }
  | { readonly type: 'COMMIT'; readonly zxid: bigint }
  /** Leader -> learner: synchronisation done for epoch `zxid >> 32`; ack once logged. */
  | { readonly type: 'NEWLEADER'; readonly zxid: bigint }
  /** Learner -> leader: logged (a proposal, or everything up to NEWLEADER). */
  | { readonly type: 'ACK'; readonly zxid: bigint }
  /** Leader -> learner: a quorum is synced; everything up to `commitZxid` is committed; serve. */
  | { readonly type: 'UPTODATE'; readonly commitZxid: bigint }
  /** Leader -> observer: a committed txn with its payload. */
  | { readonly type: 'INFORM'; readonly entry: Entry }
  | { readonly type: 'PING' }
  /** Answer to a FOLLOWERINFO sent to a server that follows someone else: look for the leader again. */
  | { readonly type: 'NOTLEADER' };
