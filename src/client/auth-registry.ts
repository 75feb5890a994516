/**
 * Credentials added with addAuth. Every one is replayed on each new connection (the server
 * forgets them with the connection), and each auth packet on the wire is answered by one
 * xid -4 reply, in order and outside the request pipeline, so replies are matched against a
 * FIFO of the packets sent on the current connection.
 */
import type { KeeperError } from '../proto/error-code.js';

/** A promise's two ends. */
export interface Deferred {
  resolve(): void;
  reject(error: KeeperError): void;
}

/** One credential and the callers still waiting for the server to accept it. */
export interface AuthWaiter {
  readonly scheme: string;
  readonly auth: Buffer | null;
  readonly waiters: Deferred[];
}

/** The credentials of one session. */
export class AuthRegistry {
  private entries: AuthWaiter[] = [];
  private inFlight: AuthWaiter[] = [];

  /** Records a credential; `deferred` settles when a server answers it. */
  add(scheme: string, auth: Buffer | null, deferred: Deferred): AuthWaiter {
    const entry: AuthWaiter = { scheme, auth: auth === null ? null : Buffer.from(auth), waiters: [deferred] };
    this.entries.push(entry);
    return entry;
  }

  /** Every credential, in the order added (the replay order). */
  all(): readonly AuthWaiter[] {
    return [...this.entries];
  }

  /** Notes that `entry`'s packet went out on the current connection. */
  sent(entry: AuthWaiter): void {
    this.inFlight.push(entry);
  }

  /** Settles the oldest unanswered packet's waiters: accepted when `error` is null. */
  answered(error: KeeperError | null): void {
    const entry = this.inFlight.shift();
    if (entry === undefined) return;
    for (const waiter of entry.waiters.splice(0)) {
      if (error === null) waiter.resolve();
      else waiter.reject(error);
    }
  }

  /** Unanswered packets are lost with the connection; their waiters wait for the replay. */
  connectionLost(): void {
    this.inFlight = [];
  }

  /** Rejects every waiter and forgets every credential (the session is over). */
  failAll(error: KeeperError): void {
    for (const entry of this.entries) for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
    this.entries = [];
    this.inFlight = [];
  }
}
