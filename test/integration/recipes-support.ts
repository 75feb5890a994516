/**
 * Shared harness of the recipe tests (test/integration/recipes-*.test.ts): the two servers every
 * recipe is run against (tszk and real ZooKeeper 3.8), clients that reach them through a fault
 * proxy, the faults themselves (cut a connection, lose the reply to a request, expire a
 * session), and an in-process critical-section counter that records the most holders ever seen
 * at once. Every wait here is bounded.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { createClient } from '../../src/main/client.js';
import type { ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import type { ClientOptions } from '../../src/client/types.js';
import { startTszk } from '../support/tszk-server.js';
import { referenceZooKeeperAvailable, startReferenceZooKeeper } from '../support/zk-reference.js';

/** The servers a recipe test runs against: tszk always, ZooKeeper 3.8 when installed. */
export const TARGETS: readonly TargetName[] = referenceZooKeeperAvailable() ? ['tszk', 'zookeeper'] : ['tszk'];
export type TargetName = 'tszk' | 'zookeeper';

/** tickTime of both servers: sessions of 1..10 s. */
const TICK_MS = 500;
/** Session timeout of test clients. */
export const SESSION_TIMEOUT_MS = 5_000;
/** Upper bound of any single wait in the harness. */
export const WAIT_MS_MAX = 20_000;

export interface Target {
  readonly name: TargetName;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts a fresh server of the given kind on loopback. */
export async function startTarget(name: TargetName): Promise<Target> {
  if (name === 'zookeeper') {
    const zk = await startReferenceZooKeeper({ tickTime: TICK_MS });
    return { name, port: zk.port, stop: () => zk.stop() };
  }
  const server = await startTszk({ config: { tickTime: String(TICK_MS), 'znode.container.checkIntervalMs': '1000' } });
  return { name, port: server.port, stop: () => server.stop() };
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

/** Splits a TCP byte stream into ZooKeeper frames (4-byte length prefix included). */
class FrameSplitter {
  private buffered = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const frames: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + length) break;
      frames.push(this.buffered.subarray(0, 4 + length));
      this.buffered = this.buffered.subarray(4 + length);
    }
    return frames;
  }
}

/**
 * A loopback proxy in front of one client: it can cut the connection (the client sees
 * CONNECTIONLOSS and reconnects, same session), refuse new connections (so the client stays
 * cut off), and let a request through but lose its reply, then cut: the request took effect
 * and the client cannot know it (the case protected creates exist for).
 */
export interface FaultProxy {
  readonly port: number;
  cut(): void;
  refuse(refusing: boolean): void;
  /** Loses the reply to the next request with one of `opCodes`, then cuts; resolves once it has. */
  loseNextReply(opCodes: readonly number[]): Promise<void>;
  /** Replies lost so far. */
  readonly lostReplies: number;
  close(): Promise<void>;
}

export function startProxy(targetPort: number): Promise<FaultProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  let armed: { opCodes: readonly number[]; done: () => void } | null = null;
  let lostReplies = 0;
  const cutAll = () => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
  };
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
    const requests = new FrameSplitter();
    const replies = new FrameSplitter();
    let sawConnectRequest = false;
    let sawConnectResponse = false;
    let doomedXid: number | null = null;
    let doomedDone: (() => void) | null = null;
    downstream.on('data', (chunk: Buffer) => {
      for (const frame of requests.push(chunk)) {
        if (!sawConnectRequest) {
          sawConnectRequest = true;
        } else if (armed !== null && frame.length >= 12 && armed.opCodes.includes(frame.readInt32BE(8))) {
          doomedXid = frame.readInt32BE(4);
          doomedDone = armed.done;
          armed = null;
        }
        upstream.write(frame);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const frame of replies.push(chunk)) {
        if (!sawConnectResponse) {
          sawConnectResponse = true;
        } else if (doomedXid !== null && frame.length >= 8 && frame.readInt32BE(4) === doomedXid) {
          lostReplies++;
          end();
          doomedDone?.();
          return;
        }
        downstream.write(frame);
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        port,
        cut: cutAll,
        refuse: (value) => {
          refusing = value;
        },
        loseNextReply: (opCodes) =>
          new Promise<void>((done) => {
            armed = { opCodes, done };
          }),
        get lostReplies() {
          return lostReplies;
        },
        close: () =>
          new Promise<void>((done) => {
            cutAll();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A client of the test, with its proxy. */
export interface TestClient {
  readonly client: ZooKeeperClient;
  readonly proxy: FaultProxy;
}

/**
 * Opens clients and proxies for one test and closes them all in `closeAll` (call it from
 * t.after or finally).
 */
export class ClientPool {
  private readonly opened: TestClient[] = [];
  private readonly direct: ZooKeeperClient[] = [];

  constructor(private readonly target: Target) {}

  /** A connected client that reaches the server through its own fault proxy. */
  async open(options: ClientOptions = {}): Promise<TestClient> {
    const proxy = await startProxy(this.target.port);
    const client = createClient(`127.0.0.1:${proxy.port}`, { sessionTimeoutMs: SESSION_TIMEOUT_MS, reconnectDelayMs: 50, ...options });
    const entry = { client, proxy };
    this.opened.push(entry);
    await client.connect({ timeoutMs: WAIT_MS_MAX });
    return entry;
  }

  /** `count` clients, opened in turn. */
  async openMany(count: number): Promise<TestClient[]> {
    const clients: TestClient[] = [];
    for (let i = 0; i < count; i++) clients.push(await this.open());
    return clients;
  }

  /** A connected client straight to the server (for observing). */
  async observer(): Promise<ZooKeeperClient> {
    const client = createClient(`127.0.0.1:${this.target.port}`, { sessionTimeoutMs: SESSION_TIMEOUT_MS });
    this.direct.push(client);
    await client.connect({ timeoutMs: WAIT_MS_MAX });
    return client;
  }

  /**
   * Expires `victim`'s session the way a partition does: its proxy refuses and cuts it off,
   * another handle resumes the session directly and closes it (the server deletes its
   * ephemerals at once), then the proxy lets the victim back, and it learns it is expired.
   * Resolves once the server has closed the session; `untilExpired` waits for the victim too.
   */
  async expire(victim: TestClient): Promise<{ untilExpired: Promise<void> }> {
    const expired = new Promise<void>((resolve) => {
      if (victim.client.state === 'CLOSED') resolve();
      victim.client.on('expired', () => resolve());
    });
    victim.proxy.refuse(true);
    victim.proxy.cut();
    const thief = createClient(`127.0.0.1:${this.target.port}`, {
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      session: { id: victim.client.sessionId, password: victim.client.sessionPassword },
    });
    await thief.connect({ timeoutMs: WAIT_MS_MAX });
    await thief.close();
    victim.proxy.refuse(false);
    const untilExpired = within(expired, WAIT_MS_MAX, 'the victim to learn its session expired');
    untilExpired.catch(() => undefined);
    return { untilExpired };
  }

  async closeAll(): Promise<void> {
    for (const { client, proxy } of this.opened) {
      await client.close().catch(() => undefined);
      await proxy.close();
    }
    for (const client of this.direct) await client.close().catch(() => undefined);
  }
}

/**
 * Counts holders of a critical section in this process: `enter` and `leave` around the guarded
 * work; `max` is the most holders ever seen at once (the property the tests assert on).
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

/** A seeded PRNG (mulberry32) so a failing run's choices can be replayed from its seed. */
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
    if ((err as { code?: number }).code === -101) return [];
    throw err;
  }
}
