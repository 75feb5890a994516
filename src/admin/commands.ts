/**
 * The HTTP admin server's commands (ZooKeeper's server/admin/Commands.java): every command of
 * 3.8 under its primary name and aliases, plus 3.9's `snapshot`; answered as JSON whose last
 * keys are `command` and `error`, in the field order ZooKeeper's Jackson output has (compared
 * with a running ZooKeeper 3.8). Pure apart from what the AdminContext's host does.
 */
import { authenticate } from '../auth/schemes.js';
import { isAllowed } from '../auth/acl.js';
import { Perms } from '../proto/defs.js';
import { zxidHex } from '../proto/zxid.js';
import type { AdminContext } from './admin-context.js';
import { double, toJackson, type JsonValue } from './json.js';
import { monitorValues } from './monitor.js';
import { FULL_VERSION } from './version.js';
import {
  connectionRows, ephemeralsBySession, resetConnectionStats, sessionExpiryBuckets, sessionLong, versionDir, watchesByPath, watchesBySession,
  type ConnectionRow,
} from './views.js';

/** Largest snapshot the admin server accepts as restore's POST body (the snapshot reader's field bound). */
export const RESTORE_BODY_BYTES_MAX = 1024 * 1024 * 1024;

/** What a command answers: JSON fields (before `command` and `error`), an HTTP status, headers, maybe a file. */
export interface CommandResponse {
  /** The primary name, or the name asked for when unknown. */
  readonly command: string;
  readonly error: string | null;
  readonly data: Array<[string, JsonValue]>;
  readonly status: number;
  readonly headers: Record<string, string>;
  /** A file to send as the body instead of JSON (snapshot?streaming=true). */
  readonly file?: string;
}

/** The caller: query parameters, the Authorization header, and the peer address. */
export interface CommandRequest {
  readonly params: ReadonlyMap<string, string>;
  readonly authorization: string | undefined;
  readonly remoteAddress: string;
  /** The HTTP method (GET when absent). */
  readonly method?: string;
  /** A POST's body (restore's snapshot). */
  readonly body?: Buffer;
}

interface Command {
  readonly names: readonly string[];
  /** Commands needing auth check ALL permissions on `/` (3.9's AuthRequest(ALL, "/")). */
  readonly auth?: boolean;
  run(ctx: AdminContext, request: CommandRequest, reply: Reply): Promise<CommandResponse> | CommandResponse;
}

/** Builds a response for one command name. */
class Reply {
  readonly data: Array<[string, JsonValue]> = [];
  readonly headers: Record<string, string> = {};
  status = 200;
  error: string | null = null;
  file: string | undefined;

  constructor(readonly command: string) {}

  put(key: string, value: JsonValue): this {
    const existing = this.data.findIndex(([k]) => k === key);
    if (existing >= 0) this.data[existing] = [key, value];
    else this.data.push([key, value]);
    return this;
  }

  done(): CommandResponse {
    return { command: this.command, error: this.error, data: this.data, status: this.status, headers: this.headers, ...(this.file !== undefined && { file: this.file }) };
  }
}

/**
 * The JSON text: the data fields, then `command` and `error` - unless the command put its own
 * `error` among the data, which then keeps its place (CommandResponse.toMap's LinkedHashMap).
 */
export function renderResponse(response: CommandResponse): string {
  const map = new Map<string, JsonValue>(response.data);
  map.set('command', response.command);
  if (!map.has('error')) map.set('error', response.error);
  else if (response.error !== null) map.set('error', response.error);
  return toJackson(map);
}

function connectionInfo(row: ConnectionRow, brief: boolean): Map<string, JsonValue> {
  const st = row.stats;
  const info = new Map<string, JsonValue>([
    ['remote_socket_address', row.address],
    ['interest_ops', row.interestOps],
    ['outstanding_requests', row.queued],
    ['packets_received', st.received],
    ['packets_sent', st.sent],
  ]);
  if (brief) return info;
  info.set('session_id', sessionLong(row.sessionId));
  info.set('last_operation', st.lastOp);
  info.set('established', st.establishedMs);
  info.set('session_timeout', row.timeoutMs);
  info.set('last_cxid', st.lastCxid);
  info.set('last_zxid', BigInt.asIntN(64, st.lastZxid));
  info.set('last_response_time', st.lastResponseMs);
  info.set('last_latency', st.lastLatencyMs);
  info.set('min_latency', st.latencyMinMs);
  info.set('avg_latency', st.latencyAvgMs);
  info.set('max_latency', st.latencyMaxMs);
  return info;
}

function serverStats(ctx: AdminContext): Map<string, JsonValue> {
  const s = ctx.server;
  const stats = s.stats;
  return new Map<string, JsonValue>([
    ['packets_sent', stats.packetsSent],
    ['packets_received', stats.packetsReceived],
    ['fsync_threshold_exceed_count', stats.fsyncThresholdExceedCount],
    ['client_response_stats', clientResponse(ctx)],
    ['data_dir_size', ctx.host.dataDirSize()],
    ['log_dir_size', ctx.host.logDirSize()],
    ['provider_null', false],
    ['server_state', ctx.serverState],
    ['last_processed_zxid', BigInt.asIntN(64, s.lastProcessedZxid)],
    ['outstanding_requests', s.outstandingRequests],
    ['avg_latency', double(stats.latencyAvgMs)],
    ['max_latency', stats.latencyMaxMs],
    ['min_latency', stats.latencyMinMs],
    ['num_alive_client_connections', s.connectionCount()],
    ['uptime', ctx.host.uptimeMs()],
    ['auth_failed_count', stats.authFailedCount],
    ['non_mtlsremote_conn_count', 0],
    ['non_mtlslocal_conn_count', 0],
  ]);
}

function clientResponse(ctx: AdminContext): Map<string, JsonValue> {
  const r = ctx.server.stats.clientResponse;
  return new Map<string, JsonValue>([['last_buffer_size', r.last], ['min_buffer_size', r.min], ['max_buffer_size', r.max]]);
}

function srvr(ctx: AdminContext, reply: Reply): void {
  reply.put('version', FULL_VERSION);
  reply.put('read_only', ctx.server.readOnly);
  reply.put('server_stats', serverStats(ctx));
  reply.put('client_response', clientResponse(ctx));
  reply.put('node_count', ctx.nodeCount);
}

const COMMANDS: readonly Command[] = [
  { names: ['connection_stat_reset', 'crst'], run: (ctx, _r, reply) => (resetConnectionStats(ctx), reply.done()) },
  {
    names: ['configuration', 'conf', 'config'],
    run: (ctx, _r, reply) => {
      const c = ctx.config;
      reply.put('client_port', ctx.clientPort).put('data_dir', versionDir(c.dataDir)).put('data_log_dir', versionDir(c.dataLogDir))
        .put('tick_time', c.tickTimeMs).put('max_client_cnxns', c.maxClientCnxns).put('min_session_timeout', c.minSessionTimeoutMs)
        .put('max_session_timeout', c.maxSessionTimeoutMs).put('server_id', ctx.reportedServerId).put('client_port_listen_backlog', c.clientPortListenBacklog);
      return reply.done();
    },
  },
  {
    names: ['connections', 'cons'],
    run: (ctx, _r, reply) => reply.put('connections', connectionRows(ctx).map((row) => connectionInfo(row, false))).put('secure_connections', []).done(),
  },
  {
    // DigestCommand: the history as Jackson writes DataTree.ZxidDigest (field order, snake_case).
    names: ['hash'],
    run: (ctx, _r, reply) => reply.put('digests', ctx.server.tree.digestHistory().map((e) => new Map<string, JsonValue>([
      ['zxid', BigInt.asIntN(64, e.zxid)], ['digest', e.digest], ['digest_version', e.digestVersion],
    ]))).done(),
  },
  { names: ['dirs'], run: (ctx, _r, reply) => reply.put('datadir_size', ctx.host.dataDirSize()).put('logdir_size', ctx.host.logDirSize()).done() },
  {
    names: ['dump'],
    run: (ctx, _r, reply) => {
      const expiry = new Map<string, JsonValue>(sessionExpiryBuckets(ctx).map((b) => [String(b.expiresAtMs), b.sessions.map(sessionLong)]));
      const ephemerals = new Map<string, JsonValue>(ephemeralsBySession(ctx).map(([id, paths]) => [String(sessionLong(id)), paths]));
      return reply.put('expiry_time_to_session_ids', expiry).put('session_id_to_ephemeral_paths', ephemerals).done();
    },
  },
  { names: ['environment', 'env', 'envi'], run: (ctx, _r, reply) => (ctx.host.environment().forEach(([k, v]) => reply.put(k, v)), reply.done()) },
  { names: ['get_trace_mask', 'gtmk'], run: (ctx, _r, reply) => reply.put('tracemask', ctx.traceMask).done() },
  { names: ['initial_configuration', 'icfg'], run: (ctx, _r, reply) => reply.put('initial_configuration', ctx.config.text).done() },
  { names: ['is_read_only', 'isro'], run: (ctx, _r, reply) => reply.put('read_only', ctx.server.readOnly).done() },
  {
    names: ['last_snapshot', 'lsnp'],
    run: (ctx, _r, reply) => {
      const last = ctx.host.lastSnapshot();
      return reply.put('zxid', last === undefined ? 'ffffffffffffffff' : BigInt.asUintN(64, last.zxid).toString(16))
        .put('timestamp', last === undefined ? -1 : last.timestampSec).done();
    },
  },
  {
    names: ['leader', 'lead'],
    run: (ctx, _r, reply) => {
      const q = ctx.quorumInfo();
      if (q === undefined || !ctx.server.serving) return reply.put('error', 'server is not initialized').done();
      return reply.put('is_leader', q.isLeader).put('leader_id', q.leaderId).put('leader_ip', q.leaderHost).done();
    },
  },
  { names: ['monitor', 'mntr'], run: (ctx, _r, reply) => (monitorValues(ctx).forEach(([k, v]) => reply.put(k, v)), reply.done()) },
  { names: ['observer_connection_stat_reset', 'orst'], run: (_ctx, _r, reply) => reply.done() },
  { names: ['restore', 'rest'], auth: true, run: (ctx, request, reply) => restore(ctx, request, reply) },
  { names: ['ruok'], run: (_ctx, _r, reply) => reply.done() },
  {
    names: ['set_trace_mask', 'stmk'],
    run: (ctx, request, reply) => {
      const text = request.params.get('traceMask');
      if (text === undefined) return reply.put('error', 'setTraceMask requires long traceMask argument').done();
      if (!/^[+-]?\d+$/.test(text) || BigInt(text) !== BigInt.asIntN(64, BigInt(text))) {
        return reply.put('error', `setTraceMask requires long traceMask argument, got ${text}`).done();
      }
      ctx.traceMask = BigInt(text);
      return reply.put('tracemask', ctx.traceMask).done();
    },
  },
  { names: ['snapshot', 'snap'], auth: true, run: (ctx, request, reply) => snapshot(ctx, request, reply) },
  { names: ['server_stats', 'srvr'], run: (ctx, _r, reply) => (srvr(ctx, reply), reply.done()) },
  {
    names: ['stats', 'stat'],
    run: (ctx, _r, reply) => {
      srvr(ctx, reply);
      return reply.put('connections', connectionRows(ctx).map((row) => connectionInfo(row, true))).put('secure_connections', []).done();
    },
  },
  { names: ['stat_reset', 'srst'], run: (ctx, _r, reply) => (ctx.server.stats.reset(), reply.done()) },
  {
    names: ['observers', 'obsr'],
    run: (ctx, _r, reply) => {
      const observers = ctx.quorumInfo()?.syncedObservers ?? [];
      return reply.put('synced_observers', observers.length).put('observers', observers.map((id) => new Map<string, JsonValue>([['sid', id]]))).done();
    },
  },
  { names: ['system_properties', 'sysp'], run: (ctx, _r, reply) => (ctx.host.systemProperties().forEach(([k, v]) => reply.put(k, v)), reply.done()) },
  {
    names: ['voting_view'],
    run: (ctx, _r, reply) => {
      const view = new Map<string, JsonValue>();
      for (const s of ctx.quorumInfo()?.servers ?? []) {
        if (s.type !== 'participant') continue;
        view.set(String(s.id), new Map<string, JsonValue>([
          ['server_addresses', s.quorumAddresses], ['election_addresses', s.electionAddresses], ['client_address', s.clientAddress], ['learner_type', s.type],
        ]));
      }
      return reply.put('current_config', view).done();
    },
  },
  {
    names: ['watches', 'wchc'],
    run: (ctx, _r, reply) => reply.put('session_id_to_watched_paths', new Map<string, JsonValue>(watchesBySession(ctx).map(([id, paths]) => [String(sessionLong(id)), paths]))).done(),
  },
  {
    names: ['watches_by_path', 'wchp'],
    run: (ctx, _r, reply) => reply.put('path_to_session_ids', new Map<string, JsonValue>(watchesByPath(ctx).map(([path, ids]) => [path, ids.map(sessionLong)]))).done(),
  },
  {
    names: ['watch_summary', 'wchs'],
    run: (ctx, _r, reply) => {
      const w = ctx.server.watches;
      return reply.put('num_connections', w.dataPathsByWatcher().size).put('num_paths', w.dataWatchersByPath().size).put('num_total_watches', w.dataWatchCount).done();
    },
  },
  {
    names: ['zabstate'],
    run: (ctx, _r, reply) => {
      const q = ctx.quorumInfo();
      if (q === undefined) return reply.put('voting', false).put('zabstate', '').done();
      const self = q.servers.find((s) => s.id === q.myid);
      const zxid = ctx.server.lastProcessedZxid;
      return reply.put('myid', q.myid).put('is_leader', q.isLeader)
        .put('quorum_address', self?.quorumAddresses.join('|') ?? '').put('election_address', self?.electionAddresses.join('|') ?? '')
        .put('client_address', self?.clientAddress ?? '').put('voting', q.voting)
        .put('last_zxid', `0x${BigInt.asUintN(64, zxid).toString(16)}`)
        .put('zab_epoch', Number(zxid >> 32n)).put('zab_counter', Number(zxid & 0xffff_ffffn)).put('zabstate', q.zabState).done();
    },
  },
];

const BY_NAME = new Map<string, Command>(COMMANDS.flatMap((c) => c.names.map((n) => [n, c] as [string, Command])));

/** Primary names, sorted: the links `GET /commands` lists. */
export function primaryCommandNames(): string[] {
  return COMMANDS.map((c) => c.names[0]!).sort();
}

/** Every name and alias. */
export function allCommandNames(): string[] {
  return [...BY_NAME.keys()];
}

/**
 * 3.9's auth for snapshot/restore: `Authorization: digest user:password` (or `ip`), checked
 * against the root node's ACL for every bit of ALL.
 */
function authorize(ctx: AdminContext, request: CommandRequest, reply: Reply): CommandResponse | undefined {
  const header = request.authorization;
  if (header === undefined) {
    reply.status = 401;
    reply.error = 'Auth info is missing for the command';
    return reply.done();
  }
  const parts = header.split(' ');
  const ids = parts.length === 1 || parts.length === 2
    ? authenticate(parts[0]!, Buffer.from(parts[1] ?? '', 'utf8'), request.remoteAddress, ctx.config.superDigest)
    : null;
  if (ids === null || ids.length === 0 || (parts[0] === 'digest' && parts.length !== 2)) {
    reply.status = 401;
    reply.error = 'Not authenticated';
    return reply.done();
  }
  const acl = ctx.server.tree.getNode('/')?.acl.acl ?? [];
  for (const bit of [Perms.READ, Perms.WRITE, Perms.CREATE, Perms.DELETE, Perms.ADMIN]) {
    if (!isAllowed(acl, bit, ids)) {
      reply.status = 403;
      reply.error = 'Not authorized';
      return reply.done();
    }
  }
  return undefined;
}

async function snapshot(ctx: AdminContext, request: CommandRequest, reply: Reply): Promise<CommandResponse> {
  if (!ctx.config.admin.snapshotEnabled) {
    reply.status = 503;
    return reply.done();
  }
  const now = ctx.host.nowMs();
  const last = ctx.lastAdminSnapshotMs;
  if (last !== undefined && now - last < ctx.config.admin.rateLimiterIntervalMs) {
    reply.status = 429;
    return reply.done();
  }
  ctx.lastAdminSnapshotMs = now;
  const streaming = (request.params.get('streaming') ?? 'true').toLowerCase() === 'true';
  try {
    const taken = await ctx.host.takeSnapshot();
    reply.headers.last_zxid = zxidHex(taken.zxid);
    reply.headers.snapshot_size = String(taken.bytes);
    if (streaming) reply.file = taken.path;
  } catch {
    reply.status = 500;
  }
  return reply.done();
}

/**
 * 3.9's RestoreCommand: POST the snapshot (as the `snapshot` command streams it) as the body.
 * Answers `last_zxid` (a long); 503 when admin.restore.enabled=false, 429 when rate limited, 500
 * when the body is not a valid snapshot (with the reason in `error`; ZooKeeper only logs it) -
 * the server then serves on with its tree unchanged.
 */
async function restore(ctx: AdminContext, request: CommandRequest, reply: Reply): Promise<CommandResponse> {
  if (!ctx.config.admin.restoreEnabled) {
    reply.status = 503;
    return reply.done();
  }
  const port = ctx.host.restore;
  if (port === undefined) {
    reply.status = 501;
    reply.error = 'restore is not available on this server';
    return reply.done();
  }
  if ((request.method ?? 'GET') !== 'POST') {
    reply.status = 405;
    reply.error = 'restore takes the snapshot as the body of a POST';
    return reply.done();
  }
  if (request.body === undefined || request.body.length === 0) {
    reply.status = 400;
    reply.error = 'restore needs a snapshot as the request body';
    return reply.done();
  }
  if (!ctx.restoreLimiter.allow(ctx.host.nowMs())) {
    reply.status = 429;
    return reply.done();
  }
  try {
    const restored = await port.call(ctx.host, request.body);
    reply.put('last_zxid', BigInt.asIntN(64, restored.lastZxid));
  } catch (e) {
    reply.status = 500;
    reply.error = `restore failed: ${(e as Error).message}`;
  }
  return reply.done();
}

/** Runs the command `name` (primary name or alias). Unknown names answer 200 with an error, as ZooKeeper. */
export async function runCommand(ctx: AdminContext, name: string, request: CommandRequest): Promise<CommandResponse> {
  const command = BY_NAME.get(name);
  if (command === undefined) {
    const reply = new Reply(name);
    reply.error = `Unknown command: ${name}`;
    return reply.done();
  }
  const reply = new Reply(command.names[0]!);
  if (command.auth === true) {
    const refused = authorize(ctx, request, reply);
    if (refused !== undefined) return refused;
  }
  return command.run(ctx, request, reply);
}
