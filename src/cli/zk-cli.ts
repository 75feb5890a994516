/**
 * zk-cli: ZooKeeper 3.8's zkCli.sh (ZooKeeperMain) on the tszk client. Same flags, same
 * commands, same output on the same streams: `zk-cli -server host:port cmd args` runs one
 * command and exits with its status; without a command it reads commands from stdin, with a
 * `[zk: host(STATE) n] ` prompt, Tab completion of commands and znode paths and a persistent
 * history when stdin is a terminal (or `--terminal`). `--json` prints one JSON document per
 * command instead (zk-cli-json.ts), with the same exit statuses.
 */
import { createInterface, type Interface } from 'node:readline';
import type { ZooKeeperClient } from '../client/zookeeper-client.js';
import { EventType } from '../proto/defs.js';
import { createClient } from '../main/client.js';
import { formatWatchedEvent, isAlive, type WatchedEvent } from '../client/types.js';
import { CliError, COMMANDS, runCommand, type CommandContext } from './zk-cli-commands.js';
import { completeLine, type Completion } from './zk-cli-complete.js';
import { HISTORY_LINES_MAX, HistoryFile, historyFilePath } from './zk-cli-history.js';
import { errorJson, eventJson, jsonLine } from './zk-cli-json.js';
import { parseStartup, splitCommandLine, type StartupOptions } from './zk-cli-parse.js';

/** Where the CLI writes: raw text, newlines included by the caller. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Built-in commands of ZooKeeperMain, with their usage text. */
const BUILTINS = new Map<string, string>([
  ['connect', 'host:port'],
  ['history', ''],
  ['redo', 'cmdno'],
  ['printwatches', 'on|off'],
  ['quit', ''],
]);

/** History lines kept at most (ZooKeeperMain keeps all; a bound is kinder to long sessions). */
const HISTORY_MAX = 10_000;
/** A Tab that waits longer than this for getChildren offers nothing. */
const COMPLETION_TIMEOUT_MS = 2_000;

/** Thrown to end the process with a status (quit, or a crash the Java CLI would die of). */
class ExitRequest extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

/** One zkCli session: the connection, history, watch printing and the last exit code. */
export class ZkCli {
  private client: ZooKeeperClient | null = null;
  private host = '';
  private readonly history = new Map<number, string>();
  private commandCount = 0;
  private printWatches = true;
  /** The status the process exits with: that of the last command. */
  exitCode = 0;
  /** `--json`: one document per command on stdout. */
  readonly json: boolean;

  constructor(
    private readonly io: CliIo,
    private readonly options: StartupOptions,
  ) {
    this.json = options.json === true;
  }

  /** Prints one JSON document (one line). */
  private emit(doc: unknown): void {
    this.io.stdout(jsonLine(doc));
  }

  /**
   * Completes the text left of the cursor: command names, or znode paths from getChildren of
   * the parent (bounded by COMPLETION_TIMEOUT_MS; nothing while not connected).
   */
  complete(line: string): Promise<Completion> {
    const names = [...COMMANDS.keys(), ...BUILTINS.keys()];
    return completeLine(line, names, async (parent) => {
      const client = this.client;
      if (client === null || (client.state !== 'CONNECTED' && client.state !== 'CONNECTEDREADONLY')) return [];
      return client.getChildren(parent, undefined, { signal: AbortSignal.timeout(COMPLETION_TIMEOUT_MS) });
    });
  }

  private out(line: string): void {
    this.io.stdout(line + '\n');
  }

  private err(line: string): void {
    this.io.stderr(line + '\n');
  }

  /** `[zk: host(STATE) n] `. */
  prompt(): string {
    return `[zk: ${this.host}(${this.client?.state ?? 'CLOSED'}) ${this.commandCount}] `;
  }

  private onWatchedEvent(event: WatchedEvent): void {
    if (!this.printWatches) return;
    if (this.json) {
      // Only node events, and only in a session: a one-shot command prints exactly one document.
      if (event.type !== EventType.None && this.options.command.length === 0) this.emit(eventJson(event));
      return;
    }
    this.out('\nWATCHER::');
    this.out('\n' + formatWatchedEvent(event));
  }

  /** ZooKeeperMain.connectToZK: closes a live session, then starts a new one (not awaited). */
  async connectTo(host: string): Promise<void> {
    if (this.client !== null && isAlive(this.client.state)) await this.client.close();
    this.host = host;
    const sessionTimeoutMs = Number(this.options.timeoutMs);
    const client = createClient(host, {
      sessionTimeoutMs,
      readOnly: this.options.readOnly,
      watcher: (event) => this.onWatchedEvent(event),
    });
    this.client = client;
    const connected = client.connect({ timeoutMs: Infinity });
    if (!this.options.waitForConnection) {
      connected.catch(() => {});
      return;
    }
    const timedOut = await Promise.race([
      connected.then(() => false, () => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), sessionTimeoutMs).unref()),
    ]);
    if (timedOut) {
      await client.close();
      throw new CliError(
        'Exception in thread "main" java.io.IOException: org.apache.zookeeper.KeeperException$ConnectionLossException: ' +
          'KeeperErrorCode = ConnectionLoss',
        -1,
        'CONNECTIONLOSS',
      );
    }
  }

  /** Runs one interactive line: empty lines are skipped, others are counted and kept in history. */
  async executeLine(line: string): Promise<void> {
    if (line === '') return;
    const tokens = splitCommandLine(line);
    if (tokens.length === 0) return;
    this.history.set(this.commandCount, line);
    this.history.delete(this.commandCount - HISTORY_MAX);
    await this.processCommand(tokens);
    this.commandCount++;
  }

  /**
   * Runs one command; a failure prints its message on stderr (with `--json`: an error document
   * on stdout) and sets the exit code.
   */
  async processCommand(tokens: string[]): Promise<void> {
    const warnings: string[] = [];
    try {
      await this.processZkCommand(tokens, warnings);
      this.exitCode = 0;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      if (this.json) this.emit(errorJson(err.code, err.message, warnings));
      else this.err(err.message);
      if (err.exitCode === -1) throw new ExitRequest(1);
      this.exitCode = err.exitCode;
    }
  }

  private usage(): void {
    if (this.json) return;
    this.err('ZooKeeper -server host:port -client-configuration properties-file cmd args');
    const all = new Map<string, string>(BUILTINS);
    for (const [name, command] of COMMANDS) all.set(name, command.usage);
    for (const name of [...all.keys()].sort()) this.err(`\t${name} ${all.get(name)}`);
  }

  private async processZkCommand(tokens: string[], warnings: string[]): Promise<void> {
    const [name, ...rest] = tokens;
    if (name === undefined) {
      this.usage();
      throw new CliError('No command entered', 1, 'USAGE');
    }
    if (!BUILTINS.has(name) && !COMMANDS.has(name)) {
      this.usage();
      throw new CliError(`Command not found: Command not found ${name}`, 127, 'COMMAND_NOT_FOUND');
    }
    const builtinDoc = await this.runBuiltin(name, rest);
    if (this.json && BUILTINS.has(name)) {
      // A redo printed its command's document already.
      if (builtinDoc !== null) this.emit(builtinDoc);
      return;
    }
    const client = this.client;
    if (client === null || !isAlive(client.state)) {
      // zkCli prints this on stdout and exits 0; --json keeps the status and says it as an error.
      if (this.json) this.emit(errorJson('NOT_CONNECTED', 'Not connected'));
      else this.out('Not connected');
      return;
    }
    const command = COMMANDS.get(name);
    if (command === undefined) return;
    await runCommand(this.commandContext(client, warnings), command, tokens);
  }

  /** Where a command's output goes: the terminal, or (with --json) one document plus warnings. */
  private commandContext(client: ZooKeeperClient, warnings: string[]): CommandContext {
    if (!this.json) {
      return { client, out: (line) => this.out(line), outRaw: (text) => this.io.stdout(text), err: (line) => this.err(line) };
    }
    return {
      client,
      out: () => {},
      outRaw: (text) => warnings.push(text.replace(/\n$/, '')),
      err: (line) => warnings.push(line),
      result: (doc) => this.emit(warnings.length > 0 ? { ...doc, warnings: [...warnings] } : doc),
    };
  }

  /** Runs a ZooKeeperMain built-in; with --json, returns its document (null: none). */
  private async runBuiltin(name: string, args: string[]): Promise<Record<string, unknown> | null> {
    if (name === 'quit') {
      await this.client?.close();
      throw new ExitRequest(this.exitCode);
    }
    if (name === 'redo' && args.length >= 1) {
      await this.redo(args[0]!);
      return null;
    }
    if (name === 'history') {
      const entries: { index: number; command: string | null }[] = [];
      for (let i = this.commandCount - 10; i <= this.commandCount; i++) {
        if (i < 0) continue;
        entries.push({ index: i, command: this.history.get(i) ?? null });
        if (!this.json) this.out(`${i} - ${this.history.get(i) ?? 'null'}`);
      }
      return { history: entries };
    }
    if (name === 'printwatches') {
      if (args.length === 0 && !this.json) this.out(`printwatches is ${this.printWatches ? 'on' : 'off'}`);
      else if (args.length > 0) this.printWatches = args[0] === 'on';
      return { printwatches: this.printWatches ? 'on' : 'off' };
    }
    if (name === 'connect') {
      await this.connectTo(args[0] ?? this.host);
      return { connecting: this.host };
    }
    return null;
  }

  private async redo(indexText: string): Promise<void> {
    const index = javaDecode(indexText);
    if (index === null) throw new CliError(`java.lang.NumberFormatException: For input string: "${indexText}"`, -1, 'BADARGUMENTS');
    if (this.commandCount <= index || index < 0) throw new CliError('Command index out of range');
    const line = this.history.get(index) ?? '';
    const tokens = splitCommandLine(line);
    if (tokens[0] === 'redo') throw new CliError('No redoing redos');
    this.history.set(this.commandCount, line);
    await this.processCommand(tokens);
  }
}

/** Integer.decode: decimal, 0x/# hex, leading-0 octal, optional sign; null when invalid. */
function javaDecode(text: string): number | null {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|#[0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(text);
  if (match === null) return null;
  const body = match[2]!;
  let value: number;
  if (/^0[xX]/.test(body)) value = parseInt(body.slice(2), 16);
  else if (body.startsWith('#')) value = parseInt(body.slice(1), 16);
  else if (body.length > 1 && body.startsWith('0')) value = parseInt(body, 8);
  else value = parseInt(body, 10);
  return match[1] === '-' ? -value : value;
}

/**
 * Reads commands line by line. A terminal (or `--terminal`) gets prompts, Tab completion of
 * commands and znode paths, and the persistent history (zk-cli-history.ts) on the up arrow.
 */
async function readLoop(cli: ZkCli, io: CliIo, forceTerminal: boolean): Promise<void> {
  const terminal = forceTerminal || Boolean(process.stdin.isTTY);
  if (!cli.json) io.stdout(`JLine support is ${terminal ? 'enabled' : 'disabled'}\n`);
  const completer = (line: string, callback: (err: Error | null, result: Completion) => void) => {
    cli.complete(line).then(
      (result) => callback(null, result),
      () => callback(null, [[], line]),
    );
  };
  const historyPath = terminal ? historyFilePath() : null;
  const historyFile = historyPath === null ? null : new HistoryFile(historyPath);
  const rl: Interface = terminal
    ? createInterface({
        input: process.stdin,
        output: process.stdout,
        terminal: true,
        completer,
        // readline wants the newest first.
        history: (historyFile?.load() ?? []).reverse(),
        historySize: HISTORY_LINES_MAX,
        removeHistoryDuplicates: true,
      })
    : createInterface({ input: process.stdin, terminal: false });
  try {
    if (terminal) {
      rl.setPrompt(cli.prompt());
      rl.prompt();
    }
    for await (const line of rl) {
      historyFile?.add(line);
      await cli.executeLine(line);
      if (terminal) {
        rl.setPrompt(cli.prompt());
        rl.prompt();
      }
    }
  } finally {
    rl.close();
  }
}

/** Runs zk-cli with `argv` (without node and script); resolves with the exit status. */
export async function runZkCli(argv: readonly string[], io: CliIo): Promise<number> {
  const options = parseStartup(argv);
  if ('error' in options) {
    io.stderr(options.error + '\n');
    return 1;
  }
  const cli = new ZkCli(io, options);
  try {
    if (!cli.json) io.stdout(`Connecting to ${options.server}\n`);
    if (!/^[+-]?\d+$/.test(options.timeoutMs)) {
      throw new CliError(
        `Exception in thread "main" java.lang.NumberFormatException: For input string: "${options.timeoutMs}"`,
        -1,
        'BADARGUMENTS',
      );
    }
    await cli.connectTo(options.server).catch((err: unknown) => {
      if (err instanceof CliError) throw err;
      throw new CliError(`Exception in thread "main" java.lang.IllegalArgumentException: ${(err as Error).message}`, -1, 'BADARGUMENTS');
    });
    if (options.command.length > 0) {
      await cli.processCommand(options.command);
    } else {
      if (!cli.json) io.stdout('Welcome to ZooKeeper!\n');
      await readLoop(cli, io, options.terminal === true);
    }
    return cli.exitCode;
  } catch (err) {
    if (err instanceof ExitRequest) return err.status;
    if (err instanceof CliError) {
      if (cli.json) io.stdout(jsonLine(errorJson(err.code, err.message)));
      else io.stderr(err.message + '\n');
      return 1;
    }
    throw err;
  }
}

/** The process entry point used by bin/zk-cli. */
export async function main(argv: readonly string[]): Promise<void> {
  const io: CliIo = {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
  let status: number;
  try {
    status = await runZkCli(argv, io);
  } catch (err) {
    io.stderr(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    status = 1;
  }
  process.exit(status);
}
