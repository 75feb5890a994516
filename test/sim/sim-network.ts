// The simulated network: peer links between servers (the PeerLinks port) and client sockets
// between real ZooKeeperClients (the ClientEnvironment port) and the servers' connection layer
// (the SocketPort port). Each connection carries two pipes, FIFO like TCP: every item gets a
// latency from the Prng and is delivered no earlier than the one before it. A pipe can be
// blocked (a partition: items wait, as TCP retransmits, and flow again when it heals unless the
// connection died meanwhile) or killed (a reset: everything in it is lost). Peer links are
// re-established after a pause, as QuorumTransport redials; a link is only made when both
// directions get through.
import type { PeerLinkHandlers, PeerLinks, QuorumAddress } from '../../src/ports/peer-links.js';
import type { Envelope } from '../../src/zab/peer.js';
import type { SimWorld } from './world.js';

/** QuorumTransport's pause before dialing a lost peer again. */
const REDIAL_DELAY_MS = 500;

/** One direction of a connection. */
export class Pipe<T> {
  private readonly queue: Array<{ item: T; dueAt: number }> = [];
  private armed = false;
  blocked = false;
  dead = false;

  constructor(
    private readonly world: SimWorld,
    private readonly latencyMs: () => number,
    private readonly deliver: (item: T) => void,
  ) {}

  send(item: T): void {
    if (this.dead) return;
    const last = this.queue.at(-1)?.dueAt ?? 0;
    this.queue.push({ item, dueAt: Math.max(last, this.world.now + this.latencyMs()) });
    this.arm();
  }

  setBlocked(blocked: boolean): void {
    this.blocked = blocked;
    this.arm();
  }

  kill(): void {
    this.dead = true;
    this.queue.length = 0;
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  private arm(): void {
    if (this.armed || this.blocked || this.dead || this.queue.length === 0) return;
    this.armed = true;
    this.world.schedule(Math.max(0, this.queue[0]!.dueAt - this.world.now), () => {
      this.armed = false;
      if (this.dead || this.blocked) return;
      const head = this.queue.shift()!;
      this.deliver(head.item);
      this.arm();
    });
  }
}

/** Which directed routes are cut: `a>b` blocks what a sends to b. */
export class Partitions {
  private readonly blocked = new Set<string>();

  isBlocked(from: string, to: string): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  block(from: string, to: string): void {
    this.blocked.add(`${from}>${to}`);
  }

  clear(): void {
    this.blocked.clear();
  }

  get size(): number {
    return this.blocked.size;
  }
}

/** Names of network nodes: servers `s<id>`, clients `c<n>`. */
export const serverNode = (id: bigint): string => `s${id}`;

interface PeerEndpoint {
  readonly id: bigint;
  readonly handlers: PeerLinkHandlers<Envelope>;
  closed: boolean;
}

interface PeerConnection {
  readonly a: PeerEndpoint;
  readonly b: PeerEndpoint;
  readonly ab: Pipe<Envelope>;
  readonly ba: Pipe<Envelope>;
  alive: boolean;
}

/** The servers' quorum network. */
export class PeerNetwork {
  private readonly endpoints = new Map<bigint, PeerEndpoint>();
  private readonly connections = new Map<string, PeerConnection>();
  private readonly dialing = new Set<string>();
  /** Probability that a message is lost, breaking its connection (as a reset would). */
  dropRate = 0;
  messages = 0;
  breaks = 0;

  constructor(
    private readonly world: SimWorld,
    private readonly partitions: Partitions,
    private readonly latencyMs: () => number,
  ) {}

  /** The links of one server incarnation (the PeerLinks port). */
  linksFor(id: bigint, handlers: PeerLinkHandlers<Envelope>): PeerLinks<Envelope> {
    const endpoint: PeerEndpoint = { id, handlers, closed: false };
    return {
      start: async () => {
        const previous = this.endpoints.get(id);
        if (previous !== undefined) this.detach(previous);
        this.endpoints.set(id, endpoint);
        for (const other of this.endpoints.values()) if (other !== endpoint) this.dial(endpoint.id, other.id, 0);
      },
      send: (to, envelope) => this.send(endpoint, to, envelope),
      drop: (peer) => {
        const c = this.connections.get(pairKey(id, peer));
        if (c !== undefined && (c.a === endpoint || c.b === endpoint)) this.breakConnection(c);
      },
      setPeers: () => undefined,
      close: async () => this.detach(endpoint),
    };
  }

  /** A server incarnation died: its links reset (the others notice shortly). */
  crash(id: bigint): void {
    const endpoint = this.endpoints.get(id);
    if (endpoint !== undefined) this.detach(endpoint);
  }

  /** Breaks the link between two servers, if up (it is redialed later). */
  breakLink(a: bigint, b: bigint): void {
    const c = this.connections.get(pairKey(a, b));
    if (c !== undefined) this.breakConnection(c);
  }

  /** The pairs linked now, for failure reports. */
  linkedPairs(): string[] {
    return [...this.connections.keys()].sort();
  }

  /** Partitions changed: blocked pipes hold their messages; healed ones flow; cut pairs redial. */
  refresh(): void {
    for (const c of this.connections.values()) {
      c.ab.setBlocked(this.partitions.isBlocked(serverNode(c.a.id), serverNode(c.b.id)));
      c.ba.setBlocked(this.partitions.isBlocked(serverNode(c.b.id), serverNode(c.a.id)));
    }
    const ids = [...this.endpoints.keys()];
    for (const a of ids) for (const b of ids) if (a < b) this.dial(a, b, 0);
  }

  private send(from: PeerEndpoint, to: bigint, envelope: Envelope): void {
    if (from.closed) return;
    if (to === from.id) {
      this.world.schedule(0, () => {
        if (!from.closed) from.handlers.onEnvelope(to, envelope);
      });
      return;
    }
    const c = this.connections.get(pairKey(from.id, to));
    if (c === undefined || !c.alive || (c.a !== from && c.b !== from)) return;
    this.messages++;
    if (this.dropRate > 0 && this.world.rng.chance(this.dropRate)) {
      this.breakConnection(c);
      return;
    }
    (c.a === from ? c.ab : c.ba).send(envelope);
  }

  private detach(endpoint: PeerEndpoint): void {
    endpoint.closed = true;
    if (this.endpoints.get(endpoint.id) === endpoint) this.endpoints.delete(endpoint.id);
    for (const c of [...this.connections.values()]) if (c.a === endpoint || c.b === endpoint) this.breakConnection(c);
  }

  /** Both ends hear of the reset, each after its own delay; then the pair is redialed. */
  private breakConnection(c: PeerConnection): void {
    if (!c.alive) return;
    c.alive = false;
    this.breaks++;
    c.ab.kill();
    c.ba.kill();
    this.connections.delete(pairKey(c.a.id, c.b.id));
    const key = pairKey(c.a.id, c.b.id);
    for (const [self, peer] of [[c.a, c.b], [c.b, c.a]] as const) {
      this.world.schedule(this.latencyMs(), () => {
        // As QuorumTransport: only the loss of the current link is reported.
        const current = this.connections.get(key);
        if (!self.closed && (current === undefined || current === c)) self.handlers.onLinkLost(peer.id);
      });
    }
    this.dial(c.a.id, c.b.id, REDIAL_DELAY_MS);
  }

  /** Connects a and b after `delayMs` if both are up, not linked, and can reach each other. */
  private dial(a: bigint, b: bigint, delayMs: number): void {
    const key = pairKey(a, b);
    if (this.dialing.has(key) || this.connections.has(key)) return;
    this.dialing.add(key);
    this.world.schedule(delayMs + this.latencyMs() * 2, () => {
      this.dialing.delete(key);
      const ea = this.endpoints.get(a);
      const eb = this.endpoints.get(b);
      if (ea === undefined || eb === undefined || this.connections.has(key)) return;
      const na = serverNode(a);
      const nb = serverNode(b);
      if (this.partitions.isBlocked(na, nb) || this.partitions.isBlocked(nb, na)) {
        this.dial(a, b, REDIAL_DELAY_MS);
        return;
      }
      const c: PeerConnection = {
        a: ea, b: eb, alive: true,
        ab: new Pipe(this.world, this.latencyMs, (m) => {
          if (process.env.SIM_MSG !== undefined) console.log(`${this.world.now.toFixed(1)} ${a}->${b} ${JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v)).slice(0, 200)}`);
          if (!eb.closed) eb.handlers.onEnvelope(a, m);
        }),
        ba: new Pipe(this.world, this.latencyMs, (m) => {
          if (process.env.SIM_MSG !== undefined) console.log(`${this.world.now.toFixed(1)} ${b}->${a} ${JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v)).slice(0, 200)}`);
          if (!ea.closed) ea.handlers.onEnvelope(b, m);
        }),
      };
      this.connections.set(key, c);
    });
  }
}

function pairKey(a: bigint, b: bigint): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

export type { QuorumAddress };
