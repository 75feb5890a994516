// Proves the "why standalone?" decision: ZooKeeper's mode rules (no or one voting server, standaloneEnabled), a reason and a fix for each fallback, and the problems reported for ensemble configs (myid missing or naming no server line, initLimit/syncLimit, clashing ports, unusable dataDir).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerConfig } from '../../src/config/server-config.js';
import { decideMode } from '../../src/config/mode.js';

const FILE = '/etc/zk/zoo.cfg';
function decide(text: string, myid?: string, facts = {}) {
  const config = parseServerConfig({ file: FILE, text: `dataDir=/var/zk\n${text}` }, {}, myid === undefined ? {} : { myid: { file: '/var/zk/myid', text: myid } });
  return decideMode(config, facts);
}
const THREE = 'initLimit=10\nsyncLimit=5\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n';

test('no config file: the quick start, with the way to a config', () => {
  const d = decideMode(parseServerConfig(undefined, { dataDir: 'data' }));
  assert.equal(d.mode, 'standalone');
  assert.equal(d.loud, false);
  assert.match(d.reason, /no zoo\.cfg was given/);
  assert.match(d.fix!, /pass a config file/);
});

test('no server.N lines: standalone, quietly, with how to build an ensemble', () => {
  const d = decide('clientPort=2181\n');
  assert.equal(d.mode, 'standalone');
  assert.equal(d.loud, false);
  assert.equal(d.reason, `${FILE} has no server.N lines, so this is a single standalone server`);
  assert.match(d.fix!, /server\.N=host:2888:3888.*dataDir\/myid/);
  assert.deepEqual(d.errors, []);
});

test('one voting server with standaloneEnabled=true: standalone, loudly, quoting ZooKeeper', () => {
  const d = decide('server.1=zk1:2888:3888\n', '1');
  assert.equal(d.mode, 'standalone');
  assert.equal(d.loud, true);
  assert.match(d.reason, /only one voting server \(server\.1, line 2\) and standaloneEnabled=true/);
  assert.match(d.reason, /Invalid configuration, only one server specified \(ignoring\)/);
  assert.match(d.fix!, /at least 3 voting servers.*or set standaloneEnabled=false/);
  assert.deepEqual(d.problems, []);
  assert.equal(d.self?.id, 1n);
});

test('one voting server and a myid naming another: the mismatch is reported too', () => {
  const d = decide('server.1=zk1:2888:3888\n', '4');
  assert.equal(d.mode, 'standalone');
  assert.deepEqual(d.problems, [`/var/zk/myid says 4, but ${FILE} has no server.4 line (it has server.1)`]);
});

test('one voting server and no myid: standalone, and the missing myid is named', () => {
  const d = decide('server.1=zk1:2888:3888\n');
  assert.match(d.problems[0]!, /\/var\/zk\/myid is missing.*echo N > \/var\/zk\/myid/);
});

test('one voting server with standaloneEnabled=false: quorum mode, as in ZooKeeper', () => {
  const d = decide('standaloneEnabled=false\ninitLimit=5\nsyncLimit=2\nserver.1=zk1:2888:3888\n', '1');
  assert.equal(d.mode, 'quorum');
  assert.match(d.reason, /one voting server with standaloneEnabled=false/);
});

test('three voting servers: quorum mode; a complete config has no problems', () => {
  const d = decide(THREE, '2');
  assert.equal(d.mode, 'quorum');
  assert.equal(d.reason, `${FILE} configures an ensemble: 3 voting servers (server.1, server.2, server.3)`);
  assert.deepEqual(d.problems, []);
  assert.equal(d.self?.id, 2n);
});

test('an ensemble config lists everything that would stop it', () => {
  const d = decide('server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\n');
  assert.equal(d.mode, 'quorum');
  assert.deepEqual(d.problems.map((p) => p.replace(/ \(.*/, '')), ['/var/zk/myid is missing, so this server does not know which server.N it is', 'initLimit is not set', 'syncLimit is not set']);
  const wrongId = decide(THREE, '7');
  assert.match(wrongId.problems[0]!, /myid says 7, but .* has no server\.7 line \(it has server\.1, server\.2, server\.3\)/);
});

test('clashing ports are found: own quorum port on the client port, two servers on one host', () => {
  const own = decide('clientPort=2888\ninitLimit=1\nsyncLimit=1\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\n', '1');
  assert.deepEqual(own.problems, ["ports clash: server.1's quorum port 2888 is also the clientPort"]);
  const local = decide('initLimit=1\nsyncLimit=1\nserver.1=localhost:2888:3888\nserver.2=localhost:2888:3889\n', '1');
  assert.match(local.problems.join('\n'), /server\.2's quorum port localhost:2888 is also server\.1's quorum port/);
});

test('standalone ports that clash are errors: client port, admin port, metrics port', () => {
  const d = decide('clientPort=8080\n');
  assert.deepEqual(d.errors, ['ports clash: clientPort 8080 and admin.serverPort 8080 are the same port; give each its own port']);
  const metrics = decide('metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\nmetricsProvider.httpPort=8080\n');
  assert.match(metrics.errors[0]!, /admin\.serverPort 8080 and metricsProvider\.httpPort 8080/);
  assert.deepEqual(decide('clientPort=8080\nadmin.enableServer=false\n').errors, []);
  assert.deepEqual(decide('clientPort=8080\nclientPortAddress=127.0.0.1\nadmin.serverAddress=127.0.0.2\n').errors, []);
});

test('a dataDir that cannot be used is an error in either mode', () => {
  const d = decide('', undefined, { dataDirProblem: 'is not writable by this user' });
  assert.deepEqual(d.errors, ['dataDir /var/zk cannot be used: is not writable by this user']);
  assert.deepEqual(decide(THREE, '1', { dataDirProblem: 'is a file, not a directory' }).errors, ['dataDir /var/zk cannot be used: is a file, not a directory']);
});

test('invalid memberships are errors, as ZooKeeper refuses them', () => {
  assert.match(decide('server.1=zk1:2888:3888:observer\n').errors[0]!, /only observers .* need voting servers/);
  assert.match(decide('server.1=zk1:2888:3888\nserver.2=zk2:2888:3888:observer\n', '1').errors[0]!, /only one voting server: observers need a quorum/);
  assert.match(decide('standaloneEnabled=false\n').errors[0]!, /standaloneEnabled=false needs at least one voting server/);
});
