// Proves zoo.cfg parsing: ZooKeeper's defaults, server.N lines (roles, client ports, IPv6, multi-address), myid and dynamic files, warnings for unknown or unused keys, and that each misconfiguration names file, line and key and says what is expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError, DEFAULT_METRICS_PROVIDER, FOUR_LETTER_WORDS, PROMETHEUS_METRICS_PROVIDER, configSystemProperties, parseServerConfig, peekPaths, votingServers,
} from '../../src/config/server-config.js';
import { splitHostAndPorts } from '../../src/config/quorum-servers.js';

const FILE = '/etc/zk/zoo.cfg';
const parse = (text: string, inputs = {}) => parseServerConfig({ file: FILE, text }, {}, inputs);

/** Asserts that parsing fails with a message containing every fragment. */
function fails(text: string, ...fragments: string[]): void {
  assert.throws(() => parse(text), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    for (const f of fragments) assert.ok(e.message.includes(f), `"${e.message}" lacks "${f}"`);
    return true;
  });
}

test('defaults are ZooKeeper 3.8\'s', () => {
  const c = parse('dataDir=/var/zk\n');
  assert.equal(c.tickTimeMs, 3000);
  assert.equal(c.dataLogDir, '/var/zk');
  assert.equal(c.clientPort, 2181);
  assert.equal(c.clientPortAddress, '0.0.0.0');
  assert.equal(c.clientPortListenBacklog, -1);
  assert.equal(c.maxClientCnxns, 60);
  assert.equal(c.maxCnxns, 0);
  assert.equal(c.minSessionTimeoutMs, 6000);
  assert.equal(c.maxSessionTimeoutMs, 60000);
  assert.equal(c.snapCount, 100_000);
  assert.equal(c.snapSizeLimitBytes, 4_194_304 * 1024);
  assert.equal(c.txnLogSizeLimitBytes, 0);
  assert.deepEqual(c.autopurge, { snapRetainCount: 3, purgeIntervalHours: 0 });
  assert.deepEqual({ ...c.admin }, {
    enabled: true, address: '0.0.0.0', port: 8080, commandUrl: '/commands', idleTimeoutMs: 30000,
    rateLimiterIntervalMs: 300000, snapshotEnabled: true, restoreEnabled: true,
  });
  assert.equal(c.metricsProviderClassName, DEFAULT_METRICS_PROVIDER);
  assert.equal(c.prometheus, undefined);
  assert.equal(c.fsyncWarningThresholdMs, 1000);
  assert.equal(c.standaloneEnabled, true);
  assert.equal(c.reconfigEnabled, false);
  assert.equal(c.peerType, 'participant');
  assert.equal(c.electionAlg, 3);
  assert.equal(c.initLimit, 0);
  assert.equal(c.syncLimit, 0);
  assert.deepEqual([...c.fourLetterWhitelist].sort(), ['isro', 'ruok', 'srvr']);
  assert.deepEqual(c.servers, []);
  assert.deepEqual(c.warnings, []);
  assert.equal(c.log.level, 'INFO');
  assert.equal(c.log.maxFileBytes, 10 * 1024 * 1024);
});

test('every key of the sample zoo.cfg and the ensemble keys are read', () => {
  const c = parse([
    'tickTime=2000', 'initLimit=10', 'syncLimit=5', 'dataDir=/var/zk', 'dataLogDir=/var/zk-log', 'clientPort=2182',
    'clientPortAddress=127.0.0.1', 'maxClientCnxns=0', 'maxCnxns=100', 'minSessionTimeout=5000', 'maxSessionTimeout=50000',
    'autopurge.snapRetainCount=5', 'autopurge.purgeInterval=12', 'standaloneEnabled=false', 'reconfigEnabled=true',
    'peerType=observer', 'admin.serverPort=9090', 'admin.commandURL=/cmds/', 'metricsProvider.className=' + PROMETHEUS_METRICS_PROVIDER,
    'metricsProvider.httpPort=7001', 'metricsProvider.httpHost=127.0.0.1', 'metricsProvider.exportJvmInfo=false',
    'fsync.warningthresholdms=50', 'snapSizeLimitInKb=1024', 'txnLogSizeLimitInKb=2048', 'clientPortListenBacklog=128',
    'zookeeper.log.dir=/var/log/zk', 'zookeeper.log.maxfilesize=1MB', 'zookeeper.log.maxbackupindex=3', 'zookeeper.log.threshold=debug',
  ].join('\n'));
  assert.equal(c.tickTimeMs, 2000);
  assert.equal(c.initLimit, 10);
  assert.equal(c.syncLimit, 5);
  assert.equal(c.dataLogDir, '/var/zk-log');
  assert.equal(c.clientPort, 2182);
  assert.equal(c.maxCnxns, 100);
  assert.deepEqual(c.autopurge, { snapRetainCount: 5, purgeIntervalHours: 12 });
  assert.equal(c.standaloneEnabled, false);
  assert.equal(c.reconfigEnabled, true);
  assert.equal(c.peerType, 'observer');
  assert.equal(c.admin.port, 9090);
  assert.equal(c.admin.commandUrl, '/cmds');
  assert.deepEqual(c.prometheus, { host: '127.0.0.1', port: 7001, exportJvmInfo: false });
  assert.equal(c.fsyncWarningThresholdMs, 50);
  assert.equal(c.snapSizeLimitBytes, 1024 * 1024);
  assert.equal(c.txnLogSizeLimitBytes, 2048 * 1024);
  assert.equal(c.clientPortListenBacklog, 128);
  assert.deepEqual({ ...c.log }, { dir: '/var/log/zk', file: undefined, level: 'DEBUG', maxFileBytes: 1024 * 1024, maxBackupIndex: 3 });
  assert.deepEqual(c.warnings, []);
});

test('ZOO_LOG_DIR wins over zookeeper.log.dir, as the scripts pass it to the JVM first', () => {
  const c = parse('dataDir=/d\nzookeeper.log.dir=/from/cfg\n', { env: { ZOO_LOG_DIR: '/from/env' } });
  assert.equal(c.log.dir, '/from/env');
});

test('server.N lines: roles, client addresses, IPv6 and multiple addresses', () => {
  const c = parse([
    'dataDir=/d', 'multiAddress.enabled=true',
    'server.1=zk1:2888:3888',
    'server.2=zk2:2888:3888:participant;2181',
    'server.3=[2001:db8::3]:2888:3888;[::1]:2182',
    'server.4=zk4:2888:3888:observer;10.0.0.4:2181',
    'server.5=zk5a:2888:3888|zk5b:2889:3889',
  ].join('\n'));
  const [s1, s2, s3, s4, s5] = c.servers;
  assert.deepEqual([s1!.id, s1!.host, s1!.quorumPort, s1!.electionPort, s1!.type, s1!.clientPort], [1n, 'zk1', 2888, 3888, 'participant', undefined]);
  assert.deepEqual([s2!.clientAddress, s2!.clientPort], ['0.0.0.0', 2181]);
  assert.deepEqual([s3!.host, s3!.clientAddress, s3!.clientPort], ['2001:db8::3', '::1', 2182]);
  assert.deepEqual([s4!.type, s4!.clientAddress], ['observer', '10.0.0.4']);
  assert.deepEqual(s5!.addresses.map((a) => `${a.host}:${a.quorumPort}:${a.electionPort}`), ['zk5a:2888:3888', 'zk5b:2889:3889']);
  assert.deepEqual(votingServers(c).map((s) => s.id), [1n, 2n, 3n, 5n]);
  assert.equal(s1!.where.line, 3);
  assert.deepEqual(splitHostAndPorts('[fe80::1]:1:2'), ['fe80::1', '1', '2']);
});

test('weight 0 takes a server out of the vote; group lines are read', () => {
  const c = parse('dataDir=/d\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\ngroup.1=1:2:3\nweight.1=1\nweight.2=1\nweight.3=0\n');
  assert.deepEqual(votingServers(c).map((s) => s.id), [1n, 2n]);
  assert.deepEqual(c.groups[0]!.members, [1n, 2n, 3n]);
});

test('malformed server.N lines name the file, the line and what is expected', () => {
  fails('dataDir=/d\nserver.1=zk1:2888\n', `${FILE}:2: server.1`, 'host:quorumPort:electionPort');
  fails('dataDir=/d\nserver.1=zk1:2888:2888\n', `${FILE}:2: server.1`, 'must differ');
  fails('dataDir=/d\nserver.1=zk1:2888:abc\n', 'election port as a number', '"abc"');
  fails('dataDir=/d\nserver.1=zk1:2888:99999\n', '99999 is not a port number');
  fails('dataDir=/d\nserver.1=zk1:2888:3888:leader\n', 'participant or observer', '"leader"');
  fails('dataDir=/d\nserver.1=a:1:2|b:1:2\n', 'multiAddress.enabled=true');
  fails('dataDir=/d\nserver.x=a:1:2\n', `${FILE}:2: server.x`, 'server.<number>');
  fails('dataDir=/d\nserver.1=a:1:2;x:y:z\n', '[clientHost:]clientPort');
});

test('each misconfigured key gives its own message with file, line and key', () => {
  fails('tickTime=2000\n', `${FILE}: dataDir`, 'is not set');
  fails('dataDir=/d\ntickTime=fast\n', `${FILE}:2: tickTime`, 'expected an integer', '"fast"');
  fails('dataDir=/d\ntickTime=0\n', `${FILE}:2: tickTime`, 'at least 1');
  fails('dataDir=/d\nclientPort=70000\n', `${FILE}:2: clientPort`, 'port number');
  fails('dataDir=/d\nminSessionTimeout=9000\nmaxSessionTimeout=5000\n', 'minSessionTimeout (9000 ms) must not be larger than maxSessionTimeout (5000 ms)');
  fails('dataDir=/d\nforceSync=maybe\n', `${FILE}:2: forceSync`, 'true or false');
  fails('dataDir=/d\npeerType=leader\n', `${FILE}:2: peerType`, 'participant or observer');
  fails('dataDir=/d\nelectionAlg=1\n', `${FILE}:2: electionAlg`, 'only 3');
  fails('dataDir=/d\nmetricsProvider.className=com.example.Nope\n', `${FILE}:2: metricsProvider.className`, PROMETHEUS_METRICS_PROVIDER);
  fails('dataDir=/d\nadmin.commandURL=commands\n', 'admin.commandURL', "starting with '/'");
  fails('dataDir=/d\nzookeeper.log.threshold=LOUD\n', 'log.threshold', 'one of TRACE, DEBUG, INFO, WARN, ERROR');
  fails('dataDir=/d\nzookeeper.log.maxfilesize=big\n', 'log.maxfilesize', 'size such as 10MB');
  fails('dataDir=/d\ninitLimit=-1\n', `${FILE}:2: initLimit`, 'at least 0');
  fails('dataDir=/d\ndynamicConfigFile=/d/zoo.cfg.dynamic\nserver.1=a:1:2\n', `${FILE}:3: server.1`, 'must be in the dynamic config file');
});

test('unknown keys and keys tszk does not act on are warnings, never errors', () => {
  const c = parse('dataDir=/d\nfoo.bar=1\nsecureClientPort=2182\njvm.pause.warn-threshold.ms=10\npreAllocSize=65536\nsslQuorum=false\n');
  assert.deepEqual(c.unknownKeys, ['foo.bar']);
  assert.equal(c.warnings.length, 3, c.warnings.join('\n'));
  assert.match(c.warnings[0]!, /^\/etc\/zk\/zoo\.cfg:2: foo\.bar: unknown key, ignored/);
  assert.match(c.warnings[1]!, /:3: secureClientPort: accepted but not used: TLS is not supported/);
  assert.match(c.warnings[2]!, /:4: jvm\.pause\.warn-threshold\.ms: .*no JVM/);
});

test('a key given twice warns that the last one wins', () => {
  const c = parse('dataDir=/d\ntickTime=1000\ntickTime=2000\n');
  assert.equal(c.tickTimeMs, 2000);
  assert.match(c.warnings.join('\n'), /:3: tickTime: given again \(first on line 2\)/);
});

test('autopurge.snapRetainCount below 3 is raised to 3 with a warning, as ZooKeeper does', () => {
  const c = parse('dataDir=/d\nautopurge.snapRetainCount=1\n');
  assert.equal(c.autopurge.snapRetainCount, 3);
  assert.match(c.warnings.join('\n'), /:2: autopurge\.snapRetainCount: 1 is below the minimum; using 3/);
});

test('the four-letter whitelist always allows srvr, accepts *, and warns about unknown words', () => {
  assert.deepEqual([...parse('dataDir=/d\n4lw.commands.whitelist=stat, ruok\n').fourLetterWhitelist].sort(), ['ruok', 'srvr', 'stat']);
  assert.equal(parse('dataDir=/d\n4lw.commands.whitelist=*\n').fourLetterWhitelist.size, FOUR_LETTER_WORDS.length);
  const c = parse('dataDir=/d\n4lw.commands.whitelist=ruok,kill\n');
  assert.match(c.warnings.join('\n'), /"kill" is not a four-letter word/);
  assert.ok(!c.fourLetterWhitelist.has('kill'));
  assert.deepEqual([...parse('dataDir=/d\nzookeeper.4lw.commands.whitelist=mntr\n').fourLetterWhitelist].sort(), ['mntr', 'srvr']);
});

test('myid: read as the server id; its own server line gives the client port', () => {
  const text = 'dataDir=/d\nserver.1=a:2888:3888;127.0.0.1:2190\nserver.2=b:2888:3888;2191\n';
  const c = parse(text, { myid: { file: '/d/myid', text: '1\n' } });
  assert.equal(c.myid, 1n);
  assert.equal(c.clientPort, 2190);
  assert.equal(c.clientPortAddress, '127.0.0.1');
  assert.throws(() => parse(text, { myid: { file: '/d/myid', text: 'one\n' } }), /\/d\/myid:1: myid: expected this server's id as a decimal number.*"one"/);
  assert.throws(() => parse('clientPort=2000\n' + text, { myid: { file: '/d/myid', text: '2' } }), /clientPort: is 2000, but this server's line \(server\.2/);
});

test('a dynamic config file holds the membership', () => {
  const c = parse('dataDir=/d\ndynamicConfigFile=/d/zoo.cfg.dynamic.100000000\n', {
    dynamic: { file: '/d/zoo.cfg.dynamic.100000000', text: 'server.1=a:2888:3888;2181\nserver.2=b:2888:3888;2181\nversion=100000000\n' },
  });
  assert.deepEqual(c.servers.map((s) => s.id), [1n, 2n]);
  assert.equal(c.servers[1]!.where.file, '/d/zoo.cfg.dynamic.100000000');
  assert.throws(() => parse('dataDir=/d\ndynamicConfigFile=/x\n', { dynamic: { file: '/x', text: 'tickTime=1\n' } }), /\/x:1: tickTime: only server\.N, group\.N, weight\.N and version/);
});

test('peekPaths finds dataDir and the dynamic file before the full parse', () => {
  assert.deepEqual(peekPaths({ file: FILE, text: 'zookeeper.dataDir=/x\ndynamicConfigFile=/y\n' }), { dataDir: '/x', dynamicConfigFile: '/y' });
});

test('system properties: the keys ZooKeeper would turn into zookeeper.* properties', () => {
  const c = parse('dataDir=/d\n4lw.commands.whitelist=*\nadmin.enableServer=false\ntickTime=2000\nserver.1=a:1:2\n');
  assert.deepEqual(configSystemProperties(c), [['zookeeper.4lw.commands.whitelist', '*'], ['zookeeper.admin.enableServer', 'false']]);
});

test('the config is frozen and keeps the text for initial_configuration', () => {
  const text = 'dataDir=/d\n# comment\n';
  const c = parse(text);
  assert.ok(Object.isFrozen(c));
  assert.equal(c.text, text);
  assert.equal(c.file, FILE);
});
