/**
 * The metrics of a standalone server under ZooKeeper's names (ZooKeeperServer.registerMetrics
 * gauges, ServerMetrics counters and summaries), rendered three ways: `mntr` text, the admin
 * `monitor` JSON, and the Prometheus text format. Only metrics that mean something for a
 * standalone tszk are listed; leader/learner/commit-processor metrics are left out rather than
 * reported as zeros nobody measured.
 */
import { FULL_VERSION } from './version.js';
import { double, javaDouble, type JsonDouble } from './json.js';
import type { AdminContext } from './admin-context.js';
import type { Summary } from '../server/server-stats.js';

export type Metric =
  | { readonly kind: 'gauge' | 'counter'; readonly name: string; readonly value: number | JsonDouble }
  | { readonly kind: 'summary'; readonly name: string; readonly summary: Summary };

/** Quantiles DefaultMetricsProvider prints for an advanced summary in `mntr`. */
const MNTR_PERCENTILES: ReadonlyArray<[string, number]> = [['p50', 0.5], ['p95', 0.95], ['p99', 0.99], ['p999', 0.999]];

/** Every metric, in ZooKeeper's registration order (gauges, counters, summaries). */
export function metrics(ctx: AdminContext): Metric[] {
  const s = ctx.server;
  const stats = s.stats;
  const host = ctx.host;
  const gauge = (name: string, value: number | JsonDouble): Metric => ({ kind: 'gauge', name, value });
  const counter = (name: string, value: number): Metric => ({ kind: 'counter', name, value });
  const summary = (name: string, value: Summary): Metric => ({ kind: 'summary', name, summary: value });
  return [
    gauge('avg_latency', double(stats.latencyAvgMs)),
    gauge('max_latency', stats.latencyMaxMs),
    gauge('min_latency', stats.latencyMinMs),
    gauge('packets_received', stats.packetsReceived),
    gauge('packets_sent', stats.packetsSent),
    gauge('num_alive_connections', s.connectionCount()),
    gauge('outstanding_requests', s.outstandingRequests),
    gauge('uptime', host.uptimeMs()),
    gauge('znode_count', ctx.nodeCount),
    gauge('watch_count', s.watches.watchCount),
    gauge('ephemerals_count', s.tree.ephemeralCount),
    gauge('approximate_data_size', s.tree.approximateDataSize),
    gauge('global_sessions', s.sessions.size),
    gauge('local_sessions', 0),
    gauge('open_file_descriptor_count', host.openFileDescriptorCount()),
    gauge('max_file_descriptor_count', host.maxFileDescriptorCount()),
    gauge('connection_drop_probability', double(0)),
    gauge('last_client_response_size', stats.clientResponse.last),
    gauge('max_client_response_size', stats.clientResponse.max),
    gauge('min_client_response_size', stats.clientResponse.min),
    gauge('outstanding_tls_handshake', 0),
    gauge('auth_failed_count', stats.authFailedCount),
    gauge('non_mtls_remote_conn_count', 0),
    gauge('non_mtls_local_conn_count', 0),
    counter('connection_request_count', stats.counters.connection_request_count),
    counter('connection_rejected', stats.counters.connection_rejected),
    counter('bytes_received_count', stats.counters.bytes_received_count),
    counter('response_bytes', stats.clientResponse.total),
    counter('stale_sessions_expired', stats.counters.stale_sessions_expired),
    summary('fsynctime', stats.fsyncTime),
    summary('snapshottime', stats.snapshotTime),
    summary('dbinittime', stats.dbInitTime),
    summary('startup_txns_loaded', stats.startupTxnsLoaded),
    summary('sync_processor_batch_size', stats.syncBatchSize),
    summary('readlatency', stats.readLatency),
    summary('updatelatency', stats.updateLatency),
  ];
}

/** Key/value pairs as `mntr` and `monitor` list them (DefaultMetricsProvider.dump). */
export function monitorValues(ctx: AdminContext): Array<[string, string | number | JsonDouble]> {
  const out: Array<[string, string | number | JsonDouble]> = [
    ['version', FULL_VERSION],
    ['server_state', ctx.serverState],
  ];
  for (const metric of metrics(ctx)) {
    if (metric.kind !== 'summary') {
      out.push([metric.name, metric.value]);
      continue;
    }
    const m = metric.summary;
    out.push([`avg_${metric.name}`, double(m.avg)], [`min_${metric.name}`, m.min], [`max_${metric.name}`, m.max],
      [`cnt_${metric.name}`, m.count], [`sum_${metric.name}`, m.sum]);
    if (m.advanced) for (const [label, q] of MNTR_PERCENTILES) out.push([`${label}_${metric.name}`, m.quantile(q)]);
  }
  out.push(...ctx.quorumMonitorValues());
  return out;
}

/** `mntr`: `zk_<key>\t<value>` lines. */
export function mntrText(ctx: AdminContext): string {
  return monitorValues(ctx).map(([k, v]) => `zk_${k}\t${typeof v === 'object' ? javaDouble(v.value) : v}\n`).join('');
}

/** Prometheus' text exposition (format 0.0.4) of the same metrics, as ZooKeeper's provider writes it. */
export function prometheusText(ctx: AdminContext, extra: readonly Metric[] = []): string {
  let out = '';
  const num = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : String(v));
  for (const metric of [...metrics(ctx), ...extra]) {
    out += `# HELP ${metric.name} ${metric.name}\n# TYPE ${metric.name} ${metric.kind}\n`;
    if (metric.kind !== 'summary') {
      const v = typeof metric.value === 'number' ? metric.value : metric.value.value;
      out += `${metric.name} ${num(v)}\n`;
      continue;
    }
    const m = metric.summary;
    for (const q of m.advanced ? [0.5, 0.9, 0.99] : [0.5]) out += `${metric.name}{quantile="${q}",} ${num(m.quantile(q))}\n`;
    out += `${metric.name}_count ${num(m.count)}\n${metric.name}_sum ${num(m.sum)}\n`;
  }
  return out;
}
