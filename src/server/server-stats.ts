/**
 * Counters behind srvr/stat/mntr, the admin commands and the Prometheus endpoint (ZooKeeper's
 * ServerStats, its per-connection stats, and the ServerMetrics summaries and counters that
 * apply to a standalone server). Pure bookkeeping: callers pass the times.
 */
import { limits } from '../config/limits.js';

/**
 * A stream of values summarised as count, sum, min, max and average (ZooKeeper's
 * AvgMinMaxCounter), with quantiles over the most recent `limits.summarySamplesMax` values.
 * `advanced` summaries are the ones ZooKeeper registers with DetailLevel.ADVANCED: `mntr` shows
 * their p50/p95/p99/p999 and Prometheus their 0.5/0.9/0.99 quantiles (basic ones: 0.5 only).
 */
export class Summary {
  count = 0;
  sum = 0;
  min = 0;
  max = 0;
  private readonly window: number[] = [];
  private next = 0;

  constructor(readonly advanced: boolean) {}

  add(value: number): void {
    if (this.count === 0 || value < this.min) this.min = value;
    if (this.count === 0 || value > this.max) this.max = value;
    this.count++;
    this.sum += value;
    const window = this.window;
    if (window.length < limits.summarySamplesMax) window.push(value);
    else window[this.next] = value;
    this.next = (this.next + 1) % limits.summarySamplesMax;
  }

  get avg(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** The value below which a fraction `q` (0..1) of the recent values fall (nearest rank). */
  quantile(q: number): number {
    const window = this.window;
    if (window.length === 0) return 0;
    const sorted = [...window].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[rank]!;
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = 0;
    this.max = 0;
    this.window.length = 0;
    this.next = 0;
  }
}

/** Smallest, largest and last size of the replies sent (ZooKeeper's BufferStats). */
export class BufferStats {
  last = -1;
  min = -1;
  max = -1;
  /** Bytes of all replies (ZooKeeper's response_bytes counter). */
  total = 0;

  record(size: number): void {
    this.total += size;
    this.last = size;
    if (this.min < 0 || size < this.min) this.min = size;
    if (size > this.max) this.max = size;
  }

  reset(): void {
    this.last = -1;
    this.min = -1;
    this.max = -1;
    this.total = 0;
  }
}

/** One connection's counters (`cons`, `stat`, the admin `connections` command). */
export class ConnectionStats {
  /** The ConnectRequest and its response count, as in ZooKeeper. */
  received = 1;
  sent = 1;
  /** zxid seen by the last reply; -1 before any (printed as 0xffffffffffffffff, as ZooKeeper). */
  lastZxid = -1n;
  /** xid of the last request answered; -1 before any. */
  lastCxid = -1;
  lastOp = 'NA';
  lastLatencyMs = 0;
  /** Wall-clock time of the last reply, ms; 0 before any. */
  lastResponseMs = 0;
  latencyMinMs = 0;
  latencyMaxMs = 0;
  private latencyTotalMs = 0;
  private latencyCount = 0;

  constructor(readonly establishedMs: number) {}

  /** A reply went out; `latencyMs` is undefined for pings, which ZooKeeper leaves out of latency. */
  onReply(op: string, xid: number, zxid: bigint, latencyMs: number | undefined, nowMs: number): void {
    this.sent++;
    this.lastOp = op;
    this.lastZxid = zxid;
    this.lastResponseMs = nowMs;
    if (xid >= 0) this.lastCxid = xid;
    if (latencyMs === undefined) return;
    this.lastLatencyMs = latencyMs;
    if (this.latencyCount === 0 || latencyMs < this.latencyMinMs) this.latencyMinMs = latencyMs;
    if (latencyMs > this.latencyMaxMs) this.latencyMaxMs = latencyMs;
    this.latencyTotalMs += latencyMs;
    this.latencyCount++;
  }

  /** Integer average, as ServerCnxn.getAvgLatency (a long division). */
  get latencyAvgMs(): number {
    return this.latencyCount === 0 ? 0 : Math.floor(this.latencyTotalMs / this.latencyCount);
  }

  /** `crst` (ServerCnxn.resetStats). */
  reset(): void {
    this.received = 0;
    this.sent = 0;
    this.lastZxid = -1n;
    this.lastCxid = -1;
    this.lastOp = 'NA';
    this.lastLatencyMs = 0;
    this.lastResponseMs = 0;
    this.latencyMinMs = 0;
    this.latencyMaxMs = 0;
    this.latencyTotalMs = 0;
    this.latencyCount = 0;
  }
}

/** Server-wide counters and summaries. Field names follow ZooKeeper's metric names. */
export class ServerStats {
  packetsReceived = 0;
  packetsSent = 0;
  private latencyCount = 0;
  private latencyTotalMs = 0;
  latencyMinMs = 0;
  latencyMaxMs = 0;
  authFailedCount = 0;
  fsyncThresholdExceedCount = 0;
  readonly clientResponse = new BufferStats();
  /** ServerMetrics: request latency split as ZooKeeper does (a write has a txn header). */
  readonly readLatency = new Summary(true);
  readonly updateLatency = new Summary(true);
  readonly fsyncTime = new Summary(false);
  readonly snapshotTime = new Summary(false);
  /** Txns per fsync (the group-commit batch: ZooKeeper's sync_processor_batch_size). */
  readonly syncBatchSize = new Summary(false);
  readonly dbInitTime = new Summary(false);
  readonly startupTxnsLoaded = new Summary(false);
  /** Counters the runtime bumps (connection_request_count, connection_rejected, ...). */
  readonly counters = {
    connection_request_count: 0,
    connection_rejected: 0,
    bytes_received_count: 0,
    stale_sessions_expired: 0,
  };

  /** A request was answered after `ms`; `write` when it went through the log (updatelatency). */
  recordLatency(ms: number, write = false): void {
    if (this.latencyCount === 0 || ms < this.latencyMinMs) this.latencyMinMs = ms;
    if (ms > this.latencyMaxMs) this.latencyMaxMs = ms;
    this.latencyCount++;
    this.latencyTotalMs += ms;
    (write ? this.updateLatency : this.readLatency).add(ms);
  }

  get latencyAvgMs(): number {
    return this.latencyCount === 0 ? 0 : this.latencyTotalMs / this.latencyCount;
  }

  /** `srst`: latency, packet counters, reply sizes and the metric summaries (ServerStats.reset). */
  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.latencyCount = 0;
    this.latencyTotalMs = 0;
    this.latencyMinMs = 0;
    this.latencyMaxMs = 0;
    this.clientResponse.reset();
    for (const summary of Object.values(this)) if (summary instanceof Summary) summary.reset();
    for (const key of Object.keys(this.counters) as Array<keyof ServerStats['counters']>) this.counters[key] = 0;
  }
}
