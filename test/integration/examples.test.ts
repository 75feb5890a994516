// Proves the examples' demo modes against a tszk server: master-worker finishes every submitted
// task exactly once although its active master and a busy worker are killed with SIGKILL (the
// backup takes over, the dead worker's tasks are reassigned), and leader election hands over
// within the session timeout plus slack after each leader is killed. The demos' own verdicts
// are re-checked from the lines their processes printed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/main/client.js';
import { startTarget, type Target } from '../support/recipes-harness.js';

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const SESSION_MS = 2_000;
const SLACK_MS = 2_000;
const DEMO_TIMEOUT_MS = 90_000;
let server: Target;

before(async () => {
  server = await startTarget('tszk');
});
after(async () => {
  await server?.stop();
});

/** Runs an example with a bounded time; resolves with its exit code and output. */
function run(script: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(examples, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), DEMO_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The words of lines `  [name] <ms> <who> <WORD> ...` the demo echoed from its processes. */
function childLines(output: string): { who: string; word: string; rest: string[] }[] {
  return output
    .split('\n')
    .map((line) => /^\s+\[[^\]]+\] \d+ (\S+) (\S+) ?(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ who: m[1]!, word: m[2]!, rest: m[3]!.split(' ') }));
}

async function rootChildren(): Promise<string[]> {
  const client = createClient(`127.0.0.1:${server.port}`);
  await client.connect();
  try {
    return await client.getChildren('/');
  } finally {
    await client.close();
  }
}

test('master-worker demo: every task done exactly once through a master and a worker kill', async () => {
  const { code, output } = await run('master-worker.js', ['demo', `127.0.0.1:${server.port}`, '--session-ms', String(SESSION_MS), '--tasks', '24']);
  assert.equal(code, 0, output.slice(-4000));
  const lines = childLines(output);
  const submitted = lines.filter((l) => l.word === 'SUBMITTED').map((l) => l.rest[0]);
  assert.equal(submitted.length, 24);
  const done = lines.filter((l) => l.word === 'DONE').map((l) => l.rest[0]);
  assert.deepEqual([...done].sort(), [...submitted].sort(), 'each submitted task DONE exactly once');
  assert.equal(new Set(done).size, done.length);
  const completed = lines.filter((l) => l.word === 'COMPLETED');
  assert.equal(completed.length, 24);
  assert.ok(lines.some((l) => l.who === 'm2' && l.word === 'ELECTED'), 'the backup master took over');
  assert.ok(lines.some((l) => l.word === 'REASSIGNED'), "the killed worker's tasks were reassigned");
  const takeover = /TAKEOVER (\d+) ms/.exec(output);
  assert.ok(takeover !== null && Number(takeover[1]) <= SESSION_MS + SLACK_MS, `takeover within session timeout + slack: ${takeover?.[0]}`);
  assert.match(output, /RESULT ok tasks=24 done=24 duplicates=0 missing=0/);
  assert.equal((await rootChildren()).filter((n) => n.startsWith('master-worker-demo-')).length, 0, 'the demo cleans up its chroot');
});

test('leader-election demo: a new leader within the session timeout after each kill -9', async () => {
  const { code, output } = await run('leader-election.js', [
    'demo',
    `127.0.0.1:${server.port}`,
    '--session-ms',
    String(SESSION_MS),
    '--candidates',
    '5',
    '--rounds',
    '3',
    '--slack-ms',
    String(SLACK_MS),
  ]);
  assert.equal(code, 0, output.slice(-4000));
  const handovers = [...output.matchAll(/HANDOVER (\d) (\S+) -> (\S+) in (\d+) ms/g)];
  assert.equal(handovers.length, 3);
  for (const [, , killed, next, ms] of handovers) {
    assert.notEqual(killed, next);
    assert.ok(Number(ms) <= SESSION_MS + SLACK_MS, `handover ${ms} ms`);
    // Not before the server could know: the session had to expire first.
    assert.ok(Number(ms) >= SESSION_MS / 2, `handover ${ms} ms is implausibly fast for a kill -9`);
  }
  const leaders = childLines(output).filter((l) => l.word === 'LEADER').map((l) => l.who);
  assert.equal(leaders.length, 4, 'one leader at first and one per kill');
  assert.equal(new Set(leaders).size, 4);
  assert.equal((await rootChildren()).filter((n) => n.startsWith('leader-election-demo-')).length, 0);
});
