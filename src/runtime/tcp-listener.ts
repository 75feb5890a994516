/** node:net adapter: accepts client sockets and feeds them to ClientConnections. */
import net from 'node:net';
import { limits } from '../config/limits.js';
import { ClientConnection, type ConnectionOptions, type SocketPort } from '../server/connection.js';
import type { ZkServer } from '../server/zk-server.js';

/**
 * A socket as a connection sees it. Reading stops for two independent reasons: the server asked
 * (too many requests in flight) or the peer is not reading its replies (too many bytes queued);
 * it resumes only when neither holds. A peer that lets far more pile up is disconnected.
 */
function socketPort(socket: net.Socket): SocketPort {
  const remoteAddress = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const remotePort = socket.remotePort ?? 0;
  let pausedByServer = false;
  let pausedByBacklog = false;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  const update = (): void => {
    if (pausedByServer || pausedByBacklog) socket.pause();
    else socket.resume();
  };
  socket.on('drain', () => {
    if (!pausedByBacklog) return;
    pausedByBacklog = false;
    update();
  });
  return {
    remoteAddress,
    remotePort,
    write: (data) => {
      if (socket.destroyed) return;
      // Everything written in one turn of the event loop leaves in one writev: a reply per
      // syscall was most of the server's time under pipelined load (bench/RESULTS.md).
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      socket.write(data);
      const queued = socket.writableLength;
      if (queued > limits.connectionOutboundBytesMax * 4) {
        socket.destroy();
      } else if (queued > limits.connectionOutboundBytesMax && !pausedByBacklog) {
        pausedByBacklog = true;
        update();
      }
    },
    get pendingWriteBytes() {
      return socket.writableLength;
    },
    end: () => {
      socket.end();
      // A peer that never reads must not keep the socket (and its buffers) forever.
      setTimeout(() => socket.destroy(), 2000).unref();
    },
    destroy: () => socket.destroy(),
    pause: () => {
      pausedByServer = true;
      update();
    },
    resume: () => {
      pausedByServer = false;
      update();
    },
  };
}

export interface ListenerOptions extends ConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** Concurrent connections per remote address; 0 means no limit (maxClientCnxns). */
  readonly maxClientCnxns: number;
  /** Concurrent connections in all; 0 (the default) means no limit (maxCnxns). */
  readonly maxCnxns?: number;
  /** listen() backlog; -1 or absent leaves the system default (clientPortListenBacklog). */
  readonly backlog?: number;
  /** TCP keepalive on client sockets (clientTcpKeepAlive). */
  readonly keepAlive?: boolean;
  /** Counts for metrics: a connection was accepted / refused (with ZooKeeper's reason) / sent bytes. */
  readonly onAccepted?: () => void;
  readonly onRefused?: (reason: string) => void;
  readonly onBytesReceived?: (bytes: number) => void;
}

/** Listens for clients; resolves once bound. */
export async function listen(server: ZkServer, options: ListenerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const perAddress = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer({ noDelay: true }, (socket) => {
    const port = socketPort(socket);
    const count = perAddress.get(port.remoteAddress) ?? 0;
    const refuse = (reason: string): void => {
      if (options.onRefused !== undefined) options.onRefused(reason);
      else options.log(reason);
      socket.destroy();
    };
    if (options.maxClientCnxns > 0 && count >= options.maxClientCnxns) {
      refuse(`Too many connections from /${port.remoteAddress} - max is ${options.maxClientCnxns}`);
      return;
    }
    if ((options.maxCnxns ?? 0) > 0 && sockets.size >= options.maxCnxns!) {
      refuse(`Too many connections in total (maxCnxns=${options.maxCnxns}); refusing /${port.remoteAddress}:${port.remotePort}`);
      return;
    }
    options.onAccepted?.();
    if (options.keepAlive === true) socket.setKeepAlive(true);
    perAddress.set(port.remoteAddress, count + 1);
    sockets.add(socket);
    const connection = new ClientConnection(port, server, options);
    socket.on('data', (chunk: Buffer) => {
      options.onBytesReceived?.(chunk.length);
      connection.onData(chunk);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      const left = (perAddress.get(port.remoteAddress) ?? 1) - 1;
      if (left <= 0) perAddress.delete(port.remoteAddress);
      else perAddress.set(port.remoteAddress, left);
      connection.onClosed();
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    const backlog = options.backlog !== undefined && options.backlog > 0 ? options.backlog : undefined;
    tcp.listen({ port: options.port, host: options.host, ...(backlog !== undefined && { backlog }) }, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  const address = tcp.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        tcp.close(() => resolve());
      }),
  };
}
