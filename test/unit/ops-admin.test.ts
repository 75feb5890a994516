// Proves the HTTP admin commands answer in ZooKeeper 3.8's JSON: the same layout, key order and value types as the responses captured from a running ZooKeeper 3.8.0 (test/fixtures/ops), every name and alias, `command`/`error` fields, trace masks, snapshot auth and rate limit, and the Prometheus text format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allCommandNames, primaryCommandNames, renderResponse, runCommand, type CommandRequest } from '../../src/admin/commands.js';
import { double, toJackson } from '../../src/admin/json.js';
import { prometheusText } from '../../src/admin/monitor.js';
import { harness, populated } from './ops-harness.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'ops', 'zk-3.8.0-admin.json');
const zookeeper = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { admin: Record<string, { status: number; contentType: string; body: string }>; fourLetter: Record<string, string> };

const request = (params: Record<string, string> = {}, authorization?: string): CommandRequest => ({
  params: new Map(Object.entries(params)), authorization, remoteAddress: '127.0.0.1',
});

/**
 * The JSON with every value replaced by its type (and numeric map keys, which are ids or times,
 * by <n>): two responses with the same shape have the same keys, order, nesting and types.
 */
function shape(json: string): string {
  return json.replace(/"((?:[^"\\]|\\.)*)"( :)?|-?\d+\.\d+(?:E-?\d+)?|-?\d+/g, (token: string, text: string | undefined, key: string | undefined) => {
    if (key !== undefined) return /^-?\d+$/.test(text!) ? '"<n>" :' : token;
    if (text !== undefined) return '<s>';
    return token.includes('.') ? '<double>' : '<long>';
  });
}

test('the JSON printer writes Jackson\'s layout byte for byte', () => {
  const connections = new Map<string, unknown>([
    ['connections', [new Map<string, unknown>([
      ['remote_socket_address', '127.0.0.1:48438'], ['interest_ops', 1], ['outstanding_requests', 0], ['packets_received', 0],
      ['packets_sent', 0], ['session_id', 72057840461217792n], ['last_operation', 'NA'], ['established', 1795463013856],
      ['session_timeout', 30000], ['last_cxid', -1], ['last_zxid', -1], ['last_response_time', 0], ['last_latency', 0],
      ['min_latency', 0], ['avg_latency', 0], ['max_latency', 0],
    ])]],
    ['secure_connections', []], ['command', 'connections'], ['error', null],
  ]);
  assert.equal(toJackson(connections as never), '{\n  "connections" : [ {\n    "remote_socket_address" : "127.0.0.1:48438",\n    "interest_ops" : 1,\n    "outstanding_requests" : 0,\n    "packets_received" : 0,\n    "packets_sent" : 0,\n    "session_id" : 72057840461217792,\n    "last_operation" : "NA",\n    "established" : 1795463013856,\n    "session_timeout" : 30000,\n    "last_cxid" : -1,\n    "last_zxid" : -1,\n    "last_response_time" : 0,\n    "last_latency" : 0,\n    "min_latency" : 0,\n    "avg_latency" : 0,\n    "max_latency" : 0\n  } ],\n  "secure_connections" : [ ],\n  "command" : "connections",\n  "error" : null\n}');
  assert.equal(toJackson({ a: double(7.666666), b: double(2), c: { }, d: [1, 2] }), '{\n  "a" : 7.6667,\n  "b" : 2.0,\n  "c" : { },\n  "d" : [ 1, 2 ]\n}');
});

test('every command has ZooKeeper\'s response shape (keys, order, types), compared with ZooKeeper 3.8.0\'s answers', async () => {
  // The fixture's scene: one session with an ephemeral and data watches on /app and /app/e.
  const h = populated('dataDir=/tmp/zkcmp/data\ntickTime=2000\n4lw.commands.whitelist=*\n', false);
  const compared = ['configuration', 'connection_stat_reset', 'connections', 'dirs', 'dump', 'get_trace_mask', 'hash', 'initial_configuration',
    'is_read_only', 'last_snapshot', 'leader', 'observer_connection_stat_reset', 'observers', 'ruok', 'server_stats', 'set_trace_mask',
    'stat_reset', 'stats', 'voting_view', 'watch_summary', 'watches', 'watches_by_path', 'zabstate', 'nosuch', 'set_trace_mask?traceMask=abc',
    'set_trace_mask?traceMask=306'];
  for (const entry of compared) {
    const [name, query] = entry.split('?');
    const params = Object.fromEntries(new URLSearchParams(query ?? ''));
    const ours = await runCommand(h.ctx, name!, request(params));
    const theirs = zookeeper.admin[entry]!;
    assert.equal(ours.status, theirs.status, entry);
    assert.equal(shape(renderResponse(ours)), shape(theirs.body), `${entry}:\n${renderResponse(ours)}`);
  }
});

test('environment and system_properties: string values; environment keys are a subset of ZooKeeper\'s, in its order', async () => {
  const h = harness();
  const theirKeys = [...zookeeper.admin.environment!.body.matchAll(/^  "([^"]+)" :/gm)].map((m) => m[1]!);
  const env = renderResponse(await runCommand(h.ctx, 'environment', request()));
  const ourKeys = [...env.matchAll(/^  "([^"]+)" :/gm)].map((m) => m[1]!).filter((k) => k !== 'command' && k !== 'error');
  assert.deepEqual(ourKeys, theirKeys.filter((k) => ourKeys.includes(k)));
  assert.ok(ourKeys.every((k) => theirKeys.includes(k)), ourKeys.join());
  const sysp = renderResponse(await runCommand(h.ctx, 'system_properties', request()));
  assert.equal(shape(sysp), '{\n  "file.encoding" : <s>,\n  "zookeeper.4lw.commands.whitelist" : <s>,\n  "command" : <s>,\n  "error" : null\n}');
});

test('monitor lists a subset of ZooKeeper\'s keys with the same types', async () => {
  const h = populated();
  const ours = renderResponse(await runCommand(h.ctx, 'mntr', request()));
  const theirs = zookeeper.admin.monitor!.body;
  const theirLines = new Map(shape(theirs).split('\n').map((l) => [l.replace(/ : .*/, ''), l.replace(/,$/, '')]));
  for (const line of shape(ours).split('\n').slice(1, -1)) {
    const key = line.replace(/ : .*/, '');
    assert.equal(line.replace(/,$/, ''), theirLines.get(key), `ZooKeeper has ${key} with the same type`);
  }
});

test('every name and alias of facts §2.2 answers with its primary name in `command`', async () => {
  const h = harness();
  const aliases: Record<string, string> = {
    crst: 'connection_stat_reset', conf: 'configuration', config: 'configuration', cons: 'connections', env: 'environment',
    envi: 'environment', gtmk: 'get_trace_mask', icfg: 'initial_configuration', isro: 'is_read_only', lsnp: 'last_snapshot',
    lead: 'leader', mntr: 'monitor', orst: 'observer_connection_stat_reset', stmk: 'set_trace_mask', srvr: 'server_stats',
    stat: 'stats', srst: 'stat_reset', obsr: 'observers', sysp: 'system_properties', wchc: 'watches', wchp: 'watches_by_path',
    wchs: 'watch_summary', snap: 'snapshot', rest: 'restore',
  };
  for (const [alias, primary] of Object.entries(aliases)) {
    const response = await runCommand(h.ctx, alias, request());
    assert.equal(response.command, primary, alias);
    assert.match(renderResponse(response), new RegExp(`"command" : "${primary}"`));
  }
  assert.deepEqual(new Set(allCommandNames()), new Set([...Object.keys(aliases), ...Object.values(aliases), 'hash', 'dirs', 'dump', 'ruok', 'voting_view', 'zabstate']));
  assert.deepEqual(primaryCommandNames().filter((n) => n !== 'snapshot' && n !== 'restore'),
    [...zookeeper.admin['']!.body.matchAll(/<a href="\/commands\/([a-z_]+)">/g)].map((m) => m[1]));
});

test('error field: null on success, the message when something is wrong, placed as ZooKeeper places it', async () => {
  const h = harness();
  assert.equal(renderResponse(await runCommand(h.ctx, 'ruok', request())), '{\n  "command" : "ruok",\n  "error" : null\n}');
  assert.equal(renderResponse(await runCommand(h.ctx, 'nosuch', request())), zookeeper.admin.nosuch!.body);
  assert.equal(renderResponse(await runCommand(h.ctx, 'leader', request())), zookeeper.admin.leader!.body);
  assert.equal(renderResponse(await runCommand(h.ctx, 'set_trace_mask', request())), zookeeper.admin.set_trace_mask!.body);
  assert.equal(renderResponse(await runCommand(h.ctx, 'stmk', request({ traceMask: 'abc' }))), zookeeper.admin['set_trace_mask?traceMask=abc']!.body);
});

test('set_trace_mask and get_trace_mask share the mask with the four-letter words', async () => {
  const h = harness();
  assert.match(renderResponse(await runCommand(h.ctx, 'gtmk', request())), /"tracemask" : 306,/);
  assert.match(renderResponse(await runCommand(h.ctx, 'stmk', request({ traceMask: '42' }))), /"tracemask" : 42,/);
  assert.equal(h.ctx.traceMask, 42n);
});

test('snapshot: needs auth (401 without), takes and streams a snapshot, is rate-limited (429) and can be disabled (503)', async () => {
  const h = harness('dataDir=/d\nadmin.rateLimiterIntervalInMS=1000\n');
  const missing = await runCommand(h.ctx, 'snapshot', request());
  assert.equal(missing.status, 401);
  assert.equal(renderResponse(missing), '{\n  "command" : "snapshot",\n  "error" : "Auth info is missing for the command"\n}');
  assert.equal((await runCommand(h.ctx, 'snapshot', request({}, 'kerberos x'))).status, 401);
  const taken = await runCommand(h.ctx, 'snap', request({ streaming: 'false' }, 'digest root:secret'));
  assert.equal(taken.status, 200);
  assert.deepEqual(taken.headers, { last_zxid: '0x5', snapshot_size: '321' });
  assert.equal(taken.file, undefined);
  assert.equal(h.snapshotsTaken.length, 1);
  assert.equal((await runCommand(h.ctx, 'snapshot', request({}, 'digest root:secret'))).status, 429);
  h.advance(1000);
  const streamed = await runCommand(h.ctx, 'snapshot', request({}, 'digest root:secret'));
  assert.equal(streamed.file, '/var/zk/version-2/snapshot.5');
  const disabled = harness('dataDir=/d\nadmin.snapshot.enabled=false\n');
  assert.equal((await runCommand(disabled.ctx, 'snapshot', request({}, 'digest root:secret'))).status, 503);
});

test('snapshot is refused (403) when the root ACL does not give the caller ALL', async () => {
  const h = harness();
  h.server.tree.getNode('/')!.acl = { ref: 1n, acl: [{ perms: 31, id: { scheme: 'digest', id: 'admin:x' } }] } as never;
  const refused = await runCommand(h.ctx, 'snapshot', request({}, 'digest root:secret'));
  assert.equal(refused.status, 403);
  assert.match(renderResponse(refused), /"error" : "Not authorized"/);
});

test('Prometheus text: ZooKeeper\'s metric names, gauges, counters and summaries with quantiles', () => {
  const h = populated();
  const text = prometheusText(h.ctx);
  assert.match(text, /^# HELP avg_latency avg_latency\n# TYPE avg_latency gauge\navg_latency \d+(\.\d+)?\n/);
  for (const gauge of ['znode_count', 'watch_count', 'ephemerals_count', 'approximate_data_size', 'outstanding_requests', 'num_alive_connections', 'packets_received', 'packets_sent', 'global_sessions']) {
    assert.match(text, new RegExp(`# TYPE ${gauge} gauge\\n${gauge} \\d+\\.\\d+\\n`), gauge);
  }
  assert.match(text, /# TYPE ephemerals_count gauge\nephemerals_count 1\.0\n/);
  assert.match(text, /# TYPE connection_request_count counter\nconnection_request_count 0\.0\n/);
  assert.match(text, /# TYPE readlatency summary\nreadlatency\{quantile="0\.5",\} \d+\.\d+\nreadlatency\{quantile="0\.9",\} \d+\.\d+\nreadlatency\{quantile="0\.99",\} \d+\.\d+\nreadlatency_count 3\.0\nreadlatency_sum \d+\.\d+\n/);
  assert.match(text, /# TYPE updatelatency summary\n(updatelatency\{quantile="0\.\d+",\} \d+\.\d+\n){3}updatelatency_count 2\.0\n/);
  assert.match(text, /# TYPE fsynctime summary\nfsynctime\{quantile="0\.5",\} 0\.0\nfsynctime_count 0\.0\nfsynctime_sum 0\.0\n/);
  assert.match(text, /# TYPE snapshottime summary\n/);
  for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) assert.match(line, /^[a-z_]+(\{quantile="[\d.]+",\})? -?\d+(\.\d+)?(E-?\d+)?$/, line);
});
