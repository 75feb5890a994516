/**
 * A progress bar for long dumps and imports, drawn on stderr ONLY when stderr is a terminal (so
 * pipes, files and the tools' golden outputs never see it) and redrawn at most every
 * `minIntervalMs` (default 100 ms) however often `update` is called. `finish` erases it.
 */

/** Where the bar is drawn: a terminal's stderr, or a stand-in in tests. */
export interface ProgressTerminal {
  readonly isTTY: boolean;
  /** Terminal width in columns; undefined when unknown. */
  readonly columns: number | undefined;
  write(text: string): void;
}

export interface ProgressOptions {
  /** Milliseconds since some epoch; injected so tests need no real time. */
  readonly nowMs: () => number;
  /** Least time between two redraws. */
  readonly minIntervalMs?: number;
}

const DEFAULT_MIN_INTERVAL_MS = 100;
const BAR_WIDTH_MAX = 40;
const BAR_WIDTH_MIN = 10;
const DEFAULT_COLUMNS = 80;

/** Formats a count of bytes or items compactly (1.5M, 12.0k). */
function compact(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)}G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return String(value);
}

/** A single-line progress bar; a no-op unless its terminal is a TTY. */
export class ProgressBar {
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private done = 0;
  private readonly enabled: boolean;
  private readonly minIntervalMs: number;

  /** `total` of 0 means unknown: the bar then shows the count only. */
  constructor(
    private readonly terminal: ProgressTerminal,
    private readonly label: string,
    private total: number,
    private readonly options: ProgressOptions,
  ) {
    this.enabled = terminal.isTTY;
    this.minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  }

  /** Sets what is known about the whole, for work whose size is learnt on the way. */
  setTotal(total: number): void {
    this.total = total;
  }

  /** Records progress; redraws only when the last redraw is at least `minIntervalMs` old. */
  update(done: number): void {
    this.done = done;
    if (!this.enabled) return;
    const now = this.options.nowMs();
    if (now - this.lastDrawMs < this.minIntervalMs) return;
    this.lastDrawMs = now;
    this.terminal.write(`\r${this.render()}\x1b[K`);
    this.drawn = true;
  }

  /** Erases the bar (the line is left empty for what the program prints next). */
  finish(): void {
    if (!this.enabled || !this.drawn) return;
    this.terminal.write('\r\x1b[K');
    this.drawn = false;
  }

  /** The bar's text, without control characters. */
  render(): string {
    const columns = this.terminal.columns ?? DEFAULT_COLUMNS;
    if (this.total <= 0) return `${this.label} ${compact(this.done)}`;
    const fraction = Math.min(1, Math.max(0, this.done / this.total));
    const counts = `${Math.floor(fraction * 100)}% ${compact(this.done)}/${compact(this.total)}`;
    const room = columns - this.label.length - counts.length - 5;
    const width = Math.max(BAR_WIDTH_MIN, Math.min(BAR_WIDTH_MAX, room));
    const filled = Math.round(fraction * width);
    return `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${counts}`;
  }
}
