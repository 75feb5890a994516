/**
 * Log lines a person can read and grep, to the console and/or a size-rolled file, in the layout
 * of ZooKeeper's logback pattern:
 *
 *   2026-11-23 19:43:36,123 [myid:1] - INFO  [session] - Established session 0x10000... with ...
 *
 * The file rolls when the next line would push it past `maxFileBytes`: name -> name.1 -> ... ->
 * name.N, the oldest dropped. Writes are synchronous appends to an open descriptor (the page
 * cache, not the disk), so a line is in the file before the event it reports has consequences.
 * A log file that cannot be written is reported once on stderr and dropped; logging never stops
 * the server.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLevel } from '../config/server-config.js';

export type { LogLevel } from '../config/server-config.js';

/** How the server reports what happens: a level, the text, and the part of the server speaking. */
export type Logger = (level: LogLevel, message: string, component?: string) => void;

const RANK: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

export interface LogFileOptions {
  readonly dir: string;
  readonly name: string;
  readonly maxFileBytes: number;
  /** Rolled files kept; 0 truncates the file instead of keeping a copy. */
  readonly maxBackupIndex: number;
}

export interface ServerLoggerOptions {
  readonly level: LogLevel;
  readonly console: boolean;
  readonly file?: LogFileOptions;
  /** Shown as [myid:N]; empty for a standalone server, as in ZooKeeper. */
  readonly myid?: string;
  /** Wall clock, for the timestamp (tests pass a fixed one). */
  readonly nowMs?: () => number;
}

/** 2026-11-23 19:43:36,123 in local time (logback's ISO8601 layout). */
export function logTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

export function formatLogLine(ms: number, myid: string, level: LogLevel, component: string, message: string): string {
  return `${logTimestamp(ms)} [myid:${myid}] - ${level.padEnd(5)} [${component}] - ${message}\n`;
}

/** A logger writing to the console and/or a rolling file. */
export class ServerLogger {
  readonly log: Logger;
  private fd: number | undefined;
  private fileBytes = 0;
  private readonly threshold: number;
  private readonly nowMs: () => number;
  private consoleOn: boolean;

  constructor(private readonly options: ServerLoggerOptions) {
    this.threshold = RANK[options.level];
    this.consoleOn = options.console;
    this.nowMs = options.nowMs ?? Date.now;
    if (options.file !== undefined) this.openFile(options.file);
    this.log = (level, message, component = 'main') => this.write(level, message, component);
  }

  /** The file lines go to, when there is one. */
  get filePath(): string | undefined {
    const file = this.options.file;
    return file === undefined || this.fd === undefined ? undefined : join(file.dir, file.name);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private write(level: LogLevel, message: string, component: string): void {
    if (RANK[level] < this.threshold) return;
    const line = formatLogLine(this.nowMs(), this.options.myid ?? '', level, component, message);
    // The file first: whoever reads the console can then find the line in the file too.
    if (this.fd !== undefined) this.writeFile(line);
    if (this.consoleOn) {
      if (RANK[level] >= RANK.WARN) process.stderr.write(line);
      else process.stdout.write(line);
    }
  }

  private openFile(file: LogFileOptions): void {
    try {
      mkdirSync(file.dir, { recursive: true });
      this.fd = openSync(join(file.dir, file.name), 'a');
      this.fileBytes = fstatSync(this.fd).size;
    } catch (e) {
      this.dropFile(e);
    }
  }

  private writeFile(line: string): void {
    const file = this.options.file!;
    const bytes = Buffer.from(line, 'utf8');
    try {
      if (this.fileBytes > 0 && this.fileBytes + bytes.length > file.maxFileBytes) this.roll(file);
      writeSync(this.fd!, bytes);
      this.fileBytes += bytes.length;
    } catch (e) {
      this.dropFile(e);
    }
  }

  /** name.(N-1) -> name.N, ..., name -> name.1; the oldest is removed. */
  private roll(file: LogFileOptions): void {
    closeSync(this.fd!);
    this.fd = undefined;
    const base = join(file.dir, file.name);
    if (file.maxBackupIndex === 0) {
      rmSync(base, { force: true });
    } else {
      rmSync(`${base}.${file.maxBackupIndex}`, { force: true });
      for (let i = file.maxBackupIndex - 1; i >= 1; i--) {
        if (existsSync(`${base}.${i}`)) renameSync(`${base}.${i}`, `${base}.${i + 1}`);
      }
      renameSync(base, `${base}.1`);
    }
    this.fd = openSync(base, 'a');
    this.fileBytes = 0;
  }

  private dropFile(error: unknown): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // Already broken; nothing more to release.
      }
    }
    this.fd = undefined;
    this.consoleOn = true;
    const file = this.options.file;
    process.stderr.write(`cannot write the log file ${file === undefined ? '' : join(file.dir, file.name)}: ${(error as Error).message}; logging to the console only\n`);
  }
}
