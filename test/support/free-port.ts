/**
 * Free loopback ports for test servers and benchmark servers (shared by test/support and bench/).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports this process handed out, never handed out twice. */
const issuedPorts = new Set<number>();
/** Attempts at a port before giving up. */
const FREE_PORT_ATTEMPTS = 200;
/** The lowest port tried: below it are well-known and registered services' ports. */
const FREE_PORT_LOW = 10_000;

/**
 * A loopback port free now and not returned before by this process. Chosen below the kernel's
 * ephemeral range (ip_local_port_range), so that no outgoing connection can take it between now
 * and the moment a server (an ensemble joiner, say, seconds later) binds it; listen(0) would
 * pick from that very range.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  for (let attempt = 0; attempt < FREE_PORT_ATTEMPTS; attempt++) {
    const port = high > FREE_PORT_LOW ? FREE_PORT_LOW + Math.floor(Math.random() * (high - FREE_PORT_LOW)) : await boundPort(0);
    if (issuedPorts.has(port) || !(await bindable(port))) continue;
    issuedPorts.add(port);
    return port;
  }
  throw new Error(`no fresh loopback port in ${FREE_PORT_ATTEMPTS} attempts`);
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 0;
  } catch {
    return 0;
  }
}

async function bindable(port: number): Promise<boolean> {
  try {
    await boundPort(port);
    return true;
  } catch {
    return false;
  }
}

/** Listens on `port` (0: any) on loopback, closes, and returns the port. */
function boundPort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (bound > 0 ? resolve(bound) : reject(new Error('no port assigned'))));
    });
  });
}
