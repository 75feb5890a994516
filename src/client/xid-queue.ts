/**
 * Xids and the queue of requests that were sent and await their reply. The server answers a
 * session's requests in the order they were sent, so every reply must match the head of the
 * queue; anything else means the stream is broken and the connection must be dropped.
 * Special xids (notification -1, ping -2, auth -4) never enter this queue.
 */

/** Largest xid before wrapping back to 1, as the Java client does. */
export const XID_MAX = 0x7fff_ffff;

/** Hands out request xids 1, 2, ... XID_MAX, 1, ... */
export class XidGenerator {
  private next = 1;

  take(): number {
    const xid = this.next;
    this.next = xid === XID_MAX ? 1 : xid + 1;
    return xid;
  }
}

/** The outcome of matching a reply's xid against the oldest outstanding request. */
export type XidMatch<T> =
  | { readonly ok: true; readonly entry: T }
  | { readonly ok: false; readonly reason: string };

/** A FIFO of sent requests, each identified by its xid. */
export class PendingQueue<T extends { readonly xid: number }> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(entry: T): void {
    this.items.push(entry);
  }

  /** Removes and returns the oldest request if `xid` is its xid. */
  match(xid: number): XidMatch<T> {
    const entry = this.items[this.head];
    if (entry === undefined) return { ok: false, reason: `Nothing in the queue, but got ${xid}` };
    if (entry.xid !== xid) {
      return { ok: false, reason: `Xid out of order. Got Xid ${xid} expected Xid ${entry.xid}` };
    }
    this.items[this.head] = undefined as unknown as T;
    this.head++;
    this.compact();
    return { ok: true, entry };
  }

  /** Removes and returns every outstanding request, oldest first. */
  drain(): T[] {
    const drained = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return drained;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
