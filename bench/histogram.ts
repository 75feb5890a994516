/**
 * A latency histogram of fixed size (HdrHistogram's log-linear buckets): constant memory however
 * many operations a phase runs, mergeable across load workers, ≤ 1.6% relative error.
 */
import { HISTOGRAM_OCTAVES, HISTOGRAM_SUB_BUCKETS } from './limits.js';

/** The histogram as plain data, for postMessage and the JSON report. */
export interface HistogramData {
  readonly counts: number[];
  readonly count: number;
  readonly maxUs: number;
  readonly sumUs: number;
}

/** What the reports show of a latency distribution. */
export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const BUCKETS = HISTOGRAM_OCTAVES * HISTOGRAM_SUB_BUCKETS;
const US_PER_MS = 1000;
const SUB_BITS = Math.log2(HISTOGRAM_SUB_BUCKETS);

/** Bucket of a value in whole microseconds: exact below 2·SUB_BUCKETS, then log-linear. */
function bucketOf(us: number): number {
  if (us < HISTOGRAM_SUB_BUCKETS) return us;
  const octave = Math.max(0, Math.floor(Math.log2(us)) - SUB_BITS);
  const sub = Math.min(2 * HISTOGRAM_SUB_BUCKETS - 1, Math.floor(us / 2 ** octave));
  return Math.min(BUCKETS - 1, octave * HISTOGRAM_SUB_BUCKETS + sub);
}

/** The largest value (µs) a bucket holds: percentiles report the bucket's upper edge. */
function bucketUpperUs(bucket: number): number {
  if (bucket < HISTOGRAM_SUB_BUCKETS) return bucket;
  const octave = Math.floor(bucket / HISTOGRAM_SUB_BUCKETS) - 1;
  const sub = bucket - octave * HISTOGRAM_SUB_BUCKETS;
  return (sub + 1) * 2 ** octave - 1;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private maxUs = 0;
  private sumUs = 0;

  /** Records one latency in milliseconds (fractions kept to the microsecond). */
  recordMs(ms: number): void {
    const us = Math.max(0, Math.round(ms * US_PER_MS));
    this.counts[bucketOf(us)]!++;
    this.total++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  get count(): number {
    return this.total;
  }

  /** Adds another histogram's counts (from another worker). */
  merge(data: HistogramData): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += data.counts[i] ?? 0;
    this.total += data.count;
    this.sumUs += data.sumUs;
    this.maxUs = Math.max(this.maxUs, data.maxUs);
  }

  toData(): HistogramData {
    return { counts: Array.from(this.counts), count: this.total, maxUs: this.maxUs, sumUs: this.sumUs };
  }

  /** The value below which `fraction` of the recordings fall, in ms. */
  percentileMs(fraction: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(fraction * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketUpperUs(i), this.maxUs) / US_PER_MS;
    }
    return this.maxUs / US_PER_MS;
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      meanMs: this.total === 0 ? 0 : this.sumUs / this.total / US_PER_MS,
      p50Ms: this.percentileMs(0.5),
      p99Ms: this.percentileMs(0.99),
      maxMs: this.maxUs / US_PER_MS,
    };
  }
}
