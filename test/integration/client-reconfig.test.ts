// Proves the client's reconfig (op 16, ZooKeeperAdmin.reconfigure) against a real Apache
// ZooKeeper 3.8 ensemble of three servers on loopback (reconfigEnabled=true,
// standaloneEnabled=false, super:test): what /zookeeper/config holds before and after, adding a
// fourth server that was started with a config listing all four, removing it, a bulk
// (non-incremental) membership change, removing the leader, and the errors: NOAUTH for a
// non-super session, BADVERSION for a stale fromConfig, BADARGUMENTS, NEWCONFIGNOQUORUM, and
// RECONFIGDISABLED on an ensemble with reconfigEnabled=false.
// The same tests run against a tszk ensemble (CLIENT_TEST_TARGET=tszk: only that one).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import { createClient } from '../../src/main/client.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { Perms } from '../../src/proto/defs.js';
import { ReconfigEnsemble, referenceZooKeeperAvailable, type EnsembleKind } from '../support/zk-ensemble-reference.js';

const ONLY_TSZK = process.env.CLIENT_TEST_TARGET === 'tszk';
const TIMEOUT_MS = 240_000;
const WAIT_MS_MAX = 30_000;

function skipFor(kind: EnsembleKind): string | false {
  if (kind === 'zookeeper') {
    if (ONLY_TSZK) return 'CLIENT_TEST_TARGET=tszk';
    return referenceZooKeeperAvailable() ? false : 'reference ZooKeeper 3.8 jars not installed (scripts/install-compat-deps.sh)';
  }
  return false;
}

const label = (kind: EnsembleKind) => (kind === 'tszk' ? 'a tszk ensemble' : 'a real ZooKeeper 3.8 ensemble');

function isCode(code: number) {
  return (err: unknown) => err instanceof KeeperError && err.code === code;
}

const hex = (value: bigint) => value.toString(16);

/** /zookeeper/config's text for the given server lines at `version`. */
const configText = (lines: readonly string[], version: bigint) => [...lines, `version=${hex(version)}`].join('\n');

/**
 * The config text with its server lines sorted: ZooKeeper prints them in hash-map order, which
 * is not always id order (after {1} + add 4 it printed server.4 first). version= stays last.
 */
function normalized(text: string | undefined): string {
  const lines = (text ?? '').split('\n');
  const version = lines.pop() ?? '';
  assert.match(version, /^version=[0-9a-f]+$/, 'version= is the last line, without a newline after it');
  return [...lines.sort(), version].join('\n');
}

async function eventually<T>(what: string, action: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_MS_MAX;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await action();
      if (ok(value)) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last: ${String(last instanceof Buffer ? last.toString() : last)}`);
}

for (const kind of ['zookeeper', 'tszk'] as const) {
  describe(`reconfig against ${label(kind)}`, { skip: skipFor(kind), timeout: TIMEOUT_MS }, () => {
    let ensemble: ReconfigEnsemble;
    const clients: ZooKeeperClient[] = [];

    async function open(ids: readonly number[], superUser: boolean): Promise<ZooKeeperClient> {
      const client = createClient(ensemble.connectString(ids), { sessionTimeoutMs: 20_000 });
      clients.push(client);
      await client.connect({ timeoutMs: 20_000 });
      if (superUser) await client.addAuth('digest', 'super:test');
      return client;
    }

    before(async () => {
      ensemble = await ReconfigEnsemble.start({ kind, voters: 3, spares: 1 });
    });
    after(async () => {
      for (const client of clients) await client.close().catch(() => {});
      await ensemble?.destroy();
    });

    test('/zookeeper/config lists the servers and version=<zxid of the config>; read-only to the world', async () => {
      const client = await open([1, 2, 3], false);
      const { data, stat } = await client.getConfig();
      assert.equal(normalized(data?.toString()), configText(ensemble.serverLines([1, 2, 3]), stat.mzxid));
      assert.equal(stat.version, -1, 'the config node keeps dataVersion -1');
      assert.equal(stat.czxid, 0n);
      assert.equal(stat.ctime, 0n);
      assert.equal(stat.dataLength, data!.length);
      const { acl } = await client.getACL('/zookeeper/config');
      assert.deepEqual(acl, [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }]);
      if (kind === 'zookeeper') {
        // ZooKeeper 3.5+ moves the server lines of a reconfig-enabled zoo.cfg to a dynamic file.
        const files = ensemble.configFiles(1);
        const dynamic = `zoo.cfg.dynamic.${hex(stat.mzxid)}`;
        assert.equal(files[dynamic], ensemble.serverLines([1, 2, 3]).join('\n'));
        assert.match(files['zoo.cfg']!, new RegExp(`^dynamicConfigFile=.*/${dynamic.replace(/\./g, '\\.')}$`, 'm'));
        assert.doesNotMatch(files['zoo.cfg']!, /^server\./m);
        assert.match(files['zoo.cfg.bak']!, /^server\.1=/m, 'the original zoo.cfg is kept as zoo.cfg.bak');
      }
    });

    test('a session without WRITE on /zookeeper/config gets NOAUTH; a stale fromConfig BADVERSION first', async () => {
      const client = await open([1, 2, 3], false);
      const before = await client.getConfig();
      await assert.rejects(client.reconfig({ leaving: '3' }), (e: unknown) => isCode(ErrorCode.NOAUTH)(e) && (e as KeeperError).path === '');
      // The version check comes before the ACL check.
      await assert.rejects(client.reconfig({ leaving: '3', fromConfig: 5 }), isCode(ErrorCode.BADVERSION));
      await client.addAuth('digest', 'nobody:pw');
      await assert.rejects(client.reconfig({ leaving: '3' }), isCode(ErrorCode.NOAUTH));
      assert.deepEqual((await client.getConfig()).data, before.data, 'nothing changed');
    });

    test('errors of a super session: BADVERSION, BADARGUMENTS, NEWCONFIGNOQUORUM', async () => {
      const client = await open([1, 2, 3], true);
      const before = await client.getConfig();
      await assert.rejects(client.reconfig({ leaving: '3', fromConfig: before.stat.mzxid + 1000n }), isCode(ErrorCode.BADVERSION));
      await assert.rejects(client.reconfig({ joining: 'server.5=foo' }), isCode(ErrorCode.BADARGUMENTS));
      await assert.rejects(client.reconfig({ joining: 'nonsense' }), isCode(ErrorCode.BADARGUMENTS));
      await assert.rejects(client.reconfig({ newMembers: 'garbage' }), isCode(ErrorCode.BADARGUMENTS));
      // A new config whose voters are not (a majority of them) connected and synced with the
      // leader: three servers that do not run joining the three, or the bulk form of the same.
      const ghosts = [7, 8, 9].map((id) => `server.${id}=127.0.0.1:${id}1:${id}2:participant;127.0.0.1:${id}3`);
      await assert.rejects(client.reconfig({ joining: ghosts }), isCode(ErrorCode.NEWCONFIGNOQUORUM));
      // Every voter leaving: too few voters.
      await assert.rejects(client.reconfig({ leaving: '1,2,3' }), isCode(ErrorCode.BADARGUMENTS));
      // A non-numeric server id makes the leader's Long.parseLong throw: MARSHALLINGERROR.
      await assert.rejects(client.reconfig({ leaving: 'x' }), isCode(ErrorCode.MARSHALLINGERROR));
      const s1 = ensemble.server(1).spec;
      await assert.rejects(
        client.reconfig({ newMembers: [`server.1=${s1}`, ...ghosts.slice(0, 2)] }),
        isCode(ErrorCode.NEWCONFIGNOQUORUM),
      );
      assert.deepEqual((await client.getConfig()).data, before.data, 'nothing changed');
    });

    test('-add a fourth server started with a config listing all four, then -remove it', async () => {
      ensemble.start(4);
      await ensemble.waitForQuorum([1, 2, 3, 4]);
      const client = await open([1, 2, 3], true);
      const before = await client.getConfig();
      const added = await client.reconfig({ joining: `server.4=${ensemble.server(4).spec}`, fromConfig: before.stat.mzxid });
      assert.ok(added.stat.mzxid > before.stat.mzxid);
      assert.equal(normalized(added.data.toString()), configText(ensemble.serverLines([1, 2, 3, 4]), added.stat.mzxid), 'version= is the mzxid of the reconfig');
      assert.equal(added.stat.version, -1);
      assert.equal(added.stat.dataLength, added.data.length);
      const after = await client.getConfig();
      assert.deepEqual(after.data, added.data);
      assert.equal(after.stat.mzxid, added.stat.mzxid);
      // Server 4 learns the new config too.
      const four = await open([4], false);
      await eventually('server 4 to see the new config', async () => (await four.getConfig()).data?.toString(), (t) => t === added.data.toString());
      if (kind === 'zookeeper') {
        assert.equal(ensemble.configFiles(1)[`zoo.cfg.dynamic.${hex(added.stat.mzxid)}`], ensemble.serverLines([1, 2, 3, 4]).join('\n'));
        assert.match(ensemble.configFiles(1)['zoo.cfg']!, new RegExp(`dynamicConfigFile=.*zoo\\.cfg\\.dynamic\\.${hex(added.stat.mzxid)}\\n`));
      }

      const removed = await client.reconfig({ leaving: 4 });
      assert.equal(normalized(removed.data.toString()), configText(ensemble.serverLines([1, 2, 3]), removed.stat.mzxid));
      assert.ok(removed.stat.mzxid > added.stat.mzxid);
      // A removed server that is still running keeps following (srvr says follower) as a
      // non-voting learner and keeps serving clients; it sees the config without itself.
      await eventually('server 4 to see itself removed', async () => (await four.getConfig()).data?.toString(), (t) => t === removed.data.toString());
    });

    test('-members: a bulk membership change, with a server list given as an array', async () => {
      await ensemble.waitForQuorum([1, 2, 3, 4]).catch(() => undefined);
      const client = await open([1, 2, 3], true);
      await eventually('server 4 to follow again', () => ensemble.mode(4), (mode) => mode === 'follower' || mode === 'observer');
      const result = await eventually(
        'the bulk reconfig to find server 4 synced',
        () => client.reconfig({ newMembers: ensemble.serverLines([1, 2, 3, 4]) }),
        () => true,
      );
      assert.equal(normalized(result.data.toString()), configText(ensemble.serverLines([1, 2, 3, 4]), result.stat.mzxid));
      // Lower case or not, comma or newline separated: the same membership.
      const again = await client.reconfig({ newMembers: ensemble.serverLines([1, 2, 3]).join(',') });
      assert.equal(normalized(again.data.toString()), configText(ensemble.serverLines([1, 2, 3]), again.stat.mzxid));
      // An empty incremental reconfig is accepted and only bumps the version.
      const empty = await client.reconfig({});
      assert.equal(normalized(empty.data.toString()), configText(ensemble.serverLines([1, 2, 3]), empty.stat.mzxid));
      assert.ok(empty.stat.mzxid > again.stat.mzxid);
    });

    test('removing the leader: a new leader is elected among the rest', async () => {
      const leader = await ensemble.leader();
      const rest = [1, 2, 3].filter((id) => id !== leader);
      const client = await open(rest, true);
      const outcome = await client.reconfig({ leaving: String(leader) }).then(
        (r) => r,
        (err: unknown) => {
          // The leader may drop its learners' connections before the reply makes it back.
          assert.ok(isCode(ErrorCode.CONNECTIONLOSS)(err), String(err));
          return null;
        },
      );
      const newLeader = await ensemble.waitForQuorum(rest);
      assert.ok(rest.includes(newLeader));
      const config = await eventually('the config without the old leader', () => client.getConfig(), (c) => !c.data!.toString().includes(`server.${leader}=`));
      assert.equal(normalized(config.data?.toString()), configText(ensemble.serverLines(rest), config.stat.mzxid));
      if (outcome !== null) assert.equal(outcome.stat.mzxid, config.stat.mzxid);
    });
  });

  describe(`reconfig against ${label(kind)} with reconfigEnabled=false`, { skip: skipFor(kind), timeout: TIMEOUT_MS }, () => {
    let ensemble: ReconfigEnsemble;
    let client: ZooKeeperClient | undefined;
    before(async () => {
      ensemble = await ReconfigEnsemble.start({ kind, voters: 3, reconfigEnabled: false });
    });
    after(async () => {
      await client?.close().catch(() => {});
      await ensemble?.destroy();
    });

    test('RECONFIGDISABLED, for the super user too; the config is still readable', async () => {
      client = createClient(ensemble.connectString(), { sessionTimeoutMs: 20_000 });
      await client.connect({ timeoutMs: 20_000 });
      await assert.rejects(client.reconfig({ leaving: '3' }), isCode(ErrorCode.RECONFIGDISABLED));
      await client.addAuth('digest', 'super:test');
      await assert.rejects(client.reconfig({ newMembers: ensemble.serverLines([1, 2, 3]) }), isCode(ErrorCode.RECONFIGDISABLED));
      const { data, stat } = await client.getConfig();
      assert.equal(normalized(data?.toString()), configText(ensemble.serverLines([1, 2, 3]), stat.mzxid));
      if (kind === 'zookeeper') {
        const files = ensemble.configFiles(1);
        assert.deepEqual(Object.keys(files), ['zoo.cfg'], 'zoo.cfg is left alone when reconfig is disabled');
      }
    });
  });
}
