/** When to snapshot: ZooKeeper's SyncRequestProcessor.shouldSnapshot, with an injected random source. */
/**
 * Snapshots every snapCount/2 + random(snapCount/2) txns, or when the log written since the
 * last one passes snapSizeLimitInKb/2 + random(half of it), one at a time (ZooKeeper's
 * SyncRequestProcessor.shouldSnapshot).
 */
export class SnapshotScheduler {
  private count = 0;
  private threshold: number;
  private bytesAtLast = 0;
  private bytesThreshold: number;
  private running: Promise<WrittenLike> | undefined;

  constructor(
    /** Uniform in [0, 1): the jitter that keeps an ensemble's members from snapshotting together. */
    private readonly random: () => number,
    private readonly snapCount: number,
    private readonly snapSizeLimitBytes: number,
    private readonly bytesWritten: () => number,
    private readonly take: () => Promise<WrittenLike>,
  ) {
    this.threshold = this.nextThreshold();
    this.bytesThreshold = this.nextBytesThreshold();
  }

  private nextThreshold(): number {
    const half = Math.max(1, Math.floor(this.snapCount / 2));
    return half + Math.floor(this.random() * half);
  }

  private nextBytesThreshold(): number {
    const half = Math.floor(this.snapSizeLimitBytes / 2);
    return half + Math.floor(this.random() * half);
  }

  /** A txn was logged (or, on a learner, applied). */
  onTxn(): void {
    this.count++;
    const bySize = this.snapSizeLimitBytes > 0 && this.bytesWritten() - this.bytesAtLast > this.bytesThreshold;
    if ((this.count < this.threshold && !bySize) || this.running !== undefined) return;
    void this.start().catch(() => undefined);
  }

  private start(): Promise<WrittenLike> {
    this.count = 0;
    this.bytesAtLast = this.bytesWritten();
    this.threshold = this.nextThreshold();
    this.bytesThreshold = this.nextBytesThreshold();
    const running = this.take().finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /** A snapshot now (after the one in progress, if any). */
  async takeNow(): Promise<WrittenLike> {
    while (this.running !== undefined) await this.running.catch(() => undefined);
    return this.start();
  }

  /** Resolves once no snapshot is being written. */
  idle(): Promise<unknown> {
    return (this.running ?? Promise.resolve()).catch(() => undefined);
  }
}

/** What a snapshot write reports. */
export interface WrittenLike {
  readonly path: string;
  readonly zxid: bigint;
  readonly bytes: number;
}
