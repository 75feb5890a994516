/**
 * Distributed FIFO and priority queues: Curator's DistributedQueue and DistributedPriorityQueue
 * layouts, consumed the way Curator's queue does with a lock path ("lock safety").
 *
 * Layout (Curator's):
 * - an item is the PERSISTENT_SEQUENTIAL node `<path>/queue-<seq>`; a priority item is
 *   `<path>/queue-<P><seq>` where `<P>` is Curator's priorityToString: "1" then the priority as
 *   8 upper-case hex digits when >= 0, "0" then its 32-bit two's complement when negative, so
 *   items sort by (priority, sequence) as plain strings;
 * - the data is Curator's ItemSerializer framing: int 0x00010001, then per item the byte 0x01,
 *   an int length and the bytes, then the byte 0x02 (Curator's QueueSerializer<byte[]> reads ours);
 * - a consumer claims an item with the EPHEMERAL node `<lockPath>/<item name>` before it reads
 *   and deletes it (Curator's processWithLockSafety), so an item is never handed to two
 *   consumers, and an item whose consumer's session dies mid-way stays in the queue.
 *
 * Connection loss: `put` creates the item in a multi together with an EPHEMERAL marker
 * `<lockPath>/put-<uuid>`, so after a CONNECTIONLOSS the marker says whether the item went in
 * (it is never put twice, nor lost). A claim is recognised as ours by the lock node's
 * ephemeralOwner; the item delete and a requeue are checked against the item's existence, which
 * only the claim holder can change.
 */
import { randomUUID } from 'node:crypto';
import type { DataInput, Op, OpResult, ZooKeeperClient } from '../client/index.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { connectionStateOf, type ConnectionState } from './connection-state.js';
import { CONNECTION_RETRIES_MAX, PARENT_CREATE_ATTEMPTS_MAX, QUEUE_ITEMS_PER_SCAN_MAX } from './limits.js';
import { awaitOrForget } from './lock-internals.js';
import { DeadlineExceeded, Trigger, Wait, type WaitOptions } from './wait.js';
import { childrenOf, deleteGuaranteed, deleteInBackground, ensureContainers, hasCode, isConnectionLoss, joinPath, retrying } from './znodes.js';

/** Curator's QUEUE_ITEM_NAME. */
export const QUEUE_ITEM_NAME = 'queue-';

const ITEM_FRAMING_VERSION = 0x00010001;
const ITEM_OPCODE = 0x01;
const EOF_OPCODE = 0x02;

/** Curator's ItemSerializer.serialize for `items`. */
export function encodeItems(items: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0]!.writeInt32BE(ITEM_FRAMING_VERSION);
  for (const item of items) {
    const header = Buffer.alloc(5);
    header.writeUInt8(ITEM_OPCODE, 0);
    header.writeInt32BE(item.length, 1);
    parts.push(header, item);
  }
  parts.push(Buffer.from([EOF_OPCODE]));
  return Buffer.concat(parts);
}

/** Curator's ItemSerializer.deserialize; throws on a malformed buffer. */
export function decodeItems(bytes: Buffer): Buffer[] {
  if (bytes.length < 5 || bytes.readInt32BE(0) !== ITEM_FRAMING_VERSION) throw new Error('queue item: bad framing version');
  const items: Buffer[] = [];
  let offset = 4;
  for (;;) {
    if (offset >= bytes.length) throw new Error('queue item: missing end marker');
    const opcode = bytes.readUInt8(offset++);
    if (opcode === EOF_OPCODE) return items;
    if (opcode !== ITEM_OPCODE || offset + 4 > bytes.length) throw new Error(`queue item: bad opcode ${opcode}`);
    const size = bytes.readInt32BE(offset);
    offset += 4;
    if (size < 0 || offset + size > bytes.length) throw new Error(`queue item: bad size ${size}`);
    items.push(Buffer.from(bytes.subarray(offset, offset + size)));
    offset += size;
  }
}

/** Curator's DistributedPriorityQueue.priorityToString. */
export function priorityToString(priority: number): string {
  if (!Number.isInteger(priority) || priority < -0x8000_0000 || priority > 0x7fff_ffff) {
    throw new RangeError(`priority must be a 32-bit integer, got ${priority}`);
  }
  return (priority >= 0 ? '1' : '0') + (priority >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** A taken queue node. */
export interface QueueItem {
  /** The item node's name (`queue-...`). */
  readonly node: string;
  /** The first (for our producers: the only) item of the node. */
  readonly data: Buffer;
  /** Every item of the node (Curator's putMulti writes several). */
  readonly items: readonly Buffer[];
}

/** Options of a queue. */
export interface QueueOptions {
  /** Where consumers' claim nodes live (Curator's QueueBuilder.lockPath). Default `<path>/locks`. */
  readonly lockPath?: string;
}

/** Data as bytes (strings are UTF-8, null is empty). */
function toBytes(data: DataInput): Buffer {
  if (data === null) return Buffer.alloc(0);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The first real error of a failed multi. */
function multiError(results: readonly OpResult[]): KeeperError | null {
  for (const result of results) {
    if (result.type === 'error' && result.err !== ErrorCode.OK && result.err !== ErrorCode.RUNTIMEINCONSISTENCY) return new KeeperError(result.err);
  }
  return null;
}

/** The FIFO queue; DistributedPriorityQueue adds priorities. */
export class DistributedQueue {
  protected readonly connection: ConnectionState;
  readonly lockPath: string;

  constructor(
    readonly client: ZooKeeperClient,
    readonly path: string,
    options: QueueOptions = {},
  ) {
    this.connection = connectionStateOf(client);
    this.lockPath = options.lockPath ?? joinPath(path, 'locks');
  }

  /** Puts one item at the tail. Exactly once, also through connection loss. */
  put(data: DataInput): Promise<void> {
    return this.putNode(QUEUE_ITEM_NAME, [toBytes(data)]);
  }

  /**
   * Takes the head item: resolves with it once there is one, null if `timeoutMs` passed first.
   * The item is gone from the queue when this resolves.
   */
  take(options: WaitOptions = {}): Promise<QueueItem | null> {
    return this.claimNext(Wait.from(options), null);
  }

  /** take() without waiting: the head item, or null when the queue is empty. */
  poll(): Promise<QueueItem | null> {
    return this.claimNext(new Wait(0, undefined), null);
  }

  /**
   * Takes the head item and runs `handler` on it while holding its claim; the item is deleted
   * only after `handler` resolves. If `handler` throws, the item is put back at the tail
   * (Curator's ErrorMode.REQUEUE) and the error is rethrown. If the session dies meanwhile, the
   * item stays for another consumer. Resolves with the item, or null on timeout.
   */
  consume(handler: (item: QueueItem) => Promise<void> | void, options: WaitOptions = {}): Promise<QueueItem | null> {
    return this.claimNext(Wait.from(options), handler);
  }

  /** The item nodes' names in queue order. */
  async itemNames(): Promise<string[]> {
    return this.sortedItems(await childrenOf(this.client, this.connection, Wait.unbounded(), this.path));
  }

  protected async putNode(name: string, items: readonly Buffer[]): Promise<void> {
    const wait = Wait.unbounded();
    const marker = joinPath(this.lockPath, `put-${randomUUID()}`);
    const ops: Op[] = [
      { op: 'create', path: joinPath(this.path, name), data: encodeItems(items), mode: 'PERSISTENT_SEQUENTIAL' },
      { op: 'create', path: marker, mode: 'EPHEMERAL' },
    ];
    let parentAttempts = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const error = multiError(await this.client.multi(ops));
        if (error === null) break;
        if (error.code !== ErrorCode.NONODE || parentAttempts++ >= PARENT_CREATE_ATTEMPTS_MAX) throw error;
        await ensureContainers(this.client, this.connection, wait, this.path);
        await ensureContainers(this.client, this.connection, wait, this.lockPath);
      } catch (err) {
        if (!isConnectionLoss(err) || attempt >= CONNECTION_RETRIES_MAX) throw err;
        await this.connection.waitConnected(wait);
        if ((await retrying(this.connection, wait, () => this.client.exists(marker))) !== null) break;
      }
    }
    deleteInBackground(this.client, this.connection, marker);
  }

  /** Item names (not markers or the lock node) in Curator's order: plain string order. */
  protected sortedItems(children: readonly string[]): string[] {
    return children.filter((name) => name.startsWith(QUEUE_ITEM_NAME)).sort();
  }

  private async claimNext(wait: Wait, handler: ((item: QueueItem) => Promise<void> | void) | null): Promise<QueueItem | null> {
    try {
      // Each pass waits for the queue's children to change (an item added or taken).
      for (;;) {
        const trigger = new Trigger();
        const items = this.sortedItems(await childrenOf(this.client, this.connection, wait, this.path, trigger.watcher));
        for (const name of items.slice(0, QUEUE_ITEMS_PER_SCAN_MAX)) {
          const item = await this.tryClaim(name, wait, handler);
          if (item !== null) return item;
        }
        if (wait.expired) return null;
        if ((await awaitOrForget(this.client, this.connection, wait, trigger, this.path, 'Children')) === 'timeout') return null;
      }
    } catch (err) {
      if (err instanceof DeadlineExceeded) return null;
      throw err;
    }
  }

  /** Claims, reads, (handles) and deletes one item; null if another consumer has or had it. */
  private async tryClaim(name: string, wait: Wait, handler: ((item: QueueItem) => Promise<void> | void) | null): Promise<QueueItem | null> {
    const claim = joinPath(this.lockPath, name);
    if (!(await this.createClaim(claim, wait))) return null;
    try {
      const itemPath = joinPath(this.path, name);
      let bytes: Buffer | null;
      try {
        bytes = (await retrying(this.connection, wait, () => this.client.getData(itemPath))).data;
      } catch (err) {
        if (hasCode(err, ErrorCode.NONODE)) return null;
        throw err;
      }
      const raw = bytes ?? Buffer.alloc(0);
      const items = decodeOrRaw(raw);
      const item: QueueItem = { node: name, data: items[0] ?? Buffer.alloc(0), items };
      if (handler !== null) {
        try {
          await handler(item);
        } catch (err) {
          await this.requeue(itemPath, raw);
          throw err;
        }
      }
      await this.deleteClaimed(itemPath);
      return item;
    } finally {
      if (!(await deleteGuaranteed(this.client, this.connection, claim))) deleteInBackground(this.client, this.connection, claim);
    }
  }

  /** Creates our claim node; true if it is ours. */
  private async createClaim(claim: string, wait: Wait): Promise<boolean> {
    let parentAttempts = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.create(claim, null, { mode: 'EPHEMERAL' });
        return true;
      } catch (err) {
        if (hasCode(err, ErrorCode.NODEEXISTS) && attempt === 0) return false;
        if (hasCode(err, ErrorCode.NONODE) && parentAttempts++ < PARENT_CREATE_ATTEMPTS_MAX) {
          await ensureContainers(this.client, this.connection, wait, this.lockPath);
          continue;
        }
        if (!isConnectionLoss(err) && !hasCode(err, ErrorCode.NODEEXISTS)) throw err;
        if (attempt >= CONNECTION_RETRIES_MAX) throw err;
        if (isConnectionLoss(err)) await this.connection.waitConnected(wait);
        // After a lost reply the claim may be ours already: its ephemeral owner says.
        const stat = await retrying(this.connection, wait, () => this.client.exists(claim));
        if (stat !== null) return stat.ephemeralOwner === this.client.sessionId;
      }
    }
  }

  /** Deletes an item we hold the claim of; NONODE after a retry was our own delete. */
  private async deleteClaimed(itemPath: string): Promise<void> {
    try {
      await retrying(this.connection, Wait.unbounded(), () => this.client.delete(itemPath));
    } catch (err) {
      if (!hasCode(err, ErrorCode.NONODE)) throw err;
    }
  }

  /** Moves an item we hold the claim of to the tail, atomically (delete + create in a multi). */
  private async requeue(itemPath: string, raw: Buffer): Promise<void> {
    const ops: Op[] = [
      { op: 'delete', path: itemPath },
      { op: 'create', path: joinPath(this.path, QUEUE_ITEM_NAME), data: raw, mode: 'PERSISTENT_SEQUENTIAL' },
    ];
    for (let attempt = 0; ; attempt++) {
      try {
        const error = multiError(await this.client.multi(ops));
        if (error !== null) throw error;
        return;
      } catch (err) {
        if (!isConnectionLoss(err) || attempt >= CONNECTION_RETRIES_MAX) throw err;
        await this.connection.waitConnected(Wait.unbounded());
        // Only the claim holder removes the item, so its absence means the multi went through.
        if ((await retrying(this.connection, Wait.unbounded(), () => this.client.exists(itemPath))) === null) return;
      }
    }
  }
}

function decodeOrRaw(raw: Buffer): Buffer[] {
  try {
    return decodeItems(raw);
  } catch {
    // Not Curator's framing (written by another producer): hand over the bytes as they are.
    return [raw];
  }
}

/** The priority queue: lower priorities come out first, FIFO within a priority. */
export class DistributedPriorityQueue extends DistributedQueue {
  /** Puts one item with `priority` (a 32-bit integer; default 0). */
  override put(data: DataInput, priority = 0): Promise<void> {
    return this.putNode(QUEUE_ITEM_NAME + priorityToString(priority), [toBytes(data)]);
  }
}
