/**
 * The peer-link port: how an ensemble member reaches the others. Production runs it over TCP
 * (runtime/quorum-transport.ts); the simulator over an in-memory network it controls. Messages
 * are opaque here (`M`: the quorum protocol's envelopes), so the port imports nothing above it.
 *
 * Contract, as TCP gives it: messages to one peer arrive in the order sent, or the link breaks;
 * a broken link is reported once (`onLinkLost`) and re-established later by the implementation;
 * a message sent while no link is up is dropped (the protocol treats that as a lost link).
 */

/** Where a member's quorum link listens. */
export interface QuorumAddress {
  readonly host: string;
  readonly port: number;
}

/** What the links report to their owner. */
export interface PeerLinkHandlers<M> {
  readonly onEnvelope: (from: bigint, message: M) => void;
  readonly onLinkLost: (peer: bigint) => void;
}

/** The links of one member to every other. */
export interface PeerLinks<M> {
  /** Begins accepting and dialing links. */
  start(): Promise<unknown>;
  /** Sends to `to` if a link is up (to self: delivered on a later turn). */
  send(to: bigint, message: M): void;
  /** Drops the link to `peer` (the protocol abandoned it); it is re-established later. */
  drop(peer: bigint): void;
  /** A committed reconfig changed who the peers are and where they listen. */
  setPeers(peers: ReadonlyMap<bigint, QuorumAddress>): void;
  close(): Promise<void>;
}
