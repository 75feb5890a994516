/**
 * What the recipe tests share: the two servers they run against (tszk and real ZooKeeper 3.8),
 * sessions reached through a loopback proxy each so a test can cut one client's connection,
 * session expiry forced from another handle, bounded polling, and a read of the real tree to
 * compare caches with.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { createClient } from '../../src/main/client.js';
import type { ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import { RecipeSession } from '../../src/recipes/persistent-node-session.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { startTszk } from './tszk-server.js';
import { referenceZooKeeperAvailable, startReferenceZooKeeper } from './zk-reference.js';

/** tickTime of both servers: sessions may be as short as 1 s. */
export const TICK_MS = 500;
/** Session timeout of the sessions the tests expire or cut. */
export const SHORT_SESSION_MS = 2_000;
/** Bound of every wait in the recipe tests. */
export const WAIT_MS_MAX = 20_000;

/** A server under test. */
export interface Target {
  readonly name: 'tszk' | 'zookeeper';
  readonly port: number;
  stop(): Promise<void>;
}

/** The targets to run against: tszk always, ZooKeeper 3.8 when installed (else a skip reason). */
export function targetKinds(): { name: 'tszk' | 'zookeeper'; skip: string | false }[] {
  return [
    { name: 'tszk', skip: false },
    { name: 'zookeeper', skip: referenceZooKeeperAvailable() ? false : 'reference ZooKeeper 3.8 not installed' },
  ];
}

/** Starts a target with tickTime TICK_MS. */
export async function startTarget(name: 'tszk' | 'zookeeper'): Promise<Target> {
  if (name === 'tszk') {
    const server = await startTszk({ config: { tickTime: String(TICK_MS) } });
    return { name, port: server.port, stop: () => server.stop() };
  }
  const server = await startReferenceZooKeeper({ tickTime: TICK_MS });
  return { name, port: server.port, stop: () => server.stop() };
}

/** A loopback TCP proxy in front of a server that a test can cut. */
export interface Proxy {
  readonly port: number;
  /** Destroys every connection through the proxy (clients see a connection loss). */
  cut(): void;
  /** While true, new connections are dropped at once and existing ones are cut. */
  refuse(refusing: boolean): void;
  /** Connections currently open. */
  readonly openConnections: number;
  close(): Promise<void>;
}

/** Starts a proxy to 127.0.0.1:`targetPort`. */
export function startProxy(targetPort: number): Promise<Proxy> {
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  const server: Server = createServer((downstream) => {
    if (refusing) {
      downstream.destroy();
      return;
    }
    const upstream = netConnect({ host: '127.0.0.1', port: targetPort });
    const pair: [Socket, Socket] = [downstream, upstream];
    pairs.add(pair);
    const end = () => {
      downstream.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    downstream.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        port,
        cut: () => {
          for (const [a, b] of [...pairs]) {
            a.destroy();
            b.destroy();
          }
        },
        refuse: (value) => {
          refusing = value;
          if (value) {
            for (const [a, b] of [...pairs]) {
              a.destroy();
              b.destroy();
            }
          }
        },
        get openConnections() {
          return pairs.size;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const [a, b] of [...pairs]) {
              a.destroy();
              b.destroy();
            }
            server.close(() => done());
          }),
      });
    });
  });
}

/** A RecipeSession whose every handle goes through its own proxy. */
export interface ProxiedSession {
  readonly session: RecipeSession;
  readonly proxy: Proxy;
  close(): Promise<void>;
}

/** Everything a test opened, closed in reverse order by `closeAll`. */
export class Fixture {
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(readonly target: Target) {}

  /** A RecipeSession through a fresh proxy; new sessions after expiry use the same proxy. */
  async session(sessionTimeoutMs = SHORT_SESSION_MS): Promise<ProxiedSession> {
    const proxy = await startProxy(this.target.port);
    const options = { sessionTimeoutMs, reconnectDelayMs: 100 };
    const session = await RecipeSession.connect(`127.0.0.1:${proxy.port}`, options);
    const close = async () => {
      await session.close();
      await proxy.close();
    };
    this.closers.push(close);
    return { session, proxy, close };
  }

  /** A plain client straight to the server (for writers and observers). */
  async client(sessionTimeoutMs = 10_000): Promise<ZooKeeperClient> {
    const client = createClient(`127.0.0.1:${this.target.port}`, { sessionTimeoutMs });
    await client.connect();
    this.closers.push(() => client.close());
    return client;
  }

  /** Registers a cleanup step. */
  onClose(closer: () => Promise<void>): void {
    this.closers.push(closer);
  }

  async closeAll(): Promise<void> {
    for (const closer of this.closers.splice(0).reverse()) await closer().catch(() => undefined);
  }
}

/**
 * Ends `client`'s session from outside: another handle resumes it (the server closes the
 * first handle's connection) and closes it. With `proxy` (the one `client` goes through), the
 * proxy refuses connections meanwhile, so the first handle cannot grab its session back before
 * it is closed; `whileAway` runs before the proxy lets it in again. The first handle learns of
 * the expiry when it reconnects.
 */
export async function expireSession(
  port: number,
  client: ZooKeeperClient,
  proxy?: Proxy,
  whileAway?: () => Promise<void>,
): Promise<bigint> {
  const id = client.sessionId;
  proxy?.refuse(true);
  try {
    const thief = createClient(`127.0.0.1:${port}`, { session: { id, password: client.sessionPassword }, sessionTimeoutMs: 10_000 });
    await thief.connect({ timeoutMs: 10_000 });
    await thief.close();
    await whileAway?.();
  } finally {
    proxy?.refuse(false);
  }
  return id;
}

/** Polls `predicate` every 25 ms; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = WAIT_MS_MAX): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One node of the real tree as the tests compare it. */
export interface TreeEntry {
  readonly data: string;
  readonly mzxid: bigint;
}

/** Reads the real subtree under `root` (root included if it exists): path -> data and mzxid. */
export async function readTree(client: ZooKeeperClient, root: string, maxDepth = Infinity): Promise<Map<string, TreeEntry>> {
  const tree = new Map<string, TreeEntry>();
  const visit = async (path: string, depth: number): Promise<void> => {
    let children: string[];
    try {
      const { data, stat } = await client.getData(path);
      tree.set(path, { data: data?.toString('utf8') ?? '', mzxid: stat.mzxid });
      if (depth >= maxDepth) return;
      children = await client.getChildren(path);
    } catch (err) {
      if (err instanceof KeeperError && err.code === ErrorCode.NONODE) return;
      throw err;
    }
    await Promise.all(children.map((child) => visit(path === '/' ? `/${child}` : `${path}/${child}`, depth + 1)));
  };
  await visit(root, 0);
  return tree;
}

/** `map` as sorted `path=data` lines, for readable assertion diffs. */
export function describeTree(map: Map<string, { data: string }>): string[] {
  return [...map.entries()].map(([path, entry]) => `${path}=${entry.data}`).sort();
}

/** Deletes `path` and everything under it; missing nodes are fine. */
export async function deleteTree(client: ZooKeeperClient, path: string): Promise<void> {
  let children: string[];
  try {
    children = await client.getChildren(path);
  } catch (err) {
    if (err instanceof KeeperError && err.code === ErrorCode.NONODE) return;
    throw err;
  }
  for (const child of children) await deleteTree(client, `${path}/${child}`);
  try {
    await client.delete(path);
  } catch (err) {
    if (!(err instanceof KeeperError && err.code === ErrorCode.NONODE)) throw err;
  }
}

/** A small seeded random source (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
