// Proves tszk's operations surface matches a running Apache ZooKeeper 3.8 side by side: after the same client actions, every four-letter word has the same line structure, every admin command the same JSON shape (keys and types; member order is Jackson's and varies per JVM run), mntr/monitor keys are a subset with the same types, and real kazoo's server_version() and command() read tszk as they read ZooKeeper.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../src/main/client.js';
import { fourLetterWord, referenceZooKeeperAvailable, freePort } from '../support/zk-reference.js';
import { startTszk, type TszkServer } from '../support/tszk-server.js';

const JARS = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-api.jar', '/usr/share/java/slf4j-simple.jar', '/usr/share/java/servlet-api.jar'];
const PYTHON = '/usr/bin/python3';
const STARTUP_TIMEOUT_MS = 30_000;
const available = referenceZooKeeperAvailable() && JARS.every(existsSync);

interface Side {
  readonly name: string;
  readonly port: number;
  readonly adminPort: number;
}

let zookeeper: Side;
let tszk: Side;
let jvm: ChildProcess | undefined;
let zkDir: string | undefined;
let tszkServer: TszkServer | undefined;
const clients: Array<{ close(): Promise<void> }> = [];


/** ZooKeeper 3.8 with its Jetty admin server on loopback (servlet-api on the class path for Jetty). */
async function startZooKeeperWithAdmin(): Promise<Side> {
  zkDir = mkdtempSync(join(tmpdir(), 'tszk-ops-ref-'));
  const port = await freePort();
  const adminPort = await freePort();
  const cfg = join(zkDir, 'zoo.cfg');
  writeFileSync(cfg, [`tickTime=2000`, `dataDir=${zkDir}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'admin.enableServer=true',
    'admin.serverAddress=127.0.0.1', `admin.serverPort=${adminPort}`, '4lw.commands.whitelist=*', 'maxClientCnxns=0'].join('\n') + '\n');
  jvm = spawn('java', ['-Xmx256m', '-Dzookeeper.jmx.log4j.disable=true', '-cp', JARS.join(':'), 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg], { stdio: ['ignore', 'ignore', 'ignore'] });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const srvr = await fourLetterWord('127.0.0.1', port, 'srvr', 1000).catch(() => '');
    if (srvr.includes('Mode: standalone')) return { name: 'zookeeper', port, adminPort };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('ZooKeeper with the admin server did not start');
}

/** The same scene on both: one session, /app with an ephemeral child, data watches on both. */
async function scene(side: Side): Promise<void> {
  const zk = createClient(`127.0.0.1:${side.port}`, { sessionTimeoutMs: 30_000 });
  await zk.connect();
  clients.push(zk);
  await zk.create('/app', 'hello');
  await zk.create('/app/e', 'x', { mode: 'EPHEMERAL' });
  await zk.getData('/app', () => undefined);
  await zk.exists('/app/e', () => undefined);
  await zk.getChildren('/app', () => undefined);
}

before(async () => {
  if (!available) return;
  zookeeper = await startZooKeeperWithAdmin();
  tszkServer = await startTszk({ config: { 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': '0' } });
  tszk = { name: 'tszk', port: tszkServer.port, adminPort: Number(/AdminServer on address 127\.0\.0\.1, port (\d+)/.exec(tszkServer.output())![1]) };
  await scene(zookeeper);
  await scene(tszk);
});

after(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await tszkServer?.stop();
  if (jvm !== undefined && jvm.exitCode === null) {
    jvm.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        jvm?.kill('SIGKILL');
        resolve();
      }, 10_000);
      jvm!.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  if (zkDir !== undefined) rmSync(zkDir, { recursive: true, force: true });
});

/** Numbers, hex, versions, dates and paths replaced by tokens; ZooKeeper's own 4lw connection (interest ops 0, session 0) left out. */
function structure(word: string, text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !/\[0\]\(queued=/.test(line) && !/sessionId: 0x0$/.test(line) && !/^0 expire at /.test(line))
    .map((line) => line
      .replace(/^Zookeeper version: .*/, 'Zookeeper version: <version>')
      .replace(/^zk_version\t.*/, 'zk_version\t<version>')
      .replace(/[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ \d{4}/g, '<date>')
      .replace(/\/[\w./-]*version-2/g, '<dir>')
      .replace(/0x[0-9a-f]+/g, '<hex>')
      .replace(/\d+\.\d+/g, '<double>')
      .replace(/\d+/g, '<n>'))
    .filter((line, i, all) => word !== 'dump' || !(line === '<n> expire at <date>:' && (all[i + 1] === undefined || !all[i + 1]!.startsWith('\t'))));
}

test('every four-letter word has ZooKeeper\'s line structure after the same client actions', { skip: !available && 'reference ZooKeeper not installed' }, async () => {
  for (const word of ['ruok', 'srvr', 'stat', 'conf', 'cons', 'wchs', 'wchc', 'wchp', 'dirs', 'isro', 'hash', 'gtmk', 'dump']) {
    const theirs = await fourLetterWord('127.0.0.1', zookeeper.port, word);
    const ours = await fourLetterWord('127.0.0.1', tszk.port, word);
    let expected = structure(word, theirs);
    let actual = structure(word, ours);
    if (word === 'dump') {
      // ZooKeeper keeps empty expiry buckets and counts them in "Sets (n)/(m)"; compare the rest.
      expected = expected.filter((l) => !/Sets \(/.test(l));
      actual = actual.filter((l) => !/Sets \(/.test(l));
    }
    assert.deepEqual(actual, expected, `${word}\n--- zookeeper:\n${theirs}\n--- tszk:\n${ours}`);
  }
});

test('envi has ZooKeeper\'s keys in ZooKeeper\'s order; mntr\'s keys are ZooKeeper\'s with the same value types', { skip: !available && 'reference ZooKeeper not installed' }, async () => {
  const keys = (text: string): string[] => text.split('\n').slice(1).filter((l) => l.includes('=')).map((l) => l.slice(0, l.indexOf('=')));
  assert.deepEqual(keys(await fourLetterWord('127.0.0.1', tszk.port, 'envi')), keys(await fourLetterWord('127.0.0.1', zookeeper.port, 'envi')));
  const typed = (text: string): Map<string, string> => new Map(text.split('\n').filter((l) => l !== '').map((l) => {
    const [k, v] = l.split('\t');
    return [k!, /^-?\d+$/.test(v!) ? 'long' : /^-?\d+\.\d+(E-?\d+)?$/.test(v!) ? 'double' : 'string'];
  }));
  const theirs = typed(await fourLetterWord('127.0.0.1', zookeeper.port, 'mntr'));
  const ours = typed(await fourLetterWord('127.0.0.1', tszk.port, 'mntr'));
  for (const [key, type] of ours) assert.equal(type, theirs.get(key), `zk_${key}: ZooKeeper has it as ${theirs.get(key) ?? 'nothing'}`);
  assert.ok(ours.size >= 70, `mntr lists ${ours.size} values`);
});

/** As in the unit test: values replaced by their types, numeric map keys by <n>. */
function shape(json: string): string {
  return json.replace(/"((?:[^"\\]|\\.)*)"( :)?|-?\d+\.\d+(?:E-?\d+)?|-?\d+/g, (token: string, text: string | undefined, key: string | undefined) => {
    if (key !== undefined) return /^-?\d+$/.test(text!) ? '"<n>" :' : token;
    if (text !== undefined) return '<s>';
    return token.includes('.') ? '<double>' : '<long>';
  });
}

test('every admin command of ZooKeeper 3.8 answers with the same JSON shape and status', { skip: !available && 'reference ZooKeeper not installed' }, async () => {
  const list = await (await fetch(`http://127.0.0.1:${zookeeper.adminPort}/commands`)).text();
  const names = [...list.matchAll(/<a href="\/commands\/([a-z_]+)">/g)].map((m) => m[1]!);
  assert.equal(names.length, 26);
  const different = ['environment', 'system_properties', 'monitor', 'initial_configuration', 'last_snapshot'];
  for (const name of [...names, 'nosuch', 'set_trace_mask?traceMask=17']) {
    const theirs = await fetch(`http://127.0.0.1:${zookeeper.adminPort}/commands/${name}`);
    const ours = await fetch(`http://127.0.0.1:${tszk.adminPort}/commands/${name}`);
    assert.equal(ours.status, theirs.status, name);
    assert.equal(ours.headers.get('content-type'), theirs.headers.get('content-type'), name);
    const [t, o] = [await theirs.text(), await ours.text()];
    if (different.includes(name)) {
      // JVM-specific keys, ZooKeeper's many leader/learner metrics, the config text and a snapshot ZooKeeper takes at start.
      assert.match(o, /"command" : "[a-z_]+",\n  "error" : null\n\}$/, name);
      continue;
    }
    // Jackson orders a bean's properties as reflection finds them, which differs from one JVM
    // run to the next: compare each object's members as a set.
    assert.equal(unordered(shape(o)), unordered(shape(t)), `${name}\n--- zookeeper:\n${t}\n--- tszk:\n${o}`);
  }
});

/** A shape with the members of every object sorted (placeholders quoted so that it parses). */
function unordered(shapeText: string): string {
  const quoted = shapeText.replace(/<(s|long|double)>/g, '"<$1>"');
  let value: unknown;
  try {
    value = JSON.parse(quoted);
  } catch {
    return shapeText;
  }
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)]));
    return v;
  };
  return JSON.stringify(sort(value), null, 1);
}

test('kazoo\'s server_version() and command() read tszk as they read ZooKeeper', { skip: (!available || !existsSync(PYTHON)) && 'reference ZooKeeper or python3-kazoo missing' }, () => {
  const script = [
    'import sys',
    'from kazoo.client import KazooClient',
    'zk = KazooClient(hosts=sys.argv[1], timeout=10)',
    'zk.start(timeout=10)',
    'print(zk.server_version())',
    'print(zk.command(b"ruok"))',
    'print(zk.command(b"srvr").splitlines()[-2])',
    'zk.stop()',
  ].join('\n');
  const answers = [zookeeper, tszk].map((side) => {
    const result = spawnSync(PYTHON, ['-c', script, `127.0.0.1:${side.port}`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, `${side.name}: ${result.stderr}`);
    return result.stdout;
  });
  assert.equal(answers[1], answers[0]);
  assert.equal(answers[1], '(3, 8, 0)\nimok\nMode: standalone\n');
});
