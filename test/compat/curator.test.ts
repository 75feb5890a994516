// Proves tszk's recipes interoperate with Apache Curator (the Debian curator 5.4 jars): a Java
// program using Curator's InterProcessMutex and LeaderLatch (test/compat/curator/) contends with
// our InterProcessMutex and LeaderLatch on the same paths, against a tszk server and against real
// ZooKeeper 3.8. Mutual exclusion and a single leader across the Java and TypeScript processes
// are checked through ZooKeeper itself: whoever holds the lock or leads creates one EPHEMERAL
// marker node (NODEEXISTS = two inside at once) and appends to a sequential log, which must show
// both languages taking turns. Node names must follow Curator's layout on both sides.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/main/client.js';
import type { ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import { KeeperError, ErrorCode } from '../../src/proto/error-code.js';
import { InterProcessMutex } from '../../src/recipes/mutex.js';
import { LeaderLatch } from '../../src/recipes/leader-latch.js';
import { startTszk } from '../support/tszk-server.js';
import { referenceZooKeeperAvailable, startReferenceZooKeeper } from '../support/zk-reference.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const JAVA_SOURCE = join(root, 'test', 'compat', 'curator', 'CuratorContender.java');
const JARS = ['curator-recipes', 'curator-framework', 'curator-client', 'zookeeper', 'slf4j-api', 'slf4j-simple'].map(
  (name) => `/usr/share/java/${name}.jar`,
);
const javaMissing = !JARS.every((jar) => existsSync(jar)) || spawnSync('javac', ['-version']).status !== 0;
const skip = javaMissing ? 'Curator jars or javac not installed (scripts/install-compat-deps.sh)' : false;
const TARGETS = referenceZooKeeperAvailable() ? (['tszk', 'zookeeper'] as const) : (['tszk'] as const);

const JAVA_TIMEOUT_MS = 120_000;
const WAIT_MS = 30_000;
const TS_ROUNDS_MAX = 200;
const PROTECTED_LOCK = /^_c_[0-9a-f-]{36}-lock-\d{10}$/;
const PROTECTED_LATCH = /^_c_[0-9a-f-]{36}-latch-\d{10}$/;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface JavaRun {
  readonly code: number | null;
  readonly output: string;
}

/** Runs CuratorContender; resolves when it exits (killed after JAVA_TIMEOUT_MS). */
function runJava(classDir: string, args: string[]): { done: Promise<JavaRun>; finished: () => boolean } {
  const child = spawn(
    'java',
    ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', [classDir, ...JARS].join(':'), 'CuratorContender', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let finished = false;
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), JAVA_TIMEOUT_MS);
  const done = new Promise<JavaRun>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      finished = true;
      resolve({ code, output });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      finished = true;
      resolve({ code: -1, output: String(err) });
    });
  });
  return { done, finished: () => finished };
}

/** The TypeScript side of the shared critical-section protocol (same as CuratorContender's). */
async function criticalSection(client: ZooKeeperClient, node: string, logPath: string): Promise<boolean> {
  let created = false;
  let violated = false;
  try {
    await client.create(node, 'ts', { mode: 'EPHEMERAL' });
    created = true;
  } catch (err) {
    if (!(err instanceof KeeperError && err.code === ErrorCode.NODEEXISTS)) throw err;
    violated = true;
  }
  await client.create(`${logPath}/e-`, 'ts', { mode: 'PERSISTENT_SEQUENTIAL' });
  await sleep(5 + Math.random() * 15);
  if (created) await client.delete(node);
  return violated;
}

/** The log's entries in sequence order ("java" / "ts"). */
async function readLog(client: ZooKeeperClient, logPath: string): Promise<string[]> {
  const names = (await client.getChildren(logPath)).sort();
  const entries: string[] = [];
  for (const name of names) entries.push((await client.getData(`${logPath}/${name}`)).data!.toString());
  return entries;
}

function switches(entries: readonly string[]): number {
  let count = 0;
  for (let i = 1; i < entries.length; i++) if (entries[i] !== entries[i - 1]) count++;
  return count;
}

describe('Curator interop', { skip, timeout: 300_000 }, () => {
  let classDir = '';
  before(async () => {
    classDir = await mkdtemp(join(tmpdir(), 'tszk-curator-'));
    const compiled = spawnSync('javac', ['-d', classDir, '-cp', JARS.join(':'), JAVA_SOURCE], { encoding: 'utf8' });
    assert.equal(compiled.status, 0, `javac failed:\n${compiled.stderr}`);
  });
  after(async () => {
    if (classDir !== '') await rm(classDir, { recursive: true, force: true });
  });

  for (const targetName of TARGETS) {
    describe(`against ${targetName}`, () => {
      let port = 0;
      let stop: () => Promise<void> = async () => {};
      const clients: ZooKeeperClient[] = [];
      const open = async () => {
        const client = createClient(`127.0.0.1:${port}`, { sessionTimeoutMs: 10_000 });
        clients.push(client);
        await client.connect({ timeoutMs: WAIT_MS });
        return client;
      };
      before(async () => {
        if (targetName === 'tszk') {
          const server = await startTszk();
          port = server.port;
          stop = () => server.stop();
        } else {
          const zk = await startReferenceZooKeeper();
          port = zk.port;
          stop = () => zk.stop();
        }
      });
      after(async () => {
        for (const client of clients) await client.close().catch(() => undefined);
        await stop();
      });

      test("Curator's InterProcessMutex and ours exclude each other on one path", async () => {
        const observer = await open();
        await observer.create('/interop-mutex-log', null);
        const java = runJava(classDir, ['mutex', `127.0.0.1:${port}`, '/interop/mutex', '/interop-mutex-cs', '/interop-mutex-log', '2', '12']);
        let tsHolds = 0;
        let tsViolations = 0;
        const ourNodes = new Set<string>();
        const workers = [0, 1, 2].map(async () => {
          const client = await open();
          const lock = new InterProcessMutex(client, '/interop/mutex');
          for (let round = 0; round < TS_ROUNDS_MAX && !java.finished(); round++) {
            assert.equal(await lock.acquire({ timeoutMs: WAIT_MS }), true);
            try {
              ourNodes.add(lock.lockPath!.split('/').pop()!);
              tsHolds++;
              if (await criticalSection(client, '/interop-mutex-cs', '/interop-mutex-log')) tsViolations++;
            } finally {
              await lock.release();
            }
          }
        });
        const [run] = await Promise.all([java.done, ...workers]);
        assert.equal(run.code, 0, `Curator side failed:\n${run.output}`);
        assert.match(run.output, /DONE holds=24 violations=0/, run.output);
        assert.equal(tsViolations, 0, 'our holders never found anyone inside');
        const javaNodes = [...run.output.matchAll(/^NODE (\S+)$/gm)].map((match) => match[1]!);
        for (const name of [...javaNodes, ...ourNodes]) assert.match(name, PROTECTED_LOCK);
        assert.ok(javaNodes.some((name) => ourNodes.has(name)), "Curator saw our lock nodes queued with its own");
        const log = await readLog(observer, '/interop-mutex-log');
        assert.equal(log.filter((entry) => entry === 'java').length, 24);
        assert.equal(log.filter((entry) => entry === 'ts').length, tsHolds);
        assert.ok(switches(log) >= 4, `Java and TypeScript took turns: ${log.join(',')}`);
      });

      test("Curator's LeaderLatch and ours elect a single leader across both", async () => {
        const observer = await open();
        await observer.create('/interop-latch-log', null);
        const java = runJava(classDir, ['latch', `127.0.0.1:${port}`, '/interop/latch', '/interop-leader', '/interop-latch-log', '2', '4']);
        let tsTerms = 0;
        let tsViolations = 0;
        let leadersHere = 0;
        let leadersHereMax = 0;
        const ourNodes = new Set<string>();
        const workers = [0, 1, 2].map(async (index) => {
          const client = await open();
          for (let round = 0; round < TS_ROUNDS_MAX && !java.finished(); round++) {
            const latch = new LeaderLatch(client, '/interop/latch', { id: `ts-${index}` });
            latch.on('isLeader', () => (leadersHereMax = Math.max(leadersHereMax, ++leadersHere)));
            latch.on('notLeader', () => leadersHere--);
            await latch.start();
            try {
              if (!(await latch.await({ timeoutMs: WAIT_MS }))) continue;
              ourNodes.add(latch.ourNodePath!.split('/').pop()!);
              tsTerms++;
              if (await criticalSection(client, '/interop-leader', '/interop-latch-log')) tsViolations++;
            } finally {
              await latch.close('NOTIFY_LEADER');
            }
          }
        });
        const [run] = await Promise.all([java.done, ...workers]);
        assert.equal(run.code, 0, `Curator side failed:\n${run.output}`);
        assert.match(run.output, /DONE holds=8 violations=0/, run.output);
        assert.equal(tsViolations, 0, 'our leaders never found another leader');
        assert.ok(leadersHereMax <= 1, 'one leader among our latches at a time');
        const javaNodes = [...run.output.matchAll(/^NODE (\S+)$/gm)].map((match) => match[1]!);
        for (const name of [...javaNodes, ...ourNodes]) assert.match(name, PROTECTED_LATCH);
        assert.ok(javaNodes.some((name) => ourNodes.has(name)), "Curator saw our latch nodes among its own");
        const log = await readLog(observer, '/interop-latch-log');
        assert.equal(log.filter((entry) => entry === 'java').length, 8);
        assert.ok(tsTerms > 0 && switches(log) >= 2, `Java and TypeScript both led: ${log.join(',')}`);
      });
    });
  }
});
