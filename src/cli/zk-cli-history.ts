/**
 * The interactive shell's persistent line history: `$ZK_CLI_HISTORY`, else `~/.zk_cli_history`
 * (an empty `ZK_CLI_HISTORY` turns it off). Lines are appended as they are run, so concurrent
 * shells do not overwrite each other; the file is cut back to the newest HISTORY_LINES_MAX lines
 * when loaded and whenever it reaches twice that, so it stays bounded. `addauth` lines are never
 * written: they carry passwords. A history that cannot be read or written is silently skipped;
 * it must never stop the shell.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Lines kept in the history file (and offered by the up arrow) at most. */
export const HISTORY_LINES_MAX = 1_000;

/** The history file for `env`, or null when history is turned off. */
export function historyFilePath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string | null {
  const configured = env['ZK_CLI_HISTORY'];
  if (configured !== undefined) return configured === '' ? null : configured;
  return join(home, '.zk_cli_history');
}

/** True for lines that must not be stored: blank, or carrying credentials. */
export function isPrivateLine(line: string): boolean {
  const command = line.trim().split(/\s+/)[0] ?? '';
  return command === '' || command === 'addauth';
}

/** A bounded, append-only history file. */
export class HistoryFile {
  private lineCount = 0;
  private last: string | null = null;
  private broken = false;

  constructor(
    readonly path: string,
    readonly maxLines = HISTORY_LINES_MAX,
  ) {}

  /** The stored lines, oldest first (at most `maxLines`); cuts the file back if it is longer. */
  load(): string[] {
    let lines: string[];
    try {
      lines = readFileSync(this.path, 'utf8').split('\n').filter((line) => line !== '');
    } catch {
      return [];
    }
    if (lines.length > this.maxLines) {
      lines = lines.slice(-this.maxLines);
      this.rewrite(lines);
    }
    this.lineCount = lines.length;
    this.last = lines.at(-1) ?? null;
    return lines;
  }

  /** Appends `line` unless it is private or repeats the previous one. */
  add(line: string): void {
    if (this.broken || isPrivateLine(line) || line.includes('\n') || line === this.last) return;
    this.last = line;
    try {
      appendFileSync(this.path, line + '\n', { mode: 0o600 });
    } catch {
      this.broken = true;
      return;
    }
    this.lineCount++;
    if (this.lineCount >= 2 * this.maxLines) this.load();
  }

  private rewrite(lines: string[]): void {
    try {
      writeFileSync(this.path, lines.map((line) => line + '\n').join(''), { mode: 0o600 });
    } catch {
      this.broken = true;
    }
  }
}
