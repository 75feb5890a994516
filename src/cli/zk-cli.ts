/**
 * zk-cli: ZooKeeper 3.8's zkCli.sh (ZooKeeperMain) on the tszk client. Same flags, same
 * commands, same output on the same streams: `zk-cli -server host:port cmd args` runs one
 * command and exits with its status; without a command it reads commands from stdin, with a
 * `[zk: host(STATE) n] ` prompt when stdin is a terminal.
 */
import { createInterface, type Interface } from 'node:readline';
import type { ZooKeeperClient } from '../client/zookeeper-client.js';
import { createClient } from '../main/client.js';
import { formatWatchedEvent, isAlive, type WatchedEvent } from '../client/types.js';
import { CliError, COMMANDS, runCommand, type CommandContext } from './zk-cli-commands.js';
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

  constructor(
    private readonly io: CliIo,
    private readonly options: StartupOptions,
  ) {}

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

  /** Runs one command; a failure prints its message on stderr and sets the exit code. */
  async processCommand(tokens: string[]): Promise<void> {
    try {
      await this.processZkCommand(tokens);
      this.exitCode = 0;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      this.err(err.message);
      if (err.exitCode === -1) throw new ExitRequest(1);
      this.exitCode = err.exitCode;
    }
  }

  private usage(): void {
    this.err('ZooKeeper -server host:port -client-configuration properties-file cmd args');
    const all = new Map<string, string>(BUILTINS);
    for (const [name, command] of COMMANDS) all.set(name, command.usage);
    for (const name of [...all.keys()].sort()) this.err(`\t${name} ${all.get(name)}`);
  }

  private async processZkCommand(tokens: string[]): Promise<void> {
    const [name, ...rest] = tokens;
    if (name === undefined) {
      this.usage();
      throw new CliError('No command entered');
    }
    if (!BUILTINS.has(name) && !COMMANDS.has(name)) {
      this.usage();
      throw new CliError(`Command not found: Command not found ${name}`, 127);
    }
    await this.runBuiltin(name, rest);
    const client = this.client;
    if (client === null || !isAlive(client.state)) {
      this.out('Not connected');
      return;
    }
    const command = COMMANDS.get(name);
    if (command === undefined) return;
    const ctx: CommandContext = {
      client,
      out: (line) => this.out(line),
      outRaw: (text) => this.io.stdout(text),
      err: (line) => this.err(line),
    };
    await runCommand(ctx, command, tokens);
  }

  private async runBuiltin(name: string, args: string[]): Promise<void> {
    if (name === 'quit') {
      await this.client?.close();
      throw new ExitRequest(this.exitCode);
    }
    if (name === 'redo' && args.length >= 1) return this.redo(args[0]!);
    if (name === 'history') {
      for (let i = this.commandCount - 10; i <= this.commandCount; i++) {
        if (i >= 0) this.out(`${i} - ${this.history.get(i) ?? 'null'}`);
      }
    } else if (name === 'printwatches') {
      if (args.length === 0) this.out(`printwatches is ${this.printWatches ? 'on' : 'off'}`);
      else this.printWatches = args[0] === 'on';
    } else if (name === 'connect') {
      await this.connectTo(args[0] ?? this.host);
    }
  }

  private async redo(indexText: string): Promise<void> {
    const index = javaDecode(indexText);
    if (index === null) throw new CliError(`java.lang.NumberFormatException: For input string: "${indexText}"`, -1);
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

/** Reads commands line by line; a terminal gets prompts and command completion. */
async function readLoop(cli: ZkCli, io: CliIo): Promise<void> {
  const terminal = Boolean(process.stdin.isTTY);
  io.stdout(`JLine support is ${terminal ? 'enabled' : 'disabled'}\n`);
  const completer = (line: string): [string[], string] => {
    const names = [...COMMANDS.keys(), ...BUILTINS.keys()].sort();
    return [names.filter((n) => n.startsWith(line)), line];
  };
  const rl: Interface = terminal
    ? createInterface({ input: process.stdin, output: process.stdout, terminal: true, completer })
    : createInterface({ input: process.stdin, terminal: false });
  try {
    if (terminal) {
      rl.setPrompt(cli.prompt());
      rl.prompt();
    }
    for await (const line of rl) {
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
    io.stdout(`Connecting to ${options.server}\n`);
    if (!/^[+-]?\d+$/.test(options.timeoutMs)) {
      throw new CliError(`Exception in thread "main" java.lang.NumberFormatException: For input string: "${options.timeoutMs}"`, -1);
    }
    await cli.connectTo(options.server).catch((err: unknown) => {
      if (err instanceof CliError) throw err;
      throw new CliError(`Exception in thread "main" java.lang.IllegalArgumentException: ${(err as Error).message}`, -1);
    });
    if (options.command.length > 0) {
      await cli.processCommand(options.command);
    } else {
      io.stdout('Welcome to ZooKeeper!\n');
      await readLoop(cli, io);
    }
    return cli.exitCode;
  } catch (err) {
    if (err instanceof ExitRequest) return err.status;
    if (err instanceof CliError) {
      io.stderr(err.message + '\n');
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
