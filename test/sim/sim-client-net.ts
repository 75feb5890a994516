// Simulated client sockets: a real ZooKeeperClient's ClientEnvironment.connect on one side, a
// server's ClientConnection (through the SocketPort port) on the other, two FIFO pipes between
// them (sim-network.ts). A server that is down refuses at once; one behind a partition never
// answers the SYN (the client's own connect timeout gives up). Resets reach each side after a
// latency. Every byte both ways is shown to a wire observer, which the checkers decode.
import type { HostAddress } from '../../src/client/connect-string.js';
import type { ClientSocket, SocketHandlers } from '../../src/client/environment.js';
import type { SocketPort } from '../../src/server/connection.js';
import { Pipe, type Partitions } from './sim-network.js';
import type { SimWorld } from './world.js';

/** The server side of one accepted socket. */
export interface AcceptedSocket {
  onData(chunk: Buffer): void;
  onClosed(): void;
}

/** What a server incarnation does with a new client socket. */
export type Accept = (port: SocketPort) => AcceptedSocket;

/** Sees every byte of every client connection, by client. */
export interface WireObserver {
  opened(client: string, connection: number): void;
  sent(client: string, connection: number, chunk: Buffer): void;
  received(client: string, connection: number, chunk: Buffer): void;
}

const FIN = 'FIN';
type Segment = Buffer | typeof FIN;

interface ServerEndpoint {
  readonly node: string;
  readonly accept: Accept;
  closed: boolean;
}

class SimClientConnection {
  readonly c2s: Pipe<Segment>;
  readonly s2c: Pipe<Segment>;
  server: AcceptedSocket | undefined;
  endpoint: ServerEndpoint | undefined;
  alive = true;
  pausedByServer = false;
  clientClosed = false;

  constructor(
    private readonly net: ClientNetwork,
    readonly id: number,
    /** The client process (one session), for the wire observer. */
    readonly client: string,
    /** Its network node, for partitions. */
    readonly node: string,
    readonly handlers: SocketHandlers,
  ) {
    const world = net.world;
    this.c2s = new Pipe(world, net.latencyMs, (segment) => {
      if (segment === FIN || this.server === undefined || this.endpoint?.closed === true) return;
      this.server.onData(segment);
    });
    this.s2c = new Pipe(world, net.latencyMs, (segment) => {
      if (this.clientClosed) return;
      if (segment === FIN) {
        this.reset('connection closed by server', false);
        return;
      }
      net.observer?.received(client, id, segment);
      this.handlers.onData(segment);
    });
  }

  /** Blocks or unblocks the pipes from the partitions and the server's pause. */
  refresh(partitions: Partitions): void {
    const server = this.endpoint?.node;
    if (server === undefined) return;
    this.c2s.setBlocked(this.pausedByServer || partitions.isBlocked(this.node, server));
    this.s2c.setBlocked(partitions.isBlocked(server, this.node));
  }

  /** Both sides hear of the end after a latency (the client not, when it asked: `byClient`). */
  reset(reason: string, byClient: boolean): void {
    if (!this.alive) return;
    this.alive = false;
    this.c2s.kill();
    this.s2c.kill();
    this.net.forget(this);
    const world = this.net.world;
    if (byClient) this.clientClosed = true;
    else {
      world.schedule(this.net.latencyMs(), () => {
        if (this.clientClosed) return;
        this.clientClosed = true;
        this.handlers.onClose(reason);
      });
    }
    const server = this.server;
    const endpoint = this.endpoint;
    if (server !== undefined && endpoint !== undefined) {
      world.schedule(this.net.latencyMs(), () => {
        if (!endpoint.closed) server.onClosed();
      });
    }
  }

  /** The server's end of the socket. */
  port(node: string): SocketPort {
    return {
      remoteAddress: this.client,
      remotePort: this.id,
      write: (data) => {
        if (this.alive) this.s2c.send(Buffer.from(data));
      },
      pendingWriteBytes: 0,
      end: () => {
        if (this.alive) this.s2c.send(FIN);
      },
      destroy: () => this.reset('connection reset by server', false),
      pause: () => {
        this.pausedByServer = true;
        this.refresh(this.net.partitions);
      },
      resume: () => {
        this.pausedByServer = false;
        this.refresh(this.net.partitions);
      },
      toString: () => `${this.client}->${node}`,
    } as SocketPort;
  }
}

/** All client sockets of a run. */
export class ClientNetwork {
  private readonly endpoints = new Map<string, ServerEndpoint>();
  private readonly connections = new Set<SimClientConnection>();
  private nextId = 1;
  observer: WireObserver | undefined;
  resets = 0;

  constructor(
    readonly world: SimWorld,
    readonly partitions: Partitions,
    readonly latencyMs: () => number,
  ) {}

  /** A server incarnation listens at `host:port` as network node `node`. */
  listen(address: string, node: string, accept: Accept): { close(): void } {
    const endpoint: ServerEndpoint = { node, accept, closed: false };
    this.endpoints.set(address, endpoint);
    return {
      close: () => {
        endpoint.closed = true;
        if (this.endpoints.get(address) === endpoint) this.endpoints.delete(address);
        for (const c of [...this.connections]) if (c.endpoint === endpoint) c.reset('connection reset by peer', false);
      },
    };
  }

  /** ClientEnvironment.connect for process `client` on network node `node`. */
  connect(client: string, node: string, address: HostAddress, handlers: SocketHandlers): ClientSocket {
    const c = new SimClientConnection(this, this.nextId++, client, node, handlers);
    this.observer?.opened(client, c.id);
    this.world.schedule(this.latencyMs() * 2, () => {
      if (c.clientClosed) return;
      const endpoint = this.endpoints.get(`${address.host}:${address.port}`);
      if (endpoint === undefined) {
        c.clientClosed = true;
        handlers.onClose('ECONNREFUSED');
        return;
      }
      // A SYN into a partition is lost: the client's connect timeout ends the attempt.
      if (this.partitions.isBlocked(node, endpoint.node) || this.partitions.isBlocked(endpoint.node, node)) return;
      c.endpoint = endpoint;
      this.connections.add(c);
      c.server = endpoint.accept(c.port(endpoint.node));
      c.refresh(this.partitions);
      handlers.onConnect();
    });
    return {
      write: (data) => {
        if (!c.alive || c.clientClosed) return;
        this.observer?.sent(client, c.id, Buffer.from(data));
        c.c2s.send(Buffer.from(data));
      },
      destroy: () => {
        c.clientClosed = true;
        if (c.endpoint === undefined) c.alive = false;
        else c.reset('destroyed by client', true);
      },
    };
  }

  forget(c: SimClientConnection): void {
    this.connections.delete(c);
    this.resets++;
  }

  /** Resets every connection of network node `node` (a cable pulled). */
  cut(node: string): void {
    for (const c of [...this.connections]) if (c.node === node) c.reset('connection reset by peer', false);
  }

  /** Partitions changed. */
  refresh(): void {
    for (const c of this.connections) c.refresh(this.partitions);
  }
}
