// Proves zk-cli's shell against a tszk server through pipes (no pseudo-terminal): with
// --terminal, readline's Tab completes command names and znode paths asked of the server, lines
// go to the $ZK_CLI_HISTORY file (not addauth's), and the next session's up arrow replays them;
// with --json every one-shot command prints one document JSON.parse reads, with the exit status
// of the same command without --json, and an interactive --json session prints one per line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTszk, type TszkServer } from '../support/tszk-server.js';

const CLI = fileURLToPath(new URL('../../../bin/zk-cli', import.meta.url));
const WAIT_MS_MAX = 15_000;
const RUN_TIMEOUT_MS = 30_000;
/** CSI sequences readline writes to move the cursor and clear the line. */
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** One interactive zk-cli on pipes, its stdout collected with escape sequences removed. */
class Shell {
  private readonly child: ChildProcessWithoutNullStreams;
  private text = '';
  private errText = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, TZ: 'UTC', ...env } });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8').replace(ANSI, '');
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.errText += chunk.toString('utf8');
    });
    const killer = setTimeout(() => this.child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    this.exited = new Promise((resolve) =>
      this.child.on('close', (status) => {
        clearTimeout(killer);
        resolve(status);
      }),
    );
  }

  get output(): string {
    return this.text;
  }

  send(keys: string): void {
    this.child.stdin.write(keys);
  }

  /** Waits until stdout (after `from`) contains `needle`; returns the index just after it. */
  async waitFor(needle: string, from = 0): Promise<number> {
    const deadline = Date.now() + WAIT_MS_MAX;
    for (;;) {
      const at = this.text.indexOf(needle, from);
      if (at >= 0) return at + needle.length;
      if (Date.now() > deadline) {
        throw new Error(`no ${JSON.stringify(needle)} in stdout:\n${this.text}\nstderr:\n${this.errText}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends a line and waits for the prompt numbered `promptNumber` that follows it. */
  async run(line: string, promptNumber: number): Promise<string> {
    const from = this.text.length;
    this.send(line + '\n');
    const end = await this.waitFor(`) ${promptNumber}] `, from);
    return this.text.slice(from, end);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

function runCli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, env: { ...process.env, TZ: 'UTC' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('zk-cli shell against tszk', () => {
  let server: TszkServer;
  let dir: string;
  const shells: Shell[] = [];

  before(async () => {
    server = await startTszk();
    dir = mkdtempSync(join(tmpdir(), 'zk-cli-shell-'));
  });

  after(async () => {
    for (const shell of shells) shell.kill();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (env: NodeJS.ProcessEnv) => {
    const shell = new Shell(['--terminal', '-server', `127.0.0.1:${server.port}`], env);
    shells.push(shell);
    return shell;
  };

  test('Tab completes commands and znode paths; history is kept in $ZK_CLI_HISTORY and replayed', async () => {
    const history = join(dir, 'history');
    const shell = open({ ZK_CLI_HISTORY: history });
    await shell.waitFor('JLine support is enabled');
    await shell.waitFor(') 0] ');
    await shell.run('create /compl data-one', 1);
    await shell.run('create /compl/alpha-node alpha-data', 2);
    await shell.run('create /compl/alpha-two two', 3);

    let from = shell.output.length;
    shell.send('get /compl/alpha-n\t');
    from = await shell.waitFor('get /compl/alpha-node', from);
    const got = await shell.run('', 4);
    assert.match(got, /alpha-data/, 'the completed path was read');

    from = shell.output.length;
    shell.send('ls /compl/al\t');
    from = await shell.waitFor('ls /compl/alpha-', from);
    shell.send('\t');
    await shell.waitFor('/compl/alpha-node', from);
    await shell.waitFor('/compl/alpha-two', from);
    shell.send('\x15');
    await shell.run('ls /compl', 5);

    from = shell.output.length;
    shell.send('vers\t');
    await shell.waitFor('version', from);
    const version = await shell.run('', 6);
    assert.match(version, /ZooKeeper CLI version: /);
    await shell.run('addauth digest alice:secret', 7);
    shell.send('quit\n');
    assert.equal(await shell.exited, 0);

    const stored = readFileSync(history, 'utf8').trim().split('\n');
    assert.deepEqual(stored, [
      'create /compl data-one',
      'create /compl/alpha-node alpha-data',
      'create /compl/alpha-two two',
      'get /compl/alpha-node',
      'ls /compl',
      'version',
      'quit',
    ]);

    const next = open({ ZK_CLI_HISTORY: history });
    await next.waitFor(') 0] ');
    const replay = await next.run('\x1b[A\x1b[A', 1);
    assert.match(replay, /ZooKeeper CLI version: /, 'the up arrow brought back the previous session\'s line');
    next.send('quit\n');
    assert.equal(await next.exited, 0);
  });

  test('--json: one document per one-shot command, same exit status as without --json', () => {
    const at = ['-server', `127.0.0.1:${server.port}`];
    const code = (doc: Record<string, unknown>) => (doc['error'] as { code: string } | undefined)?.code;
    const cases: { args: string[]; status: number; check(doc: Record<string, unknown>): void }[] = [
      { args: ['create', '/js', 'caf\u00e9'], status: 0, check: (doc) => assert.deepEqual(doc, { path: '/js' }) },
      {
        args: ['get', '-s', '/js'],
        status: 0,
        check: (doc) => {
          assert.equal(doc['data'], 'caf\u00e9');
          assert.equal(doc['encoding'], 'utf8');
          const stat = doc['stat'] as Record<string, unknown>;
          assert.equal(typeof stat['mzxid'], 'string');
          assert.equal(stat['dataLength'], 5);
        },
      },
      { args: ['ls', '/'], status: 0, check: (doc) => assert.ok((doc['children'] as string[]).includes('js')) },
      { args: ['set', '-v', '0', '/js', 'x'], status: 0, check: (doc) => assert.equal((doc['stat'] as { version: number }).version, 1) },
      { args: ['get', '/missing'], status: 1, check: (doc) => assert.deepEqual(doc, { error: { code: 'NONODE', message: 'Node does not exist: /missing' } }) },
      { args: ['set', '-v', '7', '/js', 'y'], status: 1, check: (doc) => assert.equal(code(doc), 'BADVERSION') },
      { args: ['create', '/js'], status: 1, check: (doc) => assert.equal(code(doc), 'NODEEXISTS') },
      { args: ['get'], status: 1, check: (doc) => assert.equal(code(doc), 'USAGE') },
      { args: ['ls', '-x', '/'], status: 1, check: (doc) => assert.equal(code(doc), 'USAGE') },
      { args: ['getAcl', 'bad'], status: 1, check: (doc) => assert.equal(code(doc), 'BADARGUMENTS') },
      { args: ['bogus'], status: 127, check: (doc) => assert.equal(code(doc), 'COMMAND_NOT_FOUND') },
      { args: ['stat', '/js'], status: 0, check: (doc) => assert.equal((doc['stat'] as { numChildren: number }).numChildren, 0) },
      {
        args: ['getAcl', '/js'],
        status: 0,
        check: (doc) => assert.deepEqual((doc['acl'] as unknown[])[0], { scheme: 'world', id: 'anyone', perms: 'cdrwa', permsMask: 31 }),
      },
      { args: ['delete', '/js'], status: 0, check: (doc) => assert.deepEqual(doc, { path: '/js', deleted: true }) },
    ];
    for (const { args, status, check } of cases) {
      const json = runCli(['--json', ...at, ...args]);
      const lines = json.stdout.split('\n').filter((line) => line !== '');
      assert.equal(lines.length, 1, `${args.join(' ')}: one document, got ${JSON.stringify(json.stdout)} ${json.stderr}`);
      check(JSON.parse(lines[0]!) as Record<string, unknown>);
      assert.equal(json.status, status, `${args.join(' ')}: exit status with --json`);
      if (!['create', 'delete', 'set'].includes(args[0]!)) {
        assert.equal(runCli([...at, ...args]).status, status, `${args.join(' ')}: the same exit status without --json`);
      }
    }
  });

  test('--json in a session: one document per line, node events as {event}, no banners', () => {
    const run = runCli(['--json', '-server', `127.0.0.1:${server.port}`], 'create /jsess\nget -w /jsess\nset /jsess v\nls /nope\nquit\n');
    assert.equal(run.status, 1, `the status of the last command before quit, as zkCli; stderr: ${run.stderr}`);
    const docs = run.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(docs[0], { path: '/jsess' });
    assert.equal(docs[1]?.['path'], '/jsess');
    const event = docs.find((doc) => 'event' in doc);
    assert.deepEqual(event, { event: { type: 'NodeDataChanged', state: 'SyncConnected', path: '/jsess' } });
    assert.deepEqual(docs.at(-1), { error: { code: 'NONODE', message: 'Node does not exist: /nope' } });
    assert.equal(docs.length, 5);
  });
});
