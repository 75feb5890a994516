/**
 * The client's environment on Node: TCP sockets from node:net, timers, performance.now().
 * The only client module with effects.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { HostAddress } from '../client/connect-string.js';
import type { ClientEnvironment, ClientSocket, SocketHandlers, TimerHandle } from '../client/environment.js';

function openSocket(address: HostAddress, handlers: SocketHandlers): ClientSocket {
  let closed = false;
  let lastError = '';
  const socket: Socket = netConnect({ host: address.host, port: address.port });
  socket.setNoDelay(true);
  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    handlers.onClose(reason);
  };
  socket.on('connect', () => {
    if (!closed) handlers.onConnect();
  });
  socket.on('data', (chunk: Buffer) => {
    if (!closed) handlers.onData(chunk);
  });
  socket.on('error', (err) => {
    lastError = err.message;
  });
  socket.on('close', () => finish(lastError === '' ? 'connection closed by server' : lastError));
  return {
    write(data) {
      if (!closed) socket.write(data);
    },
    destroy() {
      closed = true;
      socket.destroy();
    },
  };
}

/** The default environment: real sockets and timers. */
export const nodeEnvironment: ClientEnvironment = {
  connect: openSocket,
  setTimer: (delayMs, callback) => setTimeout(callback, Math.max(0, delayMs)) as unknown as TimerHandle,
  clearTimer: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
  now: () => performance.now(),
  random: () => Math.random(),
};
