/**
 * Progress on stderr while the benchmark runs: a redrawn bar on a terminal, plain lines (start,
 * every few seconds, end) when stderr is a file or a CI log.
 */
import { performance } from 'node:perf_hooks';
import { PLAIN_PROGRESS_INTERVAL_MS } from './limits.js';

const BAR_WIDTH = 28;
const REDRAW_INTERVAL_MS = 100;
const PERCENT = 100;
const DEFAULT_COLUMNS = 120;
const MS_PER_SECOND = 1000;
const RATE_IN_THOUSANDS_FROM = 10_000;

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function formatRate(opsPerSecond: number): string {
  return opsPerSecond >= RATE_IN_THOUSANDS_FROM ? `${(opsPerSecond / 1000).toFixed(1)}k op/s` : `${Math.round(opsPerSecond)} op/s`;
}

export class Progress {
  private label = '';
  private total = 0;
  private startedMs = 0;
  private lastDrawMs = 0;
  private readonly tty: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = stream.isTTY === true;
  }

  /** A line of its own (server started, phase skipped...). */
  note(line: string): void {
    if (this.tty) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
  }

  begin(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.startedMs = performance.now();
    this.lastDrawMs = this.startedMs;
    if (this.tty) this.draw(0);
    else this.stream.write(`${label}: ${formatCount(total)} ops\n`);
  }

  update(done: number): void {
    const now = performance.now();
    const interval = this.tty ? REDRAW_INTERVAL_MS : PLAIN_PROGRESS_INTERVAL_MS;
    if (now - this.lastDrawMs < interval) return;
    this.lastDrawMs = now;
    if (this.tty) this.draw(done);
    else this.stream.write(`${this.label}: ${formatCount(done)}/${formatCount(this.total)} ${formatRate(this.rate(done, now))}\n`);
  }

  end(summary: string): void {
    this.note(`${this.label}: ${summary}`);
  }

  private rate(done: number, now: number): number {
    const seconds = (now - this.startedMs) / MS_PER_SECOND;
    return seconds > 0 ? done / seconds : 0;
  }

  private draw(done: number): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 0;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
    const seconds = ((performance.now() - this.startedMs) / MS_PER_SECOND).toFixed(1);
    const text = `${this.label} [${bar}] ${Math.floor(fraction * PERCENT)}% ${formatCount(done)}/${formatCount(this.total)} ${formatRate(this.rate(done, performance.now()))} ${seconds}s`;
    this.stream.write(`\r\x1b[2K${text.slice(0, (this.stream.columns ?? DEFAULT_COLUMNS) - 1)}`);
  }
}
