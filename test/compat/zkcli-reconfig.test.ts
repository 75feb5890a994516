// Proves tszk's zk-cli `reconfig` and `config` against zkCli.sh 3.8 on a real ZooKeeper 3.8
// ensemble of three servers (plus a fourth, started with a config listing all four, to add):
// the same scripted session through Java's zkCli.sh and through tszk's zk-cli gives the same
// normalised transcript (messages, "Committed new configuration:", -s stats, argument errors,
// server errors, config -c), and one-shot reconfig commands exit with zkCli.sh's statuses.
// The session leaves the membership as it found it, so both CLIs run on one ensemble.
// It runs against a tszk ensemble too (CLIENT_TEST_TARGET=tszk: only that one), where Java's
// zkCli.sh and tszk's zk-cli must also print the same transcript.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReconfigEnsemble, referenceZooKeeperAvailable, type EnsembleKind } from '../support/zk-ensemble-reference.js';
import { runZkCliSession, TSZK_CLI, ZKCLI_SH } from './zkcli-session.js';

const ONLY_TSZK = process.env.CLIENT_TEST_TARGET === 'tszk';
const zkCliMissing = !referenceZooKeeperAvailable() || !existsSync(ZKCLI_SH);

function skipFor(kind: EnsembleKind): string | false {
  if (zkCliMissing) return 'reference ZooKeeper 3.8 / zkCli.sh not installed (scripts/install-compat-deps.sh)';
  if (kind === 'zookeeper') return ONLY_TSZK ? 'CLIENT_TEST_TARGET=tszk' : false;
  return false;
}

/** The session script; every membership change is undone before it ends. */
function script(e: ReconfigEnsemble, file: string): string[] {
  const line = (id: number) => `server.${id}=${e.server(id).spec}`;
  return [
    'config',
    'config -c',
    'config -s',
    'reconfig -remove 3',
    'reconfig',
    'reconfig -s',
    `reconfig -add ${line(4)} -members ${line(1)}`,
    `reconfig -file ${file} -members ${line(1)}`,
    'reconfig -v zz -remove 3',
    'reconfig -file /nonexistent/dynamic.cfg',
    'reconfig -x',
    'reconfig -remove',
    'addauth digest super:test',
    'reconfig -v 1 -remove 4',
    'reconfig -add server.5=foo',
    'reconfig -remove x',
    'reconfig -remove 1,2,3',
    `reconfig -add ${line(4)}`,
    'config',
    'reconfig -s -remove 4',
    `reconfig -members ${[1, 2, 3, 4].map(line).join(',')}`,
    'reconfig -remove 4',
    `reconfig -file ${file}`,
    'config -c -s',
    'whoami',
  ];
}

/** Masks config versions (version=<hex>, and the leading hex of `config -c`) by first appearance. */
function maskVersions(transcript: string): string {
  const versions = new Map<string, string>();
  for (const match of transcript.matchAll(/version=([0-9a-f]+)/g)) if (!versions.has(match[1]!)) versions.set(match[1]!, `<v${versions.size + 1}>`);
  return transcript
    .replace(/version=([0-9a-f]+)/g, (_, v: string) => `version=${versions.get(v)}`)
    .replace(/^( {2}out: )([0-9a-f]+)( \d+\.\d+\.\d+\.\d+:\d+)/gm, (_, a: string, v: string, b: string) => `${a}${versions.get(v) ?? `<unknown ${v}>`}${b}`);
}

for (const kind of ['zookeeper', 'tszk'] as const) {
  describe(`zkCli reconfig and config against ${kind === 'tszk' ? 'a tszk ensemble' : 'a real ZooKeeper 3.8 ensemble'}`, { skip: skipFor(kind), timeout: 300_000 }, () => {
    let ensemble: ReconfigEnsemble;
    let dir: string;
    let file: string;
    before(async () => {
      ensemble = await ReconfigEnsemble.start({ kind, voters: 3, spares: 1 });
      ensemble.start(4);
      await ensemble.waitForQuorum([1, 2, 3, 4]);
      dir = mkdtempSync(join(tmpdir(), 'tszk-zkcli-reconfig-'));
      file = join(dir, 'dynamic.cfg');
      // A dynamic config file as -file reads it: a comment, server lines, no version.
      writeFileSync(file, ['# the initial three', ...[1, 2, 3].map((id) => `server.${id}=${ensemble.server(id).spec}`)].join('\n') + '\n');
    });
    after(async () => {
      await ensemble?.destroy();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    let javaTranscript: string | undefined;

    test('zkCli.sh: reconfig and config transcript', async () => {
      // Connect to a follower: the leader is never removed here, but keep the session stable anyway.
      const transcript = maskVersions(await runZkCliSession('127.0.0.1', ensemble.server(1).clientPort, { script: script(ensemble, file), timeoutMs: 120_000 }));
      javaTranscript = transcript;
      if (kind !== 'zookeeper') return;
      for (const expected of [
        '  out: Committed new configuration:',
        '  err: Insufficient permission : ',
        '  err: version No is not valid : ',
        '  err: -v must be followed by a long (configuration version)',
        "  err: Can't use -file or -members together with -add or -remove (mixing incremental and non-incremental modes is not allowed)",
        "  err: Can't use -file and -members together (conflicting non-incremental modes)",
        '  err: org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x',
        '  err: org.apache.commons.cli.MissingArgumentException: Missing argument for option: remove',
        `  out: ${ensemble.serverLines([1, 2, 3])[0]}`,
        '  out: version=<v1>',
        '  out: dataVersion = -1',
      ]) {
        assert.ok(transcript.includes(expected + '\n'), `transcript lacks ${JSON.stringify(expected)}:\n${transcript}`);
      }
    });

    test("tszk's zk-cli prints exactly what zkCli.sh prints", async () => {
      const java = javaTranscript ?? maskVersions(await runZkCliSession('127.0.0.1', ensemble.server(1).clientPort, { script: script(ensemble, file), timeoutMs: 120_000 }));
      const tszk = maskVersions(await runZkCliSession('127.0.0.1', ensemble.server(1).clientPort, { script: script(ensemble, file), cli: 'tszk', timeoutMs: 120_000 }));
      assert.equal(tszk, java);
    });

    test('one-shot reconfig commands exit with zkCli.sh statuses', () => {
      const server = ['-server', `127.0.0.1:${ensemble.server(2).clientPort}`];
      const run = (command: string, args: string[]) => {
        const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
        return { status: r.status, err: r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('SLF4J:') && !l.startsWith('\t')).join('\n') };
      };
      for (const command of [
        ['reconfig'],
        ['reconfig', '-remove', '3'],
        ['reconfig', '-v', 'zz', '-remove', '3'],
        ['reconfig', '-file', '/nonexistent/dynamic.cfg'],
        ['reconfig', '-remove'],
        ['config', '-c'],
      ]) {
        const java = run(ZKCLI_SH, [...server, ...command]);
        const ours = run(process.execPath, [TSZK_CLI, ...server, ...command]);
        assert.deepEqual(ours, java, command.join(' '));
      }
    });
  });
}
