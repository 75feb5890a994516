/**
 * How zkCli reads input: a command line split by ZooKeeperMain's ARGS_PATTERN (quotes group
 * words and are stripped), options parsed as Apache commons-cli's DefaultParser does (options
 * anywhere, `--` ends them, `-v5` and `-sw` forms, negative numbers as values), and the
 * startup flags (-server, -timeout, -r, -waitforconnection, -client-configuration).
 */

/** A commons-cli style parse failure; its message is what zkCli prints. */
export class CliParseError extends Error {
  override name = 'CliParseError';
}

/** Splits a command line into words as ZooKeeperMain.MyCommandOptions.parseCommand does. */
export function splitCommandLine(line: string): string[] {
  const pattern = /\s*([^"'\s]\S*|"[^"]*"|'[^']*')\s*/g;
  const words: string[] = [];
  for (const match of line.matchAll(pattern)) {
    let word = match[1] ?? '';
    if (/^(['"]).*\1$/s.test(word) && word.length >= 2) word = word.slice(1, -1);
    words.push(word);
  }
  return words;
}

/** Options of one command: flag letters, and letters that take a value. */
export interface OptionSpec {
  readonly flags: string;
  readonly withValue: string;
  /** Multi-letter short options that take a value (reconfig's -file, -members, -add, -remove). */
  readonly named?: readonly string[];
}

/** A parsed command: options present (value or true) and the remaining arguments (command first). */
export interface ParsedCommand {
  readonly options: Map<string, string | true>;
  readonly args: string[];
}

const isNegativeNumber = (token: string) => /^-\d+(\.\d+)?$/.test(token);

function isKnown(spec: OptionSpec, letter: string): boolean {
  return letter.length === 1 && (spec.flags.includes(letter) || spec.withValue.includes(letter));
}

/** Parses `tokens` (the command word first) against `spec`, as DefaultParser would. */
export function parseOptions(tokens: readonly string[], spec: OptionSpec): ParsedCommand {
  const options = new Map<string, string | true>();
  const args: string[] = [];
  let expecting: string | null = null;
  let onlyArgs = false;
  for (const token of tokens) {
    if (expecting !== null) {
      if (token.startsWith('-') && token.length > 1 && !isNegativeNumber(token) && token !== '--') {
        throw new CliParseError(`org.apache.commons.cli.MissingArgumentException: Missing argument for option: ${expecting}`);
      }
      options.set(expecting, token);
      expecting = null;
      continue;
    }
    if (onlyArgs || !token.startsWith('-') || token === '-') {
      args.push(token);
      continue;
    }
    if (token === '--') {
      onlyArgs = true;
      continue;
    }
    expecting = parseOptionToken(token, spec, options);
  }
  if (expecting !== null) {
    throw new CliParseError(`org.apache.commons.cli.MissingArgumentException: Missing argument for option: ${expecting}`);
  }
  return { options, args };
}

/** Handles one `-x...` token; returns the option still waiting for its value, if any. */
function parseOptionToken(token: string, spec: OptionSpec, options: Map<string, string | true>): string | null {
  const unrecognized = () => new CliParseError(`org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: ${token}`);
  if (token.startsWith('--')) throw unrecognized();
  const body = token.slice(1);
  if (spec.named?.includes(body) === true) return body;
  if (isKnown(spec, body)) {
    if (spec.withValue.includes(body)) return body;
    options.set(body, true);
    return null;
  }
  const first = body[0]!;
  if (spec.withValue.includes(first)) {
    options.set(first, body.slice(1));
    return null;
  }
  if (![...body].every((letter) => isKnown(spec, letter))) throw unrecognized();
  for (let i = 0; i < body.length; i++) {
    const letter = body[i]!;
    if (spec.withValue.includes(letter)) {
      const rest = body.slice(i + 1);
      if (rest === '') return letter;
      options.set(letter, rest);
      return null;
    }
    options.set(letter, true);
  }
  return null;
}

/** zkCli's startup options and the command given on the command line, if any. */
export interface StartupOptions {
  server: string;
  timeoutMs: string;
  readOnly: boolean;
  waitForConnection: boolean;
  clientConfiguration: string | null;
  /** The command and its arguments; empty for interactive mode. */
  command: string[];
  /** `--json` (tszk's): every command prints one JSON document on one line of stdout. */
  json?: boolean;
  /** `--terminal` (tszk's): line editing, Tab completion and the history file even when stdin is not a TTY. */
  terminal?: boolean;
}

/** ZooKeeperMain.MyCommandOptions.parseOptions (plus tszk's --json and --terminal); a flag missing its value is an error message. */
export function parseStartup(argv: readonly string[]): StartupOptions | { error: string } {
  const result: StartupOptions = {
    server: 'localhost:2181',
    timeoutMs: '30000',
    readOnly: false,
    waitForConnection: false,
    clientConfiguration: null,
    command: [],
    json: false,
    terminal: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const option = argv[i]!;
    const takeValue = (): string | null => (i + 1 < argv.length ? argv[++i]! : null);
    let value: string | null = '';
    if (option === '-server') value = takeValue();
    else if (option === '-timeout') value = takeValue();
    else if (option === '-client-configuration') value = takeValue();
    if (value === null) return { error: `Error: no argument found for option ${option}` };
    if (option === '-server') result.server = value;
    else if (option === '-timeout') result.timeoutMs = value;
    else if (option === '-client-configuration') result.clientConfiguration = value;
    else if (option === '-r') result.readOnly = true;
    else if (option === '-waitforconnection') result.waitForConnection = true;
    else if (option === '--json') result.json = true;
    else if (option === '--terminal') result.terminal = true;
    if (!option.startsWith('-')) {
      result.command = argv.slice(i);
      return result;
    }
  }
  return result;
}
