/**
 * What the examples share: the command line (role, connect string from argv or $ZK, flags),
 * timestamped output, clients, child processes for the demo modes, and bounded waits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createClient, type ZooKeeperClient } from '../src/main/client.js';
import { ErrorCode, KeeperError } from '../src/proto/error-code.js';

/** Where examples connect when neither argv nor $ZK says. */
export const DEFAULT_CONNECT_STRING = '127.0.0.1:2181';

/** A parsed command line: positional words and `--name value` flags. */
export interface CommandLine {
  readonly words: string[];
  readonly flags: Map<string, string>;
}

/** Flags that take no value. */
const SWITCHES = new Set(['quiet']);

/** Splits argv into positional words and `--name value` (or `--name=value`, or a bare switch) flags. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const words: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (SWITCHES.has(arg.slice(2))) flags.set(arg.slice(2), '');
    else flags.set(arg.slice(2), argv[++i] ?? '');
  }
  return { words, flags };
}

/** A flag as a positive integer, or `fallback`. */
export function intFlag(line: CommandLine, name: string, fallback: number): number {
  const raw = line.flags.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name}: expected a positive integer, got "${raw}"`);
  return value;
}

/** The connect string: `--connect`, else $ZK, else the default. */
export function connectStringOf(line: CommandLine): string {
  return line.flags.get('connect') ?? process.env.ZK ?? DEFAULT_CONNECT_STRING;
}

/** Prints `<epoch ms> <who> <message>`: the demos parse these lines. */
export function say(who: string, message: string): void {
  process.stdout.write(`${Date.now()} ${who} ${message}\n`);
}

/** Connects a client; exits the process if the session later expires (a zombie must not act). */
export async function connect(connectString: string, sessionTimeoutMs: number, who: string): Promise<ZooKeeperClient> {
  const client = createClient(connectString, { sessionTimeoutMs });
  await client.connect({ timeoutMs: Math.max(sessionTimeoutMs, 10_000) });
  client.on('expired', () => {
    say(who, 'EXPIRED session expired; exiting');
    process.exit(3);
  });
  return client;
}

/** Creates `path` as a persistent node unless it exists. */
export async function ensureNode(client: ZooKeeperClient, path: string, data = ''): Promise<void> {
  try {
    await client.create(path, data);
  } catch (err) {
    if (!(err instanceof KeeperError && err.code === ErrorCode.NODEEXISTS)) throw err;
  }
}

/** True when `err` is a KeeperError with one of `codes`. */
export function isKeeperError(err: unknown, ...codes: number[]): boolean {
  return err instanceof KeeperError && codes.includes(err.code);
}

/** Deletes `path` and everything below it; missing nodes are fine. */
export async function deleteTree(client: ZooKeeperClient, path: string): Promise<void> {
  let children: string[];
  try {
    children = await client.getChildren(path);
  } catch (err) {
    if (isKeeperError(err, ErrorCode.NONODE)) return;
    throw err;
  }
  for (const child of children) await deleteTree(client, `${path}/${child}`);
  try {
    await client.delete(path);
  } catch (err) {
    if (!isKeeperError(err, ErrorCode.NONODE)) throw err;
  }
}

/** One line a child process printed, with its parsed timestamp. */
export interface OutputLine {
  readonly atMs: number;
  readonly who: string;
  readonly word: string;
  readonly rest: string[];
  readonly text: string;
}

/** A child process of a demo and the lines it printed so far. */
export class Child {
  readonly lines: OutputLine[] = [];
  private readonly waiters = new Set<() => void>();
  readonly process: ChildProcess;
  exitCode: number | null = null;
  exited = false;

  constructor(
    readonly name: string,
    script: string,
    args: readonly string[],
    private readonly echo: boolean,
  ) {
    this.process = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    this.process.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        this.onLine(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    });
    this.process.stderr!.on('data', (chunk: Buffer) => {
      if (this.echo) process.stderr.write(`[${this.name}] ${chunk.toString('utf8')}`);
    });
    this.process.on('exit', (code) => {
      this.exited = true;
      this.exitCode = code;
      this.notify();
    });
  }

  private onLine(text: string): void {
    const [at, who, word, ...rest] = text.split(' ');
    const atMs = Number(at);
    if (this.echo) process.stdout.write(`  [${this.name}] ${text}\n`);
    if (!Number.isFinite(atMs) || who === undefined || word === undefined) return;
    this.lines.push({ atMs, who, word, rest, text });
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves on the next line or exit (or after `timeoutMs`). */
  changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** SIGKILL: the process dies without closing its session. */
  kill9(): void {
    if (!this.exited) this.process.kill('SIGKILL');
  }

  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`) and waits for it. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.exited) return;
    this.process.kill('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (!this.exited && Date.now() < deadline) await this.changed(100);
    if (!this.exited) this.process.kill('SIGKILL');
    while (!this.exited) await this.changed(100);
  }
}

/** Waits until `predicate` holds, re-checking whenever any child prints; false after `timeoutMs`. */
export async function waitUntil(children: readonly Child[], predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    const leftMs = deadline - Date.now();
    if (leftMs <= 0) return false;
    await Promise.race([...children.map((c) => c.changed(Math.min(leftMs, 200))), sleep(Math.min(leftMs, 200))]);
  }
  return true;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Every line of every child, in time order. */
export function allLines(children: readonly Child[]): OutputLine[] {
  return children.flatMap((c) => c.lines).sort((a, b) => a.atMs - b.atMs);
}

/** A demo's scratch chroot: the connect string into it, and the children the demo starts there. */
export interface DemoChroot {
  /** The demo's connect string with the chroot appended, for its children. */
  readonly connectString: string;
  readonly children: Child[];
}

/**
 * Runs `body` in a fresh chroot `/<name>-demo-<epoch ms>`; afterwards, whatever happened, stops
 * every child it started, deletes the chroot and closes the client that made it.
 */
export async function withDemoChroot<T>(connectString: string, name: string, body: (chroot: DemoChroot) => Promise<T>): Promise<T> {
  const admin = await connect(connectString, 10_000, 'demo');
  const root = `/${name}-demo-${Date.now()}`;
  await admin.create(root, `${name} demo`);
  const children: Child[] = [];
  try {
    return await body({ connectString: connectString + root, children });
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await deleteTree(admin, root).catch(() => undefined);
    await admin.close();
  }
}

/** A command line `<role> [connectString] [--flags]`: the role (default demo), the connect string folded into `--connect`. */
export function parseRoleCommandLine(argv: readonly string[]): CommandLine & { readonly role: string } {
  const line = parseCommandLine(argv);
  if (line.words[1] !== undefined) line.flags.set('connect', line.words[1]);
  return { ...line, role: line.words[0] ?? 'demo' };
}

/** Runs an example's `main`; an error is printed with the example's `name` and exits 1. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${name}: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
