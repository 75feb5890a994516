// Proves every four-letter word's text format against ZooKeeper 3.8's (layouts captured from a running 3.8.0) and that the parsers third-party tools use accept tszk's output: the Go client's FLWSrvr/FLWCons regexes, zktop's stat parser, kazoo's server_version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FourLetterWords, javaDateString } from '../../src/admin/four-letter.js';
import { FOUR_LETTER_WORDS } from '../../src/config/server-config.js';
import { harness, populated } from './ops-harness.js';

const ask = (four: FourLetterWords, word: string, extra?: Buffer): string => {
  const answer = four.answer(word, extra);
  assert.ok(answer !== undefined, `${word} is a four-letter word`);
  return answer;
};

// ---- the parsers of third-party tools, ported as they are ----

/** github.com/go-zookeeper/zk flw.go FLWSrvr. */
const GO_SRVR = new RegExp(
  '^Zookeeper version: ([A-Za-z0-9\\.\\-]+), built on (\\d\\d/\\d\\d/\\d\\d\\d\\d \\d\\d:\\d\\d [A-Za-z0-9:\\+\\-]+).*\\n'
  + '^Latency min/avg/max: (\\d+)/([0-9.]+)/(\\d+).*\\n'
  + '^Received: (\\d+).*\\n^Sent: (\\d+).*\\n^Connections: (\\d+).*\\n^Outstanding: (\\d+).*\\n'
  + '^Zxid: (0x[A-Za-z0-9]+).*\\n^Mode: (\\w+).*\\n^Node count: (\\d+)', 'm');
/** go-zookeeper FLWCons: every non-empty line must match. */
const GO_CONS = /^ \/((?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?):(?:\d+))\[\d+\]\(queued=(\d+),recved=(\d+),sent=(\d+),sid=(0x[A-Za-z0-9]+),lop=(\w+),est=(\d+),to=(\d+),lcxid=(0x[A-Za-z0-9]+),lzxid=(0x[A-Za-z0-9]+),lresp=(\d+),llat=(\d+),minlat=(\d+),avglat=(\d+),maxlat=(\d+)\)/;

/** phunt/zktop's ZKServer: version line, Clients: sessions, blank line, then `attr: value` lines. */
function zktopParse(stat: string): { version: string; sessions: Array<Record<string, string>>; attrs: Record<string, string> } {
  const lines = stat.split('\n').map((l) => `${l}\n`);
  let i = 0;
  const version = /.*: (\d+\.\d+\.\d+)-.*/.exec(lines[i++]!)![1]!;
  i++; // "Clients:"
  const sessions: Array<Record<string, string>> = [];
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      break;
    }
    const m = /\/([\da-fA-F:.]+):(\d+)\[(\d+)\]\((.*)\)/.exec(line.trim())!;
    const session: Record<string, string> = { host: m[1]!, port: m[2]!, interest_ops: m[3]! };
    for (const d of m[4]!.split(',')) {
      const [k, v, ...more] = d.split('=');
      assert.equal(more.length, 0, 'k,v = d.split("=") would raise');
      session[k!] = v!;
    }
    sessions.push(session);
  }
  const attrs: Record<string, string> = {};
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '\n') continue;
    const parts = line.split(':');
    assert.equal(parts.length, 2, `zktop's "attr, value = line.split(':')" raises on ${JSON.stringify(line)}`);
    attrs[parts[0]!.trim().replace(/ /g, '_').replace(/\//g, '_').toLowerCase()] = parts[1]!.trim();
  }
  const [min, avg, max] = attrs.latency_min_avg_max!.split('/');
  assert.ok(min !== undefined && avg !== undefined && max !== undefined);
  return { version, sessions, attrs };
}

/** kazoo's KazooClient.server_version(): the digits at the start of zookeeper.version in envi. */
function kazooServerVersion(envi: string): number[] {
  const parsed: Record<string, string> = {};
  for (const line of envi.split(/\r?\n/)) {
    const at = line.indexOf('=');
    if (at < 0) continue;
    const k = line.slice(0, at).trim();
    if (k !== '') parsed[k] = line.slice(at + 1).trim();
  }
  const digits = /^([\d.]*)/.exec(parsed['zookeeper.version'] ?? '')![1]!;
  return digits.split('.').map((d) => Number.parseInt(d, 10));
}

// ---- formats ----

test('srvr is ZooKeeper\'s layout and the Go client parses it', () => {
  const h = populated();
  const srvr = ask(new FourLetterWords(h.ctx), 'srvr');
  assert.match(srvr, /^Zookeeper version: 3\.8\.0-tszk-\S+, built on 11\/23\/2026 00:00 GMT\nLatency min\/avg\/max: \d+\/\d+\.\d+\/\d+\nReceived: 7\nSent: 7\nConnections: 2\nOutstanding: 0\nZxid: 0x4\nMode: standalone\nNode count: \d+\n$/);
  const m = GO_SRVR.exec(srvr);
  assert.ok(m !== null, 'FLWSrvr regex matches');
  assert.equal(m[11], 'standalone');
  assert.equal(m[10], '0x4');
});

test('stat lists the clients briefly and zktop parses it', () => {
  const h = populated();
  const stat = ask(new FourLetterWords(h.ctx), 'stat');
  assert.match(stat, /\nClients:\n \/127\.0\.0\.1:48438\[1\]\(queued=0,recved=6,sent=6\)\n \/127\.0\.0\.1:48439\[1\]\(queued=0,recved=1,sent=1\)\n\nLatency/);
  const parsed = zktopParse(stat);
  assert.equal(parsed.version, '3.8.0');
  assert.equal(parsed.sessions.length, 2);
  assert.equal(parsed.sessions[0]!.recved, '6', 'the ConnectRequest counts, as in ZooKeeper');
  assert.equal(parsed.attrs.mode, 'standalone');
  assert.equal(parsed.attrs.zxid, '0x4');
  assert.equal(parsed.attrs.connections, '2');
  assert.ok(Number.parseInt(parsed.attrs.node_count!, 10) > 0);
});

test('cons has every field of ServerCnxn.dumpConnectionInfo and the Go client parses each line', () => {
  const h = populated();
  const four = new FourLetterWords(h.ctx);
  const cons = ask(four, 'cons');
  assert.ok(cons.endsWith(')\n\n'), 'one line per connection, then one blank line');
  const lines = cons.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 2);
  // The Go client needs lcxid, which ZooKeeper (and tszk) print only once a request was answered.
  assert.match(lines[0]!, GO_CONS);
  assert.match(lines[1]!, /^ \/127\.0\.0\.1:48439\[1\]\(queued=0,recved=1,sent=1,sid=0x[0-9a-f]+,lop=NA,est=\d+,to=10000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0\)$/);
  assert.match(lines[0]!, /sid=0x[0-9a-f]+,lop=GETC,est=1795463000000,to=30000,lcxid=0x5,lzxid=0x4,lresp=1795463000003,llat=0,minlat=0,avglat=0,maxlat=0\)$/);
  // A connection that answered nothing yet has no lcxid and lzxid 0xffffffffffffffff, as in ZooKeeper.
  assert.equal(ask(four, 'crst'), 'Connection stats reset.\n');
  assert.match(ask(four, 'cons'), /\(queued=0,recved=0,sent=0,sid=0x[0-9a-f]+,lop=NA,est=\d+,to=30000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0\)\n/);
});

test('envi starts with Environment: and kazoo reads the version 3.8.0 from it', () => {
  const h = harness();
  const envi = ask(new FourLetterWords(h.ctx), 'envi');
  assert.match(envi, /^Environment:\nzookeeper\.version=3\.8\.0-/);
  assert.deepEqual(kazooServerVersion(envi), [3, 8, 0]);
});

test('conf prints ZooKeeperServer.dumpConf\'s lines for a standalone server', () => {
  const h = harness('dataDir=/var/zk/\ndataLogDir=/var/zklog\ntickTime=2000\nclientPort=2181\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n');
  assert.equal(ask(new FourLetterWords(h.ctx), 'conf'), [
    'clientPort=2181', 'secureClientPort=-1', 'dataDir=/var/zk/version-2', 'dataDirSize=1234', 'dataLogDir=/var/zklog/version-2',
    'dataLogSize=5678', 'tickTime=2000', 'maxClientCnxns=0', 'minSessionTimeout=4000', 'maxSessionTimeout=40000',
    'clientPortListenBacklog=-1', 'serverId=0', '',
  ].join('\n'));
});

test('dump lists sessions by expiry tick, ephemerals by session, connections by expiry', () => {
  const h = populated();
  const dump = ask(new FourLetterWords(h.ctx), 'dump');
  const hex = (id: bigint): string => BigInt.asUintN(64, id).toString(16);
  const idleAt = javaDateString(h.server.sessions.get(h.idle)!.expiresAtMs);
  const busyAt = javaDateString(h.server.sessions.get(h.busy)!.expiresAtMs);
  assert.equal(dump, [
    'SessionTracker dump:',
    'Session Sets (2)/(2):',
    `1 expire at ${idleAt}:`, `\t0x${hex(h.idle)}`,
    `1 expire at ${busyAt}:`, `\t0x${hex(h.busy)}`,
    'ephemeral nodes dump:',
    'Sessions with Ephemerals (1):',
    `0x${hex(h.busy)}:`, '\t/app/e',
    'Connections dump:',
    'Connections Sets (2)/(2):',
    `1 expire at ${idleAt}:`, `\tip: /127.0.0.1:48439 sessionId: 0x${hex(h.idle)}`,
    `1 expire at ${busyAt}:`, `\tip: /127.0.0.1:48438 sessionId: 0x${hex(h.busy)}`,
    '',
  ].join('\n'));
  assert.match(idleAt, /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ \d{4}$/);
});

test('wchs, wchc and wchp list the data-watch table in ZooKeeper\'s layouts', () => {
  const h = populated();
  const four = new FourLetterWords(h.ctx);
  const sid = `0x${BigInt.asUintN(64, h.busy).toString(16)}`;
  assert.equal(ask(four, 'wchs'), '1 connections watching 2 paths\nTotal watches:2\n');
  assert.equal(ask(four, 'wchc'), `${sid}\n\t/app\n\t/app/e\n\n`);
  assert.equal(ask(four, 'wchp'), `/app\n\t${sid}\n/app/e\n\t${sid}\n\n`);
});

test('mntr: zk_<key>\\t<value> lines with the standalone metrics and summaries', () => {
  const h = populated();
  const mntr = ask(new FourLetterWords(h.ctx), 'mntr');
  const lines = mntr.split('\n');
  assert.equal(lines.pop(), '');
  const values = new Map(lines.map((l) => {
    const m = /^zk_([a-z0-9_]+)\t(.*)$/.exec(l);
    assert.ok(m !== null, `mntr line ${JSON.stringify(l)}`);
    return [m[1]!, m[2]!] as const;
  }));
  assert.equal(lines[0], 'zk_version\t3.8.0-tszk-0.1.0, built on 11/23/2026 00:00 GMT');
  assert.equal(lines[1], 'zk_server_state\tstandalone');
  for (const key of ['avg_latency', 'max_latency', 'min_latency', 'packets_received', 'packets_sent', 'num_alive_connections',
    'outstanding_requests', 'uptime', 'znode_count', 'watch_count', 'ephemerals_count', 'approximate_data_size', 'global_sessions',
    'local_sessions', 'open_file_descriptor_count', 'max_file_descriptor_count', 'connection_drop_probability',
    'last_client_response_size', 'max_client_response_size', 'min_client_response_size', 'auth_failed_count',
    'avg_fsynctime', 'cnt_fsynctime', 'avg_snapshottime', 'avg_dbinittime', 'p50_readlatency', 'p99_updatelatency', 'cnt_sync_processor_batch_size']) {
    assert.ok(values.has(key), `mntr has zk_${key}`);
  }
  assert.equal(values.get('ephemerals_count'), '1');
  assert.equal(values.get('global_sessions'), '2');
  assert.equal(values.get('num_alive_connections'), '2');
  assert.equal(values.get('watch_count'), '3');
  assert.equal(values.get('cnt_updatelatency'), '2');
  assert.equal(values.get('cnt_readlatency'), '3');
  assert.equal(values.get('open_file_descriptor_count'), '42');
  assert.match(values.get('avg_latency')!, /^\d+\.\d+$/, 'a double, as Java prints it');
  assert.equal(values.get('connection_drop_probability'), '0.0');
});

test('ruok, isro, dirs, hash answer as ZooKeeper does', () => {
  const four = new FourLetterWords(harness().ctx);
  assert.equal(ask(four, 'ruok'), 'imok');
  assert.equal(ask(four, 'isro'), 'rw');
  assert.equal(ask(four, 'dirs'), 'datadir_size: 1234\nlogdir_size: 5678\n');
  assert.equal(ask(four, 'hash'), '');
});

test('gtmk starts at ZooTrace\'s 306; stmk reads an 8-byte mask and echoes it without a newline', () => {
  const four = new FourLetterWords(harness().ctx);
  assert.equal(ask(four, 'gtmk'), '306');
  const mask = Buffer.alloc(8);
  mask.writeBigInt64BE(257n);
  assert.equal(ask(four, 'stmk', mask), '257');
  assert.equal(ask(four, 'gtmk'), '257');
  assert.equal(ask(four, 'stmk', Buffer.from([1, 2])), '', 'a short mask is not applied');
  assert.equal(ask(four, 'gtmk'), '257');
});

test('srst resets the server\'s counters; crst only the connections\'', () => {
  const h = populated();
  const four = new FourLetterWords(h.ctx);
  assert.equal(ask(four, 'srst'), 'Server stats reset.\n');
  assert.match(ask(four, 'srvr'), /Latency min\/avg\/max: 0\/0\.0\/0\nReceived: 0\nSent: 0\n/);
  assert.match(ask(four, 'stat'), /\(queued=0,recved=6,sent=6\)/, 'connection counters survive srst');
});

test('words outside the whitelist get ZooKeeper\'s refusal; srvr is always allowed; unknown words are not four-letter words', () => {
  const four = new FourLetterWords(harness('dataDir=/d\n4lw.commands.whitelist=ruok\n').ctx);
  for (const word of FOUR_LETTER_WORDS.filter((w) => w !== 'ruok' && w !== 'srvr')) {
    assert.equal(ask(four, word), `${word} is not executed because it is not in the whitelist.\n`);
  }
  assert.match(ask(four, 'srvr'), /Mode: standalone/);
  assert.equal(ask(four, 'ruok'), 'imok');
  assert.equal(four.answer('xyzw'), undefined);
  assert.equal(four.answer('\xff\xf4\xff\xfd'), 'telnet close is not executed because it is not in the whitelist.\n');
  assert.equal(new FourLetterWords(harness().ctx).answer('\xff\xf4\xff\xfd'), '', 'with * a telnet close just closes');
});

test('the default whitelist is srvr, ruok and isro', () => {
  const four = new FourLetterWords(harness('dataDir=/d\n').ctx);
  assert.equal(ask(four, 'ruok'), 'imok');
  assert.equal(ask(four, 'isro'), 'rw');
  assert.match(ask(four, 'srvr'), /Mode: standalone/);
  assert.equal(ask(four, 'mntr'), 'mntr is not executed because it is not in the whitelist.\n');
});
