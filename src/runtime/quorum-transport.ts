/**
 * TCP links between the servers of an ensemble, carrying the quorum protocol's envelopes
 * (src/zab/wire.ts) as length-prefixed frames. One link per pair of servers: like ZooKeeper's
 * QuorumCnxManager, the server with the larger id dials; a dialer first sends its id (8 bytes).
 * A link that breaks is reported once (`onLinkLost`) and dialed again after a pause; messages
 * to a peer without a link are dropped (ZAB treats that as a lost link).
 */
import net from 'node:net';
import { FrameDecoder } from '../jute/frame-decoder.js';
import { JuteError } from '../jute/reader.js';
import type { ServerId } from '../election/vote.js';
import type { Envelope } from '../zab/peer.js';
import { decodeEnvelope, encodeEnvelope } from '../zab/wire.js';
import type { PeerLinkHandlers, PeerLinks, QuorumAddress } from '../ports/peer-links.js';

export type { QuorumAddress } from '../ports/peer-links.js';

/** Largest quorum frame (ZooKeeper's election packets are capped at 512 KB; txns need jute.maxbuffer). */
export const QUORUM_FRAME_BYTES_MAX = 64 * 1024 * 1024;
/** Pause before dialing a peer again after a failure. */
export const REDIAL_DELAY_MS = 500;
/** A dial that has not connected by then is abandoned (and retried): a SYN lost in a partition would otherwise hang for minutes. */
export const DIAL_TIMEOUT_MS = 5_000;
/** Bytes queued to one peer before the link is considered stuck and dropped. */
export const PEER_OUTBOUND_BYTES_MAX = 256 * 1024 * 1024;

export interface QuorumTransportOptions extends PeerLinkHandlers<Envelope> {
  readonly self: ServerId;
  readonly listen: QuorumAddress;
  readonly peers: ReadonlyMap<ServerId, QuorumAddress>;
  readonly log?: (message: string) => void;
}

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 4);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/** The peer-link port over TCP. */
export class QuorumTransport implements PeerLinks<Envelope> {
  /** Links written to in this turn of the event loop; uncorked on the next tick. */
  private readonly corked = new Set<net.Socket>();
  private readonly uncorkAll = (): void => {
    for (const socket of this.corked) socket.uncork();
    this.corked.clear();
  };
  private readonly links = new Map<ServerId, net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Dials not yet connected, closed with the transport. */
  private readonly dialing = new Set<net.Socket>();
  private server: net.Server | undefined;
  private closed = false;
  /** The other members' addresses; a committed reconfig changes them. */
  private peers: ReadonlyMap<ServerId, QuorumAddress>;

  constructor(private readonly options: QuorumTransportOptions) {
    this.peers = options.peers;
  }

  /** A reconfig committed: dial new members with smaller ids (larger ones dial us). */
  setPeers(peers: ReadonlyMap<ServerId, QuorumAddress>): void {
    const before = this.peers;
    this.peers = peers;
    for (const id of peers.keys()) if (id < this.options.self && !before.has(id) && !this.links.has(id)) this.dial(id);
  }

  /** Listens, then dials every peer with a smaller id. */
  async start(): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => resolve());
    });
    for (const id of this.peers.keys()) if (id < this.options.self) this.dial(id);
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.listen.port;
  }

  /** Sends to `to` if a link is up; the loopback to self is immediate. */
  send(to: ServerId, envelope: Envelope): void {
    if (to === this.options.self) {
      queueMicrotask(() => this.options.onEnvelope(to, envelope));
      return;
    }
    const socket = this.links.get(to);
    if (socket === undefined || socket.destroyed) return;
    // Messages to one peer in one turn of the event loop (a batch's proposals, acks, commits)
    // leave in one writev, as client replies do (runtime/tcp-listener.ts).
    if (!this.corked.has(socket)) {
      this.corked.add(socket);
      socket.cork();
      if (this.corked.size === 1) process.nextTick(this.uncorkAll);
    }
    socket.write(frame(encodeEnvelope(envelope)));
    if (socket.writableLength > PEER_OUTBOUND_BYTES_MAX) socket.destroy();
  }

  /** Drops the link to `peer` (ZAB abandoned it); it is dialed again later. */
  drop(peer: ServerId): void {
    const socket = this.links.get(peer);
    if (socket === undefined) return;
    // What was sent to it in this turn goes out first (a last COMMIT to a learner being dropped).
    if (this.corked.delete(socket)) socket.uncork();
    socket.destroy();
  }

  connectedPeers(): ServerId[] {
    return [...this.links.keys()];
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const socket of this.links.values()) socket.destroy();
    for (const socket of this.dialing) socket.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  private dial(peer: ServerId): void {
    if (this.closed) return;
    const address = this.peers.get(peer);
    if (address === undefined) return;
    const socket = net.connect({ host: address.host, port: address.port });
    socket.setNoDelay(true);
    const dialTimer = setTimeout(() => socket.destroy(), DIAL_TIMEOUT_MS);
    this.dialing.add(socket);
    socket.on('connect', () => {
      clearTimeout(dialTimer);
      this.dialing.delete(socket);
      const hello = Buffer.alloc(8);
      hello.writeBigInt64BE(this.options.self, 0);
      socket.write(hello);
      this.adopt(peer, socket, Buffer.alloc(0));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(dialTimer);
      this.dialing.delete(socket);
      if (this.links.get(peer) !== socket) this.later(() => this.dial(peer));
    });
  }

  private later(action: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, REDIAL_DELAY_MS);
    this.timers.add(timer);
  }

  /**
   * An incoming link: its first 8 bytes name the peer. Known members with larger ids dial us;
   * so may a server we do not know yet (one joining by reconfig), whatever its id.
   */
  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    let hello = Buffer.alloc(0);
    const onHello = (chunk: Buffer): void => {
      hello = Buffer.concat([hello, chunk]);
      if (hello.length < 8) return;
      socket.off('data', onHello);
      const peer = hello.readBigInt64BE(0);
      if (peer === this.options.self || (peer < this.options.self && this.peers.has(peer))) {
        socket.destroy();
        return;
      }
      this.adopt(peer, socket, hello.subarray(8));
    };
    socket.on('data', onHello);
    socket.on('error', () => undefined);
  }

  private adopt(peer: ServerId, socket: net.Socket, rest: Buffer): void {
    const previous = this.links.get(peer);
    this.links.set(peer, socket);
    previous?.destroy();
    const decoder = new FrameDecoder(QUORUM_FRAME_BYTES_MAX);
    const onData = (chunk: Buffer): void => {
      try {
        for (const payload of decoder.push(chunk)) this.options.onEnvelope(peer, decodeEnvelope(payload, QUORUM_FRAME_BYTES_MAX));
      } catch (e) {
        if (!(e instanceof JuteError)) throw e;
        this.options.log?.(`dropping link to ${peer}: ${e.message}`);
        socket.destroy();
      }
    };
    socket.on('data', onData);
    socket.on('close', () => {
      if (this.links.get(peer) !== socket) return;
      this.links.delete(peer);
      this.options.onLinkLost(peer);
      if (peer < this.options.self && this.peers.has(peer)) this.later(() => this.dial(peer));
    });
    if (rest.length > 0) onData(rest);
  }
}
