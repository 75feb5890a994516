// Proves the live HTTP surfaces of a running tszk: the admin server answers every command and alias as JSON with `command` and `error` (and refuses other methods and paths as Jetty does), shares state with the four-letter words, streams an authenticated snapshot, and the Prometheus endpoint exports ZooKeeper's metric names with values that move.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createClient } from '../../src/main/client.js';
import { allCommandNames } from '../../src/admin/commands.js';
import { startTszk, type TszkServer } from '../support/tszk-server.js';
import { fourLetterWord } from '../support/zk-reference.js';

let server: TszkServer;
let adminPort: number;
let metricsPort: number;

interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function http(port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  server = await startTszk({
    config: {
      'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': '0',
      'metricsProvider.className': 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
      'metricsProvider.httpHost': '127.0.0.1', 'metricsProvider.httpPort': '0',
    },
  });
  adminPort = Number(/Started AdminServer on address 127\.0\.0\.1, port (\d+)/.exec(server.output())![1]);
  metricsPort = Number(/Started \/metrics HTTP endpoint at host: 127\.0\.0\.1, port: (\d+)/.exec(server.output())![1]);
});
after(async () => {
  await server.stop();
});

test('GET <commandURL> lists every primary command as a link', async () => {
  const answer = await http(adminPort, '/commands');
  assert.equal(answer.status, 200);
  const links = [...answer.body.toString().matchAll(/<a href="\/commands\/([a-z_]+)">\1<\/a>\n<br\/>\n/g)].map((m) => m[1]);
  assert.ok(links.includes('monitor') && links.includes('watches_by_path') && links.includes('snapshot'));
  assert.deepEqual(links, [...links].sort());
});

test('every command and alias answers 200 JSON ending with "command" and "error" (snapshot and restore aside)', async () => {
  const zk = createClient(`${server.host}:${server.port}`, { sessionTimeoutMs: 10_000 });
  await zk.connect();
  try {
    await zk.create('/ops', 'x');
    await zk.getData('/ops', () => undefined);
    for (const name of allCommandNames().filter((n) => !['snapshot', 'snap', 'restore', 'rest'].includes(n))) {
      const answer = await http(adminPort, `/commands/${name}`);
      assert.equal(answer.status, 200, name);
      assert.equal(answer.headers['content-type'], 'application/json', name);
      const text = answer.body.toString();
      const json = JSON.parse(text) as Record<string, unknown>;
      assert.equal(typeof json.command, 'string', name);
      assert.ok('error' in json, name);
      assert.match(text, /"command" : "[a-z_]+",?\n/, `${name}: Jackson's layout`);
    }
    const watches = JSON.parse((await http(adminPort, '/commands/wchp')).body.toString()) as { path_to_session_ids: Record<string, number[]> };
    assert.deepEqual(Object.keys(watches.path_to_session_ids), ['/ops']);
    const conf = JSON.parse((await http(adminPort, '/commands/conf')).body.toString()) as Record<string, unknown>;
    assert.equal(conf.client_port, server.port);
    assert.equal(conf.data_dir, `${server.dataDir}/version-2`);
  } finally {
    await zk.close();
  }
});

test('unknown commands, other paths, other methods and TRACE answer as ZooKeeper\'s Jetty does', async () => {
  const unknown = await http(adminPort, '/commands/nosuch');
  assert.equal(unknown.status, 200);
  assert.equal(unknown.body.toString(), '{\n  "command" : "nosuch",\n  "error" : "Unknown command: nosuch"\n}');
  assert.equal((await http(adminPort, '/other')).status, 404);
  assert.equal((await http(adminPort, '/commands/ruok', 'POST')).status, 405);
  assert.equal((await http(adminPort, '/commands/ruok', 'TRACE')).status, 403);
  assert.equal((await http(metricsPort, '/metrics', 'TRACE')).status, 403);
  assert.equal((await http(metricsPort, '/other')).status, 404);
});

test('the trace mask set over HTTP is the one gtmk reads on the client port', async () => {
  const set = await http(adminPort, '/commands/stmk?traceMask=5');
  assert.match(set.body.toString(), /"tracemask" : 5,/);
  assert.equal(await fourLetterWord(server.host, server.port, 'gtmk'), '5');
});

test('snapshot: 401 without auth, then streams a ZooKeeper snapshot file with its zxid, then is rate-limited', async () => {
  const refused = await http(adminPort, '/commands/snapshot');
  assert.equal(refused.status, 401);
  assert.match(refused.body.toString(), /"error" : "Auth info is missing for the command"/);
  const taken = await http(adminPort, '/commands/snapshot?streaming=true', 'GET', { Authorization: 'digest super:test' });
  assert.equal(taken.status, 200);
  assert.equal(taken.headers['content-type'], 'application/octet-stream');
  assert.match(String(taken.headers.last_zxid), /^0x[0-9a-f]+$/);
  assert.equal(Number(taken.headers.snapshot_size), taken.body.length);
  assert.equal(taken.body.subarray(0, 4).toString('latin1'), 'ZKSN');
  const limited = await http(adminPort, '/commands/snapshot', 'GET', { Authorization: 'digest super:test' });
  assert.equal(limited.status, 429);
  const lsnp = JSON.parse((await http(adminPort, '/commands/last_snapshot')).body.toString()) as { zxid: string; timestamp: number };
  assert.equal(`0x${lsnp.zxid}`, taken.headers.last_zxid);
  assert.ok(lsnp.timestamp > 1_600_000_000);
});

test('Prometheus /metrics: ZooKeeper\'s names, values that follow the server', async () => {
  const before = (await http(metricsPort, '/metrics')).body.toString();
  assert.match(before, /^# HELP /);
  const zk = createClient(`${server.host}:${server.port}`, { sessionTimeoutMs: 10_000 });
  await zk.connect();
  try {
    for (let i = 0; i < 5; i++) await zk.create(`/metrics-${i}`, 'v', { mode: 'EPHEMERAL' });
    await zk.getData('/metrics-0');
    const answer = await http(metricsPort, '/metrics');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const text = answer.body.toString();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    assert.ok(value('ephemerals_count') >= 5);
    assert.ok(value('znode_count') >= 9);
    assert.ok(value('num_alive_connections') >= 1);
    assert.ok(value('fsynctime_count') >= 5, 'each write was fsynced');
    assert.ok(value('updatelatency_count') >= 5);
    assert.ok(value('readlatency_count') >= 1);
    assert.ok(value('sync_processor_batch_size_count') >= 1);
    for (const name of ['outstanding_requests', 'approximate_data_size', 'watch_count', 'open_file_descriptor_count', 'packets_received', 'connection_request_count', 'process_open_fds', 'process_resident_memory_bytes']) {
      assert.ok(Number.isFinite(value(name)), name);
    }
    assert.match(text, /^snapshottime_count \d+\.0$/m);
    assert.match(text, /^readlatency\{quantile="0\.99",\} \d+(\.\d+)?$/m);
  } finally {
    await zk.close();
  }
});

test('mntr over the client port and monitor over HTTP report the same state', async () => {
  const mntr = await fourLetterWord(server.host, server.port, 'mntr');
  const monitor = JSON.parse((await http(adminPort, '/commands/monitor')).body.toString()) as Record<string, unknown>;
  const znodes = Number(/^zk_znode_count\t(\d+)$/m.exec(mntr)![1]);
  assert.equal(monitor.znode_count, znodes);
  assert.equal(monitor.server_state, 'standalone');
  assert.equal(typeof monitor.avg_latency, 'number');
});
