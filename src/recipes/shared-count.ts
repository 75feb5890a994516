/**
 * A shared integer with compare-and-set: Curator's SharedCount (over SharedValue).
 *
 * Layout: the node `<path>` (PERSISTENT, parents as containers) holds the count as a 4-byte
 * big-endian signed int (Curator's SharedCount.toBytes); the node's version is the count's
 * version. `trySetCount(previous, n)` is setData with `previous.version`: it fails (false) if
 * anyone set the count since `previous` was read.
 *
 * Connection loss: a CAS whose reply was lost is resolved by reading the node back. If its
 * version is still `previous.version`, the write did not happen and is retried. If it moved,
 * someone's write happened and nothing on the node says whose, so the outcome is unknown: the
 * call rejects with CONNECTIONLOSS and `outcomeUnknown: true` (a counter that must not lose
 * or double an update needs that answer rather than a guess).
 */
import type { ZooKeeperClient } from '../client/index.js';
import type { Stat } from '../proto/data.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { connectionStateOf, type ConnectionState } from './connection-state.js';
import { CONNECTION_RETRIES_MAX, COUNT_INCREMENT_ATTEMPTS_MAX } from './limits.js';
import { Listeners } from './listeners.js';
import { Trigger, Wait } from './wait.js';
import { createIfAbsent, ensureContainers, hasCode, isConnectionLoss, parentOf, retrying } from './znodes.js';

/** A value with the node version it was read at (Curator's VersionedValue). */
export interface VersionedValue<T> {
  readonly version: number;
  readonly value: T;
}

/** A compare-and-set whose reply was lost and whose effect cannot be told. */
export class OutcomeUnknownError extends KeeperError {
  override name = 'OutcomeUnknownError';
  readonly outcomeUnknown = true;

  constructor(path: string) {
    super(ErrorCode.CONNECTIONLOSS, path);
    this.message = `CONNECTIONLOSS for ${path}: the count changed meanwhile; whether this write applied is unknown`;
  }
}

/** Curator's SharedCount.toBytes. */
export function countToBytes(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}

/** Curator's SharedCount.fromBytes (ByteBuffer.getInt: needs at least 4 bytes). */
export function countFromBytes(bytes: Buffer | null): number {
  if (bytes === null || bytes.length < 4) throw new RangeError(`shared count: expected 4 bytes, got ${bytes?.length ?? 0}`);
  return bytes.readInt32BE(0);
}

/** Events of a shared count. */
export type SharedCountEvents = {
  /** The count changed (seen through a watch; may skip intermediate values). */
  changed: (count: number) => void;
  /** The session ended; the count is no longer followed. */
  lost: () => void;
};

/** The shared count. */
export class SharedCount {
  private current: VersionedValue<number> | null = null;
  private readonly connection: ConnectionState;
  private readonly events = new Listeners<SharedCountEvents>();
  private started = false;
  private closed = false;
  private stops: (() => void)[] = [];
  /** A data watch is armed (or being armed); false after arming failed, until the next reconnect. */
  private watching = false;

  constructor(
    readonly client: ZooKeeperClient,
    readonly path: string,
    private readonly seedValue: number,
  ) {
    countToBytes(seedValue);
    this.connection = connectionStateOf(client);
  }

  /** Listens to `changed` or `lost`; returns the function that stops it. */
  on<K extends keyof SharedCountEvents>(name: K, listener: SharedCountEvents[K]): () => void {
    return this.events.on(name, listener);
  }

  /** Creates the node with the seed value if it is missing, reads the count and follows it. */
  async start(): Promise<void> {
    if (this.started) throw new Error('Cannot be started more than once');
    this.started = true;
    const wait = Wait.unbounded();
    await ensureContainers(this.client, this.connection, wait, parentOf(this.path));
    await createIfAbsent(this.client, this.connection, wait, this.path, countToBytes(this.seedValue), 'PERSISTENT');
    this.stops = [
      this.connection.on('reconnected', () => void (this.watching ? this.refresh() : this.readAndWatch()).catch(() => undefined)),
      this.connection.on('lost', () => {
        if (this.connection.sessionEnded) this.events.emit('lost');
      }),
    ];
    await this.readAndWatch();
  }

  /** Stops following the count. */
  close(): void {
    this.closed = true;
    for (const stop of this.stops) stop();
    this.stops = [];
    this.events.clear();
  }

  /** The last count seen. */
  get count(): number {
    return this.versioned.value;
  }

  /** The last count seen, with its version: the `previous` of trySetCount. */
  get versioned(): VersionedValue<number> {
    if (this.current === null) throw new Error('SharedCount not started');
    return this.current;
  }

  /** Sets the count whatever it is. */
  async setCount(value: number): Promise<void> {
    const stat = await retrying(this.connection, Wait.unbounded(), () => this.client.setData(this.path, countToBytes(value)));
    this.update(stat.version, value);
  }

  /**
   * Sets the count to `value` if it is still at `previous` (default: the last seen). Resolves
   * true if set, false if someone changed it since (the local copy is then refreshed).
   * Rejects with OutcomeUnknownError when the reply was lost and the count moved meanwhile.
   */
  async trySetCount(value: number, previous: VersionedValue<number> = this.versioned): Promise<boolean> {
    const bytes = countToBytes(value);
    for (let attempt = 0; ; attempt++) {
      try {
        const stat = await this.client.setData(this.path, bytes, previous.version);
        this.update(stat.version, value);
        return true;
      } catch (err) {
        if (hasCode(err, ErrorCode.BADVERSION)) {
          await this.refresh();
          return false;
        }
        if (!isConnectionLoss(err) || attempt >= CONNECTION_RETRIES_MAX) throw err;
        await this.connection.waitConnected(Wait.unbounded());
        const { stat } = await this.read();
        if (stat.version !== previous.version) throw new OutcomeUnknownError(this.path);
      }
    }
  }

  /**
   * Adds `delta` with a compare-and-set loop (at most COUNT_INCREMENT_ATTEMPTS_MAX attempts);
   * resolves with the new count. Rejects like trySetCount, or with BADVERSION when contention
   * outlasted the attempts.
   */
  async increment(delta = 1): Promise<number> {
    for (let attempt = 0; attempt < COUNT_INCREMENT_ATTEMPTS_MAX; attempt++) {
      const previous = this.current ?? (await this.refresh());
      const next = (previous.value + delta) | 0;
      if (await this.trySetCount(next, previous)) return next;
    }
    throw new KeeperError(ErrorCode.BADVERSION, this.path);
  }

  /** Reads the count now (no watch) and remembers it. */
  async refresh(): Promise<VersionedValue<number>> {
    const { stat, value } = await this.read();
    return this.update(stat.version, value);
  }

  private async read(): Promise<{ stat: Stat; value: number }> {
    const { data, stat } = await retrying(this.connection, Wait.unbounded(), () => this.client.getData(this.path));
    return { stat, value: countFromBytes(data) };
  }

  private async readAndWatch(): Promise<void> {
    if (this.closed) return;
    this.watching = true;
    const trigger = new Trigger();
    void trigger.fired.then(() => this.readAndWatch().catch(() => undefined));
    try {
      const { data, stat } = await retrying(this.connection, Wait.unbounded(), () => this.client.getData(this.path, trigger.watcher));
      this.update(stat.version, countFromBytes(data));
    } catch (err) {
      this.watching = false;
      throw err;
    }
  }

  /** Keeps the newest version seen and tells listeners when the count changed. */
  private update(version: number, value: number): VersionedValue<number> {
    const before = this.current;
    if (before !== null && version <= before.version) return before;
    this.current = { version, value };
    if (before !== null && before.value !== value && !this.closed) this.events.emit('changed', value);
    return this.current;
  }
}
