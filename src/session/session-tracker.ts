/**
 * The session table with ZooKeeper's tick-based expiry: a session expires at the first tick
 * boundary after its last touch plus its timeout. Pure: time comes in as arguments.
 */
import { assert } from '../util/assert.js';

export interface Session {
  readonly id: bigint;
  timeoutMs: number;
  /** The tick boundary at which it expires unless touched. */
  expiresAtMs: number;
  closing: boolean;
}

export class SessionTracker {
  private readonly sessions = new Map<bigint, Session>();
  /** Expiry bucket (a tick boundary) -> sessions due then. */
  private readonly buckets = new Map<number, Set<bigint>>();
  private nextId: bigint;

  constructor(
    private readonly tickTimeMs: number,
    serverId: bigint,
    nowMs: number,
  ) {
    assert(tickTimeMs > 0, 'tickTime must be positive');
    // SessionTrackerImpl.initializeNextSessionId: ((time << 24) >>> 8) | (serverId << 56).
    const timePart = BigInt.asUintN(64, BigInt(Math.floor(nowMs)) << 24n) >> 8n;
    this.nextId = BigInt.asIntN(64, timePart | (serverId << 56n));
    if (this.nextId === -0x8000_0000_0000_0000n) this.nextId++;
  }

  /** A fresh session id; never 0 and never Long.MIN_VALUE (the container marker). */
  newSessionId(): bigint {
    let id = this.nextId;
    this.nextId = BigInt.asIntN(64, this.nextId + 1n);
    if (id === 0n || id === -0x8000_0000_0000_0000n) id = this.newSessionId();
    return id;
  }

  private roundToTick(timeMs: number): number {
    return (Math.floor(timeMs / this.tickTimeMs) + 1) * this.tickTimeMs;
  }

  private schedule(session: Session, nowMs: number): void {
    const at = this.roundToTick(nowMs + session.timeoutMs);
    if (at === session.expiresAtMs) return;
    this.buckets.get(session.expiresAtMs)?.delete(session.id);
    session.expiresAtMs = at;
    let bucket = this.buckets.get(at);
    if (bucket === undefined) this.buckets.set(at, (bucket = new Set()));
    bucket.add(session.id);
  }

  /** Starts tracking a session (a createSession txn, or one recovered from disk). */
  add(id: bigint, timeoutMs: number, nowMs: number): Session {
    const existing = this.sessions.get(id);
    if (existing !== undefined) {
      existing.timeoutMs = timeoutMs;
      this.schedule(existing, nowMs);
      return existing;
    }
    const session: Session = { id, timeoutMs, expiresAtMs: -1, closing: false };
    this.sessions.set(id, session);
    this.schedule(session, nowMs);
    return session;
  }

  /** Pushes the session's expiry out; false when it is unknown or closing. */
  touch(id: bigint, nowMs: number): boolean {
    const session = this.sessions.get(id);
    if (session === undefined || session.closing) return false;
    this.schedule(session, nowMs);
    return true;
  }

  get(id: bigint): Session | undefined {
    return this.sessions.get(id);
  }

  /** Valid for new requests: known and not closing. */
  isActive(id: bigint): boolean {
    const session = this.sessions.get(id);
    return session !== undefined && !session.closing;
  }

  setClosing(id: bigint): void {
    const session = this.sessions.get(id);
    if (session !== undefined) session.closing = true;
  }

  /** Every session's expiry starts over from `nowMs` (a new leader takes over the table). */
  touchAll(nowMs: number): void {
    for (const session of this.sessions.values()) if (!session.closing) this.schedule(session, nowMs);
  }

  /** Forgets closes that were requested but never committed (the ensemble lost its leader). */
  clearClosing(): void {
    for (const session of this.sessions.values()) session.closing = false;
  }

  remove(id: bigint): void {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    this.buckets.get(session.expiresAtMs)?.delete(session.id);
    this.sessions.delete(id);
  }

  /** Sessions whose expiry time has come; they are marked closing, the caller closes them. */
  takeExpired(nowMs: number): Session[] {
    const out: Session[] = [];
    for (const [at, ids] of this.buckets) {
      if (at > nowMs) continue;
      for (const id of ids) {
        const session = this.sessions.get(id);
        if (session !== undefined && !session.closing) {
          session.closing = true;
          out.push(session);
        }
      }
      this.buckets.delete(at);
    }
    return out;
  }

  /** When the next expiry check is due, if any session is tracked. */
  nextExpiryMs(): number | undefined {
    let next: number | undefined;
    for (const [at, ids] of this.buckets) if (ids.size > 0 && (next === undefined || at < next)) next = at;
    return next;
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }
}
