/**
 * What the recipe tests (test/integration/recipes-*.test.ts) share: the two servers every recipe
 * runs against (tszk and real ZooKeeper 3.8), clients and recipe sessions that reach them through
 * a fault proxy each (cut a connection, refuse, lose the reply to a request), session expiry
 * forced from another handle, bounded polling, an in-process critical-section counter that
 * records the most holders ever seen at once, and reads of the real tree to compare caches with.
 * Every wait here is bounded.
 */
import type { TestContext } from 'node:test';
import { createClient } from '../../src/main/client.js';
import type { ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import type { ClientOptions } from '../../src/client/types.js';
import { RecipeSession } from '../../src/recipes/persistent-node-session.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { startProxy, type FaultProxy } from './fault-proxy.js';
import { describeOnTargets as describeOnServers, type Target } from './server-targets.js';

export { startProxy, type FaultProxy } from './fault-proxy.js';
export { startTarget, TICK_MS, type Target, type TargetName } from './server-targets.js';
export { seededRandom } from './seeded-random.js';

/** Session timeout of the clients a pool opens. */
export const SESSION_TIMEOUT_MS = 5_000;
/** Session timeout of the recipe sessions the tests expire or cut. */
export const SHORT_SESSION_MS = 2_000;
/** Upper bound of any single wait in the recipe tests. */
export const WAIT_MS_MAX = 20_000;

/**
 * Declares `suite` once per server (tszk, and ZooKeeper 3.8 when installed), each started before
 * the suite and stopped after it; tszk sweeps emptied containers every second.
 */
export function describeOnTargets(title: string, suite: (target: Target) => void, options: { timeoutMs?: number } = {}): void {
  describeOnServers(title, suite, { ...options, containerCheckIntervalMs: 1_000 });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves once `predicate` holds (polling every 10 ms); throws after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = WAIT_MS_MAX): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** `promise`, or a rejection after `timeoutMs` (the timer is cleared either way). */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A client of the test, with its proxy. */
export interface TestClient {
  readonly client: ZooKeeperClient;
  readonly proxy: FaultProxy;
}

/** A RecipeSession whose every handle goes through its own proxy. */
export interface ProxiedSession {
  readonly session: RecipeSession;
  readonly proxy: FaultProxy;
  close(): Promise<void>;
}

/**
 * Ends `client`'s session from outside: another handle resumes it (the server closes the
 * first handle's connection) and closes it, so the server deletes its ephemerals at once. With
 * `proxy` (the one `client` goes through), the proxy cuts the client off and refuses it
 * meanwhile, so it cannot grab its session back before it is closed; `whileAway` runs before
 * the proxy lets it in again. The first handle learns of the expiry when it reconnects.
 */
export async function expireSession(
  port: number,
  client: ZooKeeperClient,
  proxy?: FaultProxy,
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

/** Opens the clients, proxies and recipe sessions of one test; `closeAll` closes them, newest first. */
export class ClientPool {
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(private readonly target: Target) {}

  /** A pool for test `t`, closed when it ends. */
  static forTest(t: TestContext, target: Target): ClientPool {
    const pool = new ClientPool(target);
    t.after(() => pool.closeAll());
    return pool;
  }

  /** A connected client that reaches the server through its own fault proxy. */
  async open(options: ClientOptions = {}): Promise<TestClient> {
    const proxy = await startProxy(this.target.port);
    const client = createClient(`127.0.0.1:${proxy.port}`, { sessionTimeoutMs: SESSION_TIMEOUT_MS, reconnectDelayMs: 50, ...options });
    this.closers.push(async () => {
      await client.close().catch(() => undefined);
      await proxy.close();
    });
    await client.connect({ timeoutMs: WAIT_MS_MAX });
    return { client, proxy };
  }

  /** `count` clients, opened in turn. */
  async openMany(count: number): Promise<TestClient[]> {
    const clients: TestClient[] = [];
    for (let i = 0; i < count; i++) clients.push(await this.open());
    return clients;
  }

  /** A RecipeSession through a fresh proxy; new sessions after expiry use the same proxy. */
  async session(sessionTimeoutMs = SHORT_SESSION_MS): Promise<ProxiedSession> {
    const proxy = await startProxy(this.target.port);
    const session = await RecipeSession.connect(`127.0.0.1:${proxy.port}`, { sessionTimeoutMs, reconnectDelayMs: 100 });
    const close = async () => {
      await session.close();
      await proxy.close();
    };
    this.closers.push(close);
    return { session, proxy, close };
  }

  /** A connected client straight to the server, never faulted (for observers and writers). */
  async observer(sessionTimeoutMs = 10_000): Promise<ZooKeeperClient> {
    const client = createClient(`127.0.0.1:${this.target.port}`, { sessionTimeoutMs });
    this.closers.push(() => client.close());
    await client.connect({ timeoutMs: WAIT_MS_MAX });
    return client;
  }

  /**
   * Expires `victim`'s session the way a partition does (see `expireSession`). Resolves once
   * the server has closed the session; `untilExpired` waits for the victim to learn it.
   */
  async expire(victim: TestClient): Promise<{ untilExpired: Promise<void> }> {
    const expired = new Promise<void>((resolve) => {
      if (victim.client.state === 'CLOSED') resolve();
      victim.client.on('expired', () => resolve());
    });
    await expireSession(this.target.port, victim.client, victim.proxy);
    const untilExpired = within(expired, WAIT_MS_MAX, 'the victim to learn its session expired');
    untilExpired.catch(() => undefined);
    return { untilExpired };
  }

  async closeAll(): Promise<void> {
    for (const closer of this.closers.splice(0).reverse()) await closer().catch(() => undefined);
  }
}

/**
 * Counts holders of a critical section in this process: `enter` and `leave` around the guarded
 * work; `maxSeen` is the most holders ever seen at once (the property the tests assert on).
 */
export class CriticalSection {
  private inside = 0;
  maxSeen = 0;
  entries = 0;

  enter(): void {
    this.inside++;
    this.entries++;
    this.maxSeen = Math.max(this.maxSeen, this.inside);
  }

  leave(): void {
    this.inside--;
    if (this.inside < 0) throw new Error('critical section left more often than entered');
  }

  get holders(): number {
    return this.inside;
  }
}

/** Protected lock-node names as Curator makes them: `_c_<uuid>-<lockName><10-digit seq>`. */
export function protectedNodePattern(lockName: string): RegExp {
  return new RegExp(`^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-${lockName}\\d{10}$`);
}

/** Something that reports losing what it holds (a lock handle, a semaphore, a latch's client). */
export interface LossReporter {
  on(name: 'suspended' | 'lost', listener: () => void): () => void;
}

/**
 * Holds `section` for up to `holdMs`, leaving early as soon as `holder` reports it may have lost
 * what guards the section (suspended) or has lost it: what a careful lock user does, and what
 * makes "at most one holder" checkable through session faults.
 */
export async function holdSection(section: CriticalSection, holder: LossReporter, holdMs: number): Promise<void> {
  section.enter();
  let stops: (() => void)[] = [];
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, holdMs);
      const early = () => {
        clearTimeout(timer);
        resolve();
      };
      stops = [holder.on('suspended', early), holder.on('lost', early)];
    });
  } finally {
    for (const stop of stops) stop();
    section.leave();
  }
}

/** Children of `path`, or [] when it does not exist (a container may be gone). */
export async function childrenOrNone(client: ZooKeeperClient, path: string): Promise<string[]> {
  try {
    return await client.getChildren(path);
  } catch (err) {
    if (err instanceof KeeperError && err.code === ErrorCode.NONODE) return [];
    throw err;
  }
}

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
