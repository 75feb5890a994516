/**
 * The session under the recipes: a client handle that outlives its ZooKeeper sessions, as
 * CuratorFramework does. A `ZooKeeperClient` is dead once its session expires; a
 * `RecipeSession` then makes a new handle (from its factory) and reports the change, so caches,
 * persistent nodes, service registrations and group members can rebuild what the old session
 * held.
 *
 * Connection states (Curator's ConnectionState): CONNECTED (the first session is up),
 * SUSPENDED (the connection is lost; the session may still be alive), RECONNECTED (connected
 * again: `newSession` says whether it is the same session or a new one after expiry), LOST
 * (the session expired; a new one is being made if there is a factory) and CLOSED.
 *
 * Also here: the few path and create helpers every recipe needs.
 */
import { createClient } from '../main/client.js';
import type { ZooKeeperClient } from '../client/zookeeper-client.js';
import type { ClientOptions, CreateModeName } from '../client/types.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';

/** Curator's ConnectionState names. */
export type RecipeConnectionState = 'CONNECTED' | 'SUSPENDED' | 'RECONNECTED' | 'LOST' | 'CLOSED';

/** One state change, with the handle it concerns. */
export interface RecipeStateChange {
  readonly state: RecipeConnectionState;
  /** The handle now current (after LOST: the dead one, until its replacement connects). */
  readonly client: ZooKeeperClient;
  /** For CONNECTED and RECONNECTED: true when this is a session the recipes have not used yet. */
  readonly newSession: boolean;
  /** Counts sessions: 1 for the first, +1 after every expiry. */
  readonly generation: number;
}

/** Called on every state change; must not throw (errors are reported, not propagated). */
export type RecipeStateListener = (change: RecipeStateChange) => void;

/** Options of `RecipeSession.connect`. */
export interface RecipeSessionOptions extends ClientOptions {
  /** Bound on the first connection; default: the session timeout. Later sessions wait without bound. */
  firstConnectTimeoutMs?: number;
}

/** Pause before trying again when a replacement session could not be made. */
const RENEW_RETRY_DELAY_MS = 1_000;

/**
 * A ZooKeeper client that survives session expiry by making a new session. Recipes take one
 * (or a plain ZooKeeperClient, which `RecipeSession.of` wraps without renewal).
 */
export class RecipeSession {
  private current: ZooKeeperClient;
  private generationValue = 1;
  private readonly listeners = new Set<RecipeStateListener>();
  private readonly detachers: (() => void)[] = [];
  private closed = false;
  private everConnected = false;
  private renewTimer: NodeJS.Timeout | null = null;

  /**
   * `factory` makes a fresh, unconnected client (null: never renew; after expiry the session
   * stays LOST). `first` is the first handle, defaulting to one from the factory.
   */
  constructor(
    private readonly factory: (() => ZooKeeperClient) | null,
    first?: ZooKeeperClient,
  ) {
    const client = first ?? factory?.();
    if (client === undefined) throw new Error('RecipeSession needs a client or a factory');
    this.current = client;
    this.attach(client);
  }

  /** Creates clients for `connectString` with `options` and connects the first one. */
  static async connect(connectString: string, options: RecipeSessionOptions = {}): Promise<RecipeSession> {
    const { firstConnectTimeoutMs, ...clientOptions } = options;
    const session = new RecipeSession(() => createClient(connectString, clientOptions));
    try {
      await session.current.connect(firstConnectTimeoutMs === undefined ? {} : { timeoutMs: firstConnectTimeoutMs });
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  /**
   * Wraps an existing client. With `factory`, expiry is followed by a new session from it;
   * without, the recipes stop at LOST (a plain ZooKeeperClient cannot outlive its session).
   */
  static of(client: ZooKeeperClient, factory: (() => ZooKeeperClient) | null = null): RecipeSession {
    return new RecipeSession(factory, client);
  }

  /** The handle to send requests on now. */
  get client(): ZooKeeperClient {
    return this.current;
  }
  /** 1 for the first session, +1 after every expiry. */
  get generation(): number {
    return this.generationValue;
  }
  /** True while the current handle has a live connection. */
  get isConnected(): boolean {
    const state = this.current.state;
    return state === 'CONNECTED' || state === 'CONNECTEDREADONLY';
  }
  /** True once close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Listens to state changes; returns a function that stops listening. */
  onStateChange(listener: RecipeStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts connecting the current handle (idempotent); resolves once connected. */
  async start(timeoutMs?: number): Promise<void> {
    await this.current.connect(timeoutMs === undefined ? {} : { timeoutMs });
  }

  /**
   * Resolves with the current handle once it is connected; rejects with CONNECTIONLOSS after
   * `timeoutMs` and with SESSIONEXPIRED if the session is closed meanwhile.
   */
  waitConnected(timeoutMs: number): Promise<ZooKeeperClient> {
    if (this.isConnected) return Promise.resolve(this.current);
    if (this.closed) return Promise.reject(new KeeperError(ErrorCode.SESSIONEXPIRED));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new KeeperError(ErrorCode.CONNECTIONLOSS));
      }, timeoutMs);
      const stop = this.onStateChange((change) => {
        if (change.state === 'CONNECTED' || change.state === 'RECONNECTED') {
          clearTimeout(timer);
          stop();
          resolve(change.client);
        } else if (change.state === 'CLOSED') {
          clearTimeout(timer);
          stop();
          reject(new KeeperError(ErrorCode.SESSIONEXPIRED));
        }
      });
    });
  }

  /** Closes the current handle and stops renewing. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.renewTimer !== null) clearTimeout(this.renewTimer);
    this.renewTimer = null;
    const client = this.current;
    await client.close();
    for (const detach of this.detachers.splice(0)) detach();
    this.emit('CLOSED', false);
    this.listeners.clear();
  }

  private attach(client: ZooKeeperClient): void {
    let connectedBefore = false;
    const isCurrent = () => client === this.current && !this.closed;
    this.detachers.push(
      client.on('connected', () => {
        if (!isCurrent()) return;
        const newSession = !connectedBefore;
        connectedBefore = true;
        const state = this.everConnected ? 'RECONNECTED' : 'CONNECTED';
        this.everConnected = true;
        this.emit(state, newSession);
      }),
      client.on('disconnected', () => {
        if (isCurrent()) this.emit('SUSPENDED', false);
      }),
      client.on('expired', () => {
        if (!isCurrent()) return;
        this.emit('LOST', false);
        this.renew();
      }),
      client.on('closed', () => {
        // Closed by someone other than close(): nothing more can be done with this session.
        if (!isCurrent()) return;
        this.closed = true;
        this.emit('CLOSED', false);
      }),
    );
  }

  /** Replaces the dead handle with a new session from the factory; retries until closed. */
  private renew(): void {
    if (this.factory === null || this.closed) return;
    for (const detach of this.detachers.splice(0)) detach();
    let client: ZooKeeperClient;
    try {
      client = this.factory();
    } catch (err) {
      this.report(err);
      this.renewTimer = setTimeout(() => this.renew(), RENEW_RETRY_DELAY_MS);
      return;
    }
    this.current = client;
    this.generationValue++;
    this.attach(client);
    client.connect({ timeoutMs: Infinity }).catch((err: unknown) => {
      // connect({Infinity}) only fails if this handle was closed or failed auth.
      if (client === this.current && !this.closed && client.state !== 'CLOSED') this.report(err);
    });
  }

  private emit(state: RecipeConnectionState, newSession: boolean): void {
    const change: RecipeStateChange = { state, client: this.current, newSession, generation: this.generationValue };
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.report(err);
      }
    }
  }

  private report(err: unknown): void {
    queueMicrotask(() => {
      throw err;
    });
  }
}

/** A RecipeSession, or a plain client (wrapped without renewal). */
export type SessionSource = RecipeSession | ZooKeeperClient;

/** The RecipeSession behind `source`. */
export function toRecipeSession(source: SessionSource): RecipeSession {
  return source instanceof RecipeSession ? source : RecipeSession.of(source);
}

/** `parent` + `/` + `child`, without doubling the root's slash. */
export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** The parent of `path` (`/` for a top-level node). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** The last segment of `path`. */
export function nodeNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The number of segments of `path` below `root` (0 for root itself), or -1 if not under it. */
export function depthBelow(root: string, path: string): number {
  if (path === root) return 0;
  const prefix = root === '/' ? '/' : `${root}/`;
  if (!path.startsWith(prefix)) return -1;
  return path.slice(prefix.length).split('/').length;
}

/** True for the codes after which a retry on the next connection may succeed. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof KeeperError)) return false;
  return (
    err.code === ErrorCode.CONNECTIONLOSS ||
    err.code === ErrorCode.SESSIONEXPIRED ||
    err.code === ErrorCode.SESSIONMOVED ||
    err.code === ErrorCode.OPERATIONTIMEOUT ||
    err.code === ErrorCode.REQUESTTIMEOUT ||
    err.code === ErrorCode.THROTTLEDOP
  );
}

/** True when `err` is a KeeperError with `code`. */
export function hasCode(err: unknown, code: number): boolean {
  return err instanceof KeeperError && err.code === code;
}

/**
 * Creates every missing ancestor of `path` (not `path` itself) as `mode` nodes, as Curator's
 * creatingParentsIfNeeded / creatingParentContainersIfNeeded do. Existing ones are left alone.
 */
export async function createParents(client: ZooKeeperClient, path: string, mode: CreateModeName = 'CONTAINER'): Promise<void> {
  const parent = parentOf(path);
  if (parent === '/') return;
  const segments = parent.split('/').slice(1);
  let current = '';
  for (const segment of segments) {
    current += `/${segment}`;
    try {
      await client.create(current, null, { mode });
    } catch (err) {
      if (!hasCode(err, ErrorCode.NODEEXISTS)) throw err;
    }
  }
}

/** Creates `path` (and missing ancestors as containers); resolves with the created path. */
export async function createWithParents(
  client: ZooKeeperClient,
  path: string,
  data: Buffer | string | null,
  mode: CreateModeName,
): Promise<string> {
  try {
    return await client.create(path, data, { mode });
  } catch (err) {
    if (!hasCode(err, ErrorCode.NONODE)) throw err;
  }
  await createParents(client, path);
  return client.create(path, data, { mode });
}
