/**
 * A scripted zkCli session and its normalised transcript, so that zkCli runs can be compared
 * between servers (real ZooKeeper 3.8 vs tszk) and between CLIs (Java zkCli.sh vs tszk's
 * zk-cli). Used by zkcli.test.ts; the lead's differential harness may import it directly.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The Debian package's zkCli.sh. */
export const ZKCLI_SH = '/usr/share/zookeeper/bin/zkCli.sh';
/** tszk's zk-cli (runs the compiled CLI under dist/). */
export const TSZK_CLI = fileURLToPath(new URL('../../../bin/zk-cli', import.meta.url));

const SESSION_TIMEOUT_MS = 60_000;
/** Printed on stdout by `printwatches` after every scripted command: the stdout segment marker. */
const STDOUT_MARK = 'printwatches is on';
/** Printed on stderr by a bare `create`: the stderr segment marker. */
const STDERR_MARK = 'create [-s] [-e] [-c] [-t ttl] path [data] [acl]';

/** The scripted session: every command prints something or fails in a telling way. */
export const ZKCLI_SCRIPT: readonly string[] = [
  'create /zkcli',
  'create /zkcli/p "some data"',
  'create -s /zkcli/p/seq- one',
  'create -s /zkcli/p/seq- two',
  'create -e /zkcli/eph',
  'create -s -e /zkcli/p/es- x',
  'create /zkcli/p',
  'create /zkcli/missing/child',
  'create /zkcli/eph/child',
  'create -c /zkcli/container',
  'create -c -e /zkcli/bad',
  'create zkcli',
  'get /zkcli/p',
  'get -s /zkcli/p',
  'get /zkcli',
  'get /zkcli/none',
  'ls /zkcli',
  'ls -s /zkcli/p',
  'ls -R /zkcli',
  'ls /zkcli/none',
  'stat /zkcli/p',
  'stat /zkcli/eph',
  'stat /zkcli/none',
  'set /zkcli/p newdata',
  'set -v 1 /zkcli/p v2',
  'set -v 9 /zkcli/p bad',
  'set -s /zkcli/p v3',
  'getAcl /zkcli/p',
  'setAcl /zkcli/p world:anyone:cdr',
  'getAcl -s /zkcli/p',
  'setAcl -v 9 /zkcli/p world:anyone:cdrwa',
  'set /zkcli/p denied',
  'setAcl /zkcli/p world:anyone:cdrwa',
  'create /zkcli/private secret auth::cdrwa',
  'addauth digest alice:secret',
  'create /zkcli/private secret auth::cdrwa',
  'getAcl /zkcli/private',
  'whoami',
  'getEphemerals /zkcli',
  'getAllChildrenNumber /zkcli',
  'create /zkcli/w',
  'get -w /zkcli/w',
  'set /zkcli/w changed',
  'ls -w /zkcli/w',
  'create /zkcli/w/child',
  'stat -w /zkcli/w/none',
  'create /zkcli/w/none',
  'addWatch -m PERSISTENT /zkcli/w',
  'set /zkcli/w again',
  'removewatches /zkcli/w',
  'removewatches /zkcli/w -d',
  'sync /zkcli',
  'delete /zkcli/p',
  'delete -v 5 /zkcli/eph',
  'delete /zkcli/eph',
  'deleteall /zkcli/p',
  'ls /zkcli',
  'deleteall /zkcli',
  'ls /',
  'config',
  'version',
  'bogus',
];

/** Which CLI to drive. */
export interface ZkCliSessionOptions {
  /** Default: Java's zkCli.sh. */
  readonly cli?: 'java' | 'tszk';
  readonly script?: readonly string[];
  /** Bound on the whole session. Default 60 s. */
  readonly timeoutMs?: number;
}

interface RawRun {
  stdout: string;
  stderr: string;
  status: number | null;
}

function runCli(cli: 'java' | 'tszk', host: string, port: number, input: string, timeoutMs: number): Promise<RawRun> {
  const args = ['-server', `${host}:${port}`, '-timeout', String(SESSION_TIMEOUT_MS)];
  const [command, argv] = cli === 'java' ? [ZKCLI_SH, args] : [process.execPath, [TSZK_CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') reject(new Error(`${cli} zkCli did not finish within ${timeoutMs} ms`));
      else resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), status });
    });
    child.stdin.end(input);
  });
}

/** Masks what legitimately differs between runs: zxids and session ids by first appearance, dates, versions. */
class Masker {
  private readonly zxids = new Map<string, string>();
  private readonly sessions = new Map<string, string>();

  private token(map: Map<string, string>, prefix: string, value: string): string {
    let token = map.get(value);
    if (token === undefined) {
      token = `<${prefix}${map.size + 1}>`;
      map.set(value, token);
    }
    return token;
  }

  line(text: string): string {
    return text
      .replace(/^([cmp]Zxid) = 0x([0-9a-f]+)$/, (_, name: string, hex: string) => `${name} = 0x${this.token(this.zxids, 'zxid', hex)}`)
      .replace(/^ephemeralOwner = 0x([0-9a-f]+)$/, (all, hex: string) =>
        hex === '0' ? all : `ephemeralOwner = 0x${this.token(this.sessions, 'session', hex)}`,
      )
      .replace(/^([cm]time) = (?!Thu Jan 01 00:00:00 UTC 1970$).*$/, '$1 = <date>')
      .replace(/^ZooKeeper CLI version: .*$/, 'ZooKeeper CLI version: <version>');
  }
}

const HEADER_LINES = [/^Connecting to /, /^Welcome to ZooKeeper!$/, /^JLine support is (enabled|disabled)$/];

/**
 * Removes watch output from stdout lines and returns it separately. zkCli prints an event as two
 * atomic printlns ("\nWATCHER::" and "\nWatchedEvent ...") from its event thread, so they may be
 * separated by the main thread's output; each is removed with its leading blank line.
 */
function extractWatchEvents(lines: string[]): { rest: string[]; events: string[] } {
  const rest: string[] = [];
  const events: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const next = lines[i + 1];
    if (lines[i] === '' && next !== undefined && (next === 'WATCHER::' || next.startsWith('WatchedEvent '))) {
      if (next !== 'WATCHER::') events.push(next);
      i += 1;
    } else {
      rest.push(lines[i]!);
    }
  }
  return { rest, events };
}

/**
 * Output whose order is Java HashSet iteration order on real ZooKeeper (getEphemerals' list,
 * whoami's identities) is sorted, since no client may rely on it.
 */
function sortHashOrdered(command: string, lines: string[]): string[] {
  const name = command.split(/\s+/)[0];
  if (name === 'getEphemerals') {
    return lines.map((line) => (/^\[.*\]$/.test(line) ? `[${line.slice(1, -1).split(', ').sort().join(', ')}]` : line));
  }
  if (name === 'whoami' && lines[0] === 'Auth scheme: User') return [lines[0], ...lines.slice(1).sort()];
  return lines;
}

function splitAt(lines: string[], marker: string): string[][] {
  const segments: string[][] = [[]];
  for (const line of lines) {
    if (line === marker) segments.push([]);
    else segments.at(-1)!.push(line);
  }
  return segments;
}

function toLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Runs the scripted zkCli session against host:port and returns its normalised transcript:
 * per command its stdout and stderr lines, then the watch events in arrival order and the exit
 * status. Each command is followed by `printwatches` and a bare `create`, whose known outputs
 * cut stdout and stderr into per-command segments.
 */
export async function runZkCliSession(host: string, port: number, options: ZkCliSessionOptions = {}): Promise<string> {
  const script = options.script ?? ZKCLI_SCRIPT;
  const input = script.map((command) => `${command}\nprintwatches\ncreate\n`).join('') + 'quit\n';
  const run = await runCli(options.cli ?? 'java', host, port, input, options.timeoutMs ?? 60_000);
  const { rest, events } = extractWatchEvents(toLines(run.stdout).filter((l) => !HEADER_LINES.some((re) => re.test(l))));
  const stdoutSegments = splitAt(rest, STDOUT_MARK);
  const stderrSegments = splitAt(toLines(run.stderr).filter((l) => !l.startsWith('SLF4J:')), STDERR_MARK);
  const masker = new Masker();
  const transcript: string[] = [];
  script.forEach((command, i) => {
    transcript.push(`> ${command}`);
    for (const line of sortHashOrdered(command, stdoutSegments[i] ?? ['<missing>'])) transcript.push(`  out: ${masker.line(line)}`);
    for (const line of stderrSegments[i] ?? ['<missing>']) {
      if (!line.startsWith('\t') && line !== 'ZooKeeper -server host:port -client-configuration properties-file cmd args') {
        transcript.push(`  err: ${masker.line(line)}`);
      } else if (!line.startsWith('\t')) {
        transcript.push('  err: <usage>');
      }
    }
  });
  transcript.push('> quit');
  for (const line of stdoutSegments.slice(script.length).flat()) transcript.push(`  out: ${masker.line(line)}`);
  for (const line of stderrSegments.slice(script.length).flat()) transcript.push(`  err: ${masker.line(line)}`);
  transcript.push('[watch events]', ...events.map((e) => `  ${e}`), `[exit status] ${run.status}`);
  return transcript.join('\n') + '\n';
}

