/**
 * A node that stays in place as long as its owner wants it, as Curator's PersistentNode: once
 * started it is created (with missing parents as containers), watched, and created again
 * whenever it disappears — deleted by someone, lost with an expired session, or never
 * confirmed because the connection dropped during the create. Its data can be changed; the
 * owner's data is written back on every reconnect.
 *
 * Modes are ZooKeeper's (usually EPHEMERAL or EPHEMERAL_SEQUENTIAL). Once a sequential node has
 * been created its path is kept: it is re-created under the same name, non-sequentially, as
 * Curator does. With `protection`, the name carries Curator's `_c_<uuid>-` prefix so that a
 * create whose reply was lost to a connection failure is found again instead of duplicated.
 *
 * One loop (`run`) does all the work; everything else only asks it to run again (`kick`), so
 * creates never race each other.
 */
import { randomUUID } from 'node:crypto';
import type { ZooKeeperClient } from '../client/zookeeper-client.js';
import type { CreateModeName, DataInput, WatchedEvent } from '../client/types.js';
import { EventType } from '../proto/defs.js';
import { ErrorCode } from '../proto/error-code.js';
import {
  createParents,
  hasCode,
  isConnectionError,
  joinPath,
  nodeNameOf,
  parentOf,
  toRecipeSession,
  type RecipeSession,
  type RecipeStateChange,
  type SessionSource,
} from './persistent-node-session.js';
import { Listeners } from './listeners.js';

/** Curator's ProtectedUtils: `_c_` + a UUID + `-` before the node name. */
export const PROTECTED_PREFIX = '_c_';
/** Length of `_c_<36-char uuid>-`. */
export const PROTECTED_PREFIX_LENGTH = PROTECTED_PREFIX.length + 36 + 1;

/** The modes a PersistentNode may use (TTL modes need `ttlMs`). */
export type PersistentNodeMode = Exclude<CreateModeName, 'CONTAINER'>;

/** Options of PersistentNode. */
export interface PersistentNodeOptions {
  /** Default EPHEMERAL. */
  mode?: PersistentNodeMode;
  /** Prefix the name with `_c_<uuid>-` so a create lost to a connection failure is recognised. Default false. */
  protection?: boolean;
  /** Create missing parents as containers. Default true. */
  createParents?: boolean;
  /** Required by the TTL modes. */
  ttlMs?: number;
}

/** Events of a PersistentNode. */
export type PersistentNodeEvent =
  /** The node was created (first time or again); `path` is its actual path. */
  | { readonly type: 'created'; readonly path: string }
  /** A create or write failed for a reason a reconnect will not fix (NOAUTH, ...). */
  | { readonly type: 'error'; readonly error: unknown };

/** Called with node events. */
export type PersistentNodeListener = (event: PersistentNodeEvent) => void;

type NodeState = 'LATENT' | 'STARTED' | 'CLOSED';

/** How many times one run retries a create whose parent vanished (a container reaped, say). */
const PARENT_RETRIES_MAX = 3;
/** How long close() waits for a running create to finish before deleting. */
const CLOSE_WAIT_MS_MAX = 5_000;
/** How long close() keeps trying to delete the node across reconnects. */
const DELETE_WAIT_MS_MAX = 10_000;
/** Pause before retrying after an error a reconnect will not fix. */
const ERROR_RETRY_DELAY_MS = 1_000;

/** A node recreated after deletion, connection loss and session expiry. */
export class PersistentNode {
  private readonly session: RecipeSession;
  private readonly mode: PersistentNodeMode;
  private readonly sequential: boolean;
  private readonly protection: boolean;
  private readonly withParents: boolean;
  private readonly ttlMs: number | undefined;
  private readonly protectedId = randomUUID();
  private state: NodeState = 'LATENT';
  private data: Buffer;
  private actualPath: string | null = null;
  /** A sequential create is in doubt (sent, no reply): look for it before creating again. */
  private createInDoubt = false;
  private dirty = false;
  private running: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopListening: (() => void) | null = null;
  private readonly listeners = new Listeners<{ event: PersistentNodeListener }>();
  private readonly initialWaiters: (() => void)[] = [];
  private initialised = false;
  private readonly watcher = (event: WatchedEvent) => this.onNodeEvent(event);

  constructor(
    source: SessionSource,
    private readonly basePath: string,
    data: DataInput,
    options: PersistentNodeOptions = {},
  ) {
    this.session = toRecipeSession(source);
    this.mode = options.mode ?? 'EPHEMERAL';
    this.sequential = this.mode.includes('SEQUENTIAL');
    this.protection = options.protection ?? false;
    this.withParents = options.createParents ?? true;
    this.ttlMs = options.ttlMs;
    if (this.mode.includes('TTL') && this.ttlMs === undefined) throw new Error(`mode ${this.mode} needs ttlMs`);
    this.data = toBuffer(data);
  }

  /** Starts creating the node. Call once. */
  start(): void {
    if (this.state !== 'LATENT') throw new Error('PersistentNode already started');
    this.state = 'STARTED';
    this.stopListening = this.session.onStateChange((change) => this.onStateChange(change));
    this.kick();
  }

  /** Resolves true once the node has been created (or adopted) the first time, false after `timeoutMs`. */
  waitForInitialCreate(timeoutMs: number): Promise<boolean> {
    if (this.initialised) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.initialWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** The node's actual path (with sequence number and protection prefix), or null before the first create. */
  get path(): string | null {
    return this.actualPath;
  }

  /** The data the node should hold. */
  getData(): Buffer {
    return Buffer.from(this.data);
  }

  /**
   * Sets the node's data: written now if the node is known, otherwise with the next create;
   * a write lost to a connection failure is redone on reconnect.
   */
  async setData(data: DataInput): Promise<void> {
    if (this.state === 'CLOSED') throw new Error('PersistentNode is closed');
    this.data = toBuffer(data);
    const path = this.actualPath;
    if (path === null || this.state !== 'STARTED') return;
    try {
      await this.session.client.setData(path, this.data);
    } catch (err) {
      if (hasCode(err, ErrorCode.NONODE) || isConnectionError(err)) this.kick();
      else throw err;
    }
  }

  /** Listens to node events; returns a function that stops listening. */
  addListener(listener: PersistentNodeListener): () => void {
    return this.listeners.on('event', listener);
  }

  /** Stops recreating the node and deletes it (retrying across reconnects, bounded). */
  async close(): Promise<void> {
    if (this.state === 'CLOSED') return;
    const wasStarted = this.state === 'STARTED';
    this.state = 'CLOSED';
    this.stopListening?.();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (!wasStarted) return;
    if (this.running !== null) await withTimeout(this.running, CLOSE_WAIT_MS_MAX);
    const path = this.actualPath;
    this.actualPath = null;
    if (path !== null) await this.deleteNode(path);
  }

  private async deleteNode(path: string): Promise<void> {
    const deadline = Date.now() + DELETE_WAIT_MS_MAX;
    while (!this.session.isClosed) {
      try {
        await this.session.client.delete(path);
        return;
      } catch (err) {
        if (hasCode(err, ErrorCode.NONODE) || !isConnectionError(err)) return;
        // An ephemeral node of an expired session is gone already.
        if (hasCode(err, ErrorCode.SESSIONEXPIRED) && this.mode.startsWith('EPHEMERAL')) return;
      }
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) return;
      await this.session.waitConnected(leftMs).catch(() => undefined);
    }
  }

  private onStateChange(change: RecipeStateChange): void {
    if (change.state === 'CONNECTED' || change.state === 'RECONNECTED') this.kick();
  }

  private onNodeEvent(event: WatchedEvent): void {
    const path = this.actualPath;
    if (this.state !== 'STARTED' || path === null || event.path !== path) return;
    if (event.type === EventType.NodeDeleted) this.kick();
    else if (event.type === EventType.NodeDataChanged) this.rewatch(path);
  }

  /** Someone else changed the data: keep watching (their data stays until our next write or reconnect). */
  private rewatch(path: string): void {
    this.session.client.exists(path, this.watcher).then(
      (stat) => {
        if (stat === null) this.kick();
      },
      () => undefined,
    );
  }

  /** Asks the loop to (re)check the node; starts it unless running. */
  private kick(): void {
    if (this.state !== 'STARTED') return;
    this.dirty = true;
    if (this.running === null) this.running = this.run().finally(() => (this.running = null));
  }

  private async run(): Promise<void> {
    while (this.dirty && this.state === 'STARTED') {
      this.dirty = false;
      if (!this.session.isConnected) return; // the next CONNECTED/RECONNECTED kicks again
      try {
        await this.ensure(this.session.client);
      } catch (err) {
        if (isConnectionError(err)) continue; // loop only if kicked meanwhile (reconnected)
        this.emit({ type: 'error', error: err });
        this.scheduleRetry();
        return;
      }
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.state !== 'STARTED') return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, ERROR_RETRY_DELAY_MS);
  }

  /** Makes the node exist with our data, and watches it. */
  private async ensure(client: ZooKeeperClient): Promise<void> {
    let path = this.actualPath;
    if (path === null && this.createInDoubt) path = await this.findProtected(client);
    let created = false;
    if (path === null) {
      path = await this.createFirst(client);
      created = true;
    } else {
      created = await this.createAt(client, path);
    }
    if (this.state !== 'STARTED') {
      // Closed while the create was in flight: close() deletes actualPath.
      this.actualPath = path;
      return;
    }
    this.actualPath = path;
    if (created) this.emit({ type: 'created', path });
    else await this.writeDataIfDifferent(client, path);
    const stat = await client.exists(path, this.watcher);
    if (stat === null) {
      this.dirty = true;
      return;
    }
    this.markInitialised();
  }

  /** The first create: sequential modes get their number here. */
  private async createFirst(client: ZooKeeperClient): Promise<string> {
    const createPath = this.protection ? protectedPath(this.basePath, this.protectedId) : this.basePath;
    if (this.sequential) this.createInDoubt = this.protection;
    try {
      const path = await this.createWithRetries(client, createPath, this.mode);
      this.createInDoubt = false;
      return path;
    } catch (err) {
      if (hasCode(err, ErrorCode.NODEEXISTS) && !this.sequential) {
        this.createInDoubt = false;
        return createPath; // adopt it, as Curator does
      }
      if (!isConnectionError(err)) this.createInDoubt = false;
      throw err;
    }
  }

  /** Creates the node at its known path; false when it exists already. */
  private async createAt(client: ZooKeeperClient, path: string): Promise<boolean> {
    try {
      await this.createWithRetries(client, path, nonSequential(this.mode));
      return true;
    } catch (err) {
      if (hasCode(err, ErrorCode.NODEEXISTS)) return false;
      throw err;
    }
  }

  private async createWithRetries(client: ZooKeeperClient, path: string, mode: PersistentNodeMode): Promise<string> {
    const options = this.ttlMs === undefined ? { mode } : { mode, ttl: this.ttlMs };
    for (let attempt = 0; ; attempt++) {
      try {
        return await client.create(path, this.data, options);
      } catch (err) {
        if (!hasCode(err, ErrorCode.NONODE) || !this.withParents || attempt >= PARENT_RETRIES_MAX) throw err;
      }
      await createParents(client, path);
    }
  }

  /** After a lost reply to a protected sequential create: our node, if the server made it. */
  private async findProtected(client: ZooKeeperClient): Promise<string | null> {
    const parent = parentOf(this.basePath);
    const prefix = PROTECTED_PREFIX + this.protectedId + '-';
    let children: string[];
    try {
      children = await client.getChildren(parent);
    } catch (err) {
      if (hasCode(err, ErrorCode.NONODE)) children = [];
      else throw err;
    }
    this.createInDoubt = false;
    const found = children.find((name) => name.startsWith(prefix));
    return found === undefined ? null : joinPath(parent, found);
  }

  private async writeDataIfDifferent(client: ZooKeeperClient, path: string): Promise<void> {
    let current;
    try {
      current = await client.getData(path);
    } catch (err) {
      if (hasCode(err, ErrorCode.NONODE)) {
        this.dirty = true;
        return;
      }
      throw err;
    }
    if (current.data !== null && current.data.equals(this.data)) return;
    if (current.data === null && this.data.length === 0) return;
    try {
      await client.setData(path, this.data, current.stat.version);
    } catch (err) {
      // Changed or deleted meanwhile: look again.
      if (hasCode(err, ErrorCode.BADVERSION) || hasCode(err, ErrorCode.NONODE)) this.dirty = true;
      else throw err;
    }
  }

  private markInitialised(): void {
    if (this.initialised) return;
    this.initialised = true;
    for (const waiter of this.initialWaiters.splice(0)) waiter();
  }

  private emit(event: PersistentNodeEvent): void {
    this.listeners.emit('event', event);
  }
}

/** `/parent/_c_<id>-name` for `/parent/name`. */
export function protectedPath(path: string, protectedId: string): string {
  return joinPath(parentOf(path), `${PROTECTED_PREFIX}${protectedId}-${nodeNameOf(path)}`);
}

/** True for names carrying Curator's protection prefix. */
export function isProtectedName(name: string): boolean {
  return name.length > PROTECTED_PREFIX_LENGTH && name.startsWith(PROTECTED_PREFIX) && name[PROTECTED_PREFIX_LENGTH - 1] === '-';
}

/** The name without a protection prefix (Curator's ProtectedUtils.normalize). */
export function withoutProtection(name: string): string {
  return isProtectedName(name) ? name.slice(PROTECTED_PREFIX_LENGTH) : name;
}

function nonSequential(mode: PersistentNodeMode): PersistentNodeMode {
  switch (mode) {
    case 'EPHEMERAL_SEQUENTIAL':
      return 'EPHEMERAL';
    case 'PERSISTENT_SEQUENTIAL':
      return 'PERSISTENT';
    case 'PERSISTENT_SEQUENTIAL_WITH_TTL':
      return 'PERSISTENT_WITH_TTL';
    default:
      return mode;
  }
}

function toBuffer(data: DataInput): Buffer {
  if (data === null) return Buffer.alloc(0);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(data);
}

function withTimeout(promise: Promise<void>, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
