/**
 * The standalone server's request pipeline: prep -> log -> commit -> apply -> reply, around the
 * pure tree, watch registry and session table. No IO of its own: the log is a port (durable
 * when `onDurable` fires), connections are links, time comes from a clock port.
 *
 * Ordering contract: replies go out per connection in request order; a read waits behind its
 * own connection's pending writes; watch notifications for a txn are sent when it is applied,
 * BEFORE the reply to any request that observes it.
 */
import { isAllowed } from '../auth/acl.js';
import { authenticate } from '../auth/schemes.js';
import { inZooKeeperOrder } from '../auth/id-order.js';
import { DigestMd5Server } from '../auth/sasl-digest-md5.js';
import { Perms } from '../proto/defs.js';
import { JuteError, JuteReader } from '../jute/reader.js';
import { limits } from '../config/limits.js';
import type { Id } from '../proto/data.js';
import { ErrorCode } from '../proto/error-code.js';
import { OpCode, Xid } from '../proto/op-code.js';
import * as R from '../proto/records.js';
import type { TxnEntry } from '../proto/txn.js';
import { DataTree, type ApplyResult } from '../tree/data-tree.js';
import { checkPassword, sessionPassword } from '../session/password.js';
import { SessionTracker } from '../session/session-tracker.js';
import { WatchManager } from '../watch/watch-manager.js';
import { Prep } from './prep.js';
import { multiResponseCodec, Reads, type MultiResult } from './reads.js';
import { body, connectResponseFrame, notificationFrame, replyFrame, type ReplyBody } from './replies.js';
import { decodeRequest, isClientOp, isWrite, type Request } from './request.js';
import { ConnectionStats, ServerStats } from './server-stats.js';

/** The server's handle on one client connection (implemented by the connection layer). */
export interface ClientLink {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** False once closed by either side. */
  readonly open: boolean;
  send(frame: Buffer): void;
  /** Sends what is queued, then closes. */
  close(reason: string): void;
  /** The session is established: requests may now flow. */
  sessionEstablished(): void;
  /** Stop / restart reading requests (backpressure). */
  pause(): void;
  resume(): void;
}

/** The log the pipeline writes to. Durability is reported through `onDurable`. */
export interface DurableLog {
  append(entry: TxnEntry): void;
}

export interface ServerOptions {
  readonly tickTimeMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly serverId: bigint;
  readonly superDigest: string | undefined;
  readonly extendedTypesEnabled: boolean;
  readonly skipAcl: boolean;
  readonly reconfigEnabled: boolean;
  readonly maxRequestBytes: number;
  /** zoo.cfg enforceQuota: hard quota limits refuse writes with QUOTAEXCEEDED. */
  readonly enforceQuota?: boolean;
  /** SASL DIGEST-MD5 users (from the JAAS Server section); undefined when SASL is off. */
  readonly saslUsers?: ReadonlyMap<string, string>;
  /** The SASL user that is super (zookeeper.superUser). */
  readonly saslSuperUser?: string;
  /** A fresh unguessable nonce for each SASL exchange (the runtime's randomness). */
  readonly saslNonce?: () => string;
}

export interface Clock {
  nowMs(): number;
}

interface Pending {
  readonly xid: number;
  readonly op: number;
  readonly receivedMs: number;
  /** A read runs when it reaches the head of the queue. */
  readonly read?: Request;
  /** A write's reply, once its txn is applied. */
  reply?: Buffer;
  /** An immediate answer (decode failure, unknown op). */
  closeAfter?: boolean;
}

/** A connection with an established session. */
interface Connected {
  readonly link: ClientLink;
  readonly sessionId: bigint;
  readonly authIds: Id[];
  readonly queue: Pending[];
  readonly timeoutMs: number;
  closed: boolean;
  paused: boolean;
  readonly stats: ConnectionStats;
  /** The connection's SASL exchange, once it began. */
  sasl?: DigestMd5Server;
}

/** What waits on a txn in the log: where its outcome goes once it is applied. */
type TxnOrigin =
  | { kind: 'request'; connection: Connected; pending: Pending; request: Request | null }
  | { kind: 'session'; link: ClientLink; timeoutMs: number; withReadOnly: boolean; pendingId: bigint }
  | { kind: 'expire' }
  | { kind: 'container'; path: string };

export class ZkServer {
  readonly tree: DataTree;
  readonly watches = new WatchManager();
  readonly sessions: SessionTracker;
  readonly stats = new ServerStats();
  private readonly prep: Prep;
  private readonly reads: Reads;
  private readonly connections = new Map<number, Connected>();
  private readonly bySession = new Map<bigint, Connected>();
  /** Txns logged but not yet applied, in zxid order. */
  private readonly uncommitted: Array<{ entry: TxnEntry; origin: TxnOrigin }> = [];
  private uncommittedHead = 0;
  private readonly pendingContainerDeletes = new Set<string>();
  /** Connections paused because too many txns wait for the disk (global backpressure). */
  private readonly throttled = new Set<Connected>();
  private lastZxid: bigint;
  private log: DurableLog | undefined;

  constructor(
    tree: DataTree,
    private readonly options: ServerOptions,
    private readonly clock: Clock,
  ) {
    this.tree = tree;
    this.lastZxid = tree.lastProcessedZxid;
    this.sessions = new SessionTracker(options.tickTimeMs, options.serverId, clock.nowMs());
    this.prep = new Prep(tree, options);
    this.reads = new Reads(tree, this.watches);
  }

  /** Connects the log; must happen before the first request. */
  attachLog(log: DurableLog): void {
    this.log = log;
  }

  /** Re-creates sessions recovered from disk; they expire unless their clients come back. */
  restoreSessions(sessions: ReadonlyMap<bigint, number>): void {
    const now = this.clock.nowMs();
    for (const [id, timeoutMs] of sessions) this.sessions.add(id, timeoutMs, now);
  }

  get lastProcessedZxid(): bigint {
    return this.tree.lastProcessedZxid;
  }

  get outstandingRequests(): number {
    let count = 0;
    for (const c of this.connections.values()) count += c.queue.length;
    return count;
  }

  connectionCount(): number {
    return this.connections.size;
  }

  /** Established connections, for `cons` and `stat`. */
  *connectionInfos(): Generator<{ link: ClientLink; sessionId: bigint; timeoutMs: number; queued: number; stats: Connected['stats'] }> {
    for (const c of this.connections.values()) yield { link: c.link, sessionId: c.sessionId, timeoutMs: c.timeoutMs, queued: c.queue.length, stats: c.stats };
  }

  // ---- handshake ----

  /** A ConnectRequest arrived; the reply (and session) follow, possibly after a txn commits. */
  onConnectRequest(link: ClientLink, frame: Buffer): void {
    this.stats.packetsReceived++;
    let request: ReturnType<typeof R.ConnectRequest.read>;
    let withReadOnly = false;
    try {
      const r = new JuteReader(frame);
      request = R.ConnectRequest.read(r);
      if (r.remaining >= 1) {
        r.readBool();
        withReadOnly = true;
      }
    } catch {
      link.close('malformed ConnectRequest');
      return;
    }
    if (request.lastZxidSeen > this.tree.lastProcessedZxid) {
      link.close(`client has seen zxid 0x${request.lastZxidSeen.toString(16)}, ours is 0x${this.tree.lastProcessedZxid.toString(16)}`);
      return;
    }
    const timeoutMs = Math.min(Math.max(request.timeOut, this.options.minSessionTimeoutMs), this.options.maxSessionTimeoutMs);
    if (request.sessionId === 0n) {
      const sessionId = this.sessions.newSessionId();
      this.submit({ header: { clientId: sessionId, cxid: 0, zxid: this.nextZxid(), time: BigInt(this.clock.nowMs()), type: OpCode.createSession }, body: { type: OpCode.createSession, timeOut: timeoutMs } },
        { kind: 'session', link, timeoutMs, withReadOnly, pendingId: sessionId });
      return;
    }
    if (!this.sessions.isActive(request.sessionId) || !checkPassword(request.sessionId, request.passwd)) {
      link.send(connectResponseFrame(0, 0n, Buffer.alloc(16), withReadOnly));
      link.close('invalid or expired session');
      return;
    }
    const previous = this.bySession.get(request.sessionId);
    if (previous !== undefined) this.closeConnection(previous, 'session moved to a new connection');
    this.sessions.get(request.sessionId)!.timeoutMs = timeoutMs;
    this.sessions.touch(request.sessionId, this.clock.nowMs());
    this.establish(link, request.sessionId, timeoutMs, withReadOnly);
  }

  private establish(link: ClientLink, sessionId: bigint, timeoutMs: number, withReadOnly: boolean): void {
    const connection: Connected = {
      link, sessionId, timeoutMs, queue: [], closed: false, paused: false,
      authIds: [{ scheme: 'ip', id: link.remoteAddress }],
      stats: new ConnectionStats(this.clock.nowMs()),
    };
    this.connections.set(link.id, connection);
    this.bySession.set(sessionId, connection);
    link.send(connectResponseFrame(timeoutMs, sessionId, sessionPassword(sessionId), withReadOnly));
    this.stats.packetsSent++;
    link.sessionEstablished();
  }

  /** The link is gone (socket closed): its watches go; its session lives until expiry. */
  onDisconnect(link: ClientLink): void {
    const connection = this.connections.get(link.id);
    if (connection === undefined) return;
    connection.closed = true;
    this.throttled.delete(connection);
    this.connections.delete(link.id);
    this.watches.removeWatcher(link.id);
    if (this.bySession.get(connection.sessionId) === connection) this.bySession.delete(connection.sessionId);
  }

  private closeConnection(connection: Connected, reason: string): void {
    this.onDisconnect(connection.link);
    connection.link.close(reason);
  }

  // ---- requests ----

  /** One request frame (RequestHeader + record) from an established connection. */
  onRequest(link: ClientLink, frame: Buffer): void {
    const connection = this.connections.get(link.id);
    if (connection === undefined || connection.closed) return;
    const now = this.clock.nowMs();
    this.stats.packetsReceived++;
    connection.stats.received++;
    if (frame.length > this.options.maxRequestBytes) {
      this.closeConnection(connection, `request of ${frame.length} bytes exceeds jute.maxbuffer`);
      return;
    }
    let header: { xid: number; type: number };
    const reader = new JuteReader(frame, 0, frame.length, this.options.maxRequestBytes);
    try {
      header = R.RequestHeader.read(reader);
    } catch {
      this.closeConnection(connection, 'malformed request header');
      return;
    }
    if (header.type === OpCode.auth) {
      this.onAuth(connection, header.xid, reader);
      return;
    }
    if (header.type === OpCode.sasl && this.options.saslUsers !== undefined) {
      this.onSasl(connection, header.xid, reader, this.options.saslUsers);
      return;
    }
    if (!isClientOp(header.type)) {
      this.respondNow(connection, { xid: header.xid, op: header.type, receivedMs: now, reply: replyFrame(header.xid, this.tree.lastProcessedZxid, ErrorCode.UNIMPLEMENTED), closeAfter: true });
      return;
    }
    this.sessions.touch(connection.sessionId, now);
    let request: Request | null = null;
    try {
      request = decodeRequest(header.type, reader);
    } catch (e) {
      if (!(e instanceof JuteError)) throw e;
    }
    const pending: Pending = request !== null && !isWrite(header.type) ? { xid: header.xid, op: header.type, receivedMs: now, read: request } : { xid: header.xid, op: header.type, receivedMs: now };
    connection.queue.push(pending);
    if (request === null) {
      pending.reply = replyFrame(header.xid, this.tree.lastProcessedZxid, ErrorCode.MARSHALLINGERROR);
    } else if (isWrite(header.type)) {
      this.submitWrite(connection, pending, request);
    }
    const overloaded = this.uncommitted.length - this.uncommittedHead >= limits.uncommittedTxnsMax;
    if ((connection.queue.length >= limits.connectionOutstandingMax || overloaded) && !connection.paused) {
      connection.paused = true;
      connection.link.pause();
      if (overloaded) this.throttled.add(connection);
    }
    this.drain(connection);
  }

  private onAuth(connection: Connected, xid: number, reader: JuteReader): void {
    let ids: Id[] | null = null;
    try {
      const packet = R.AuthPacket.read(reader);
      // A null credential fails, as it does in ZooKeeper's providers.
      if (packet.auth !== null) ids = authenticate(packet.scheme ?? '', packet.auth, connection.link.remoteAddress, this.options.superDigest);
    } catch (e) {
      if (!(e instanceof JuteError)) throw e;
    }
    if (ids === null) {
      this.stats.authFailedCount++;
      connection.link.send(replyFrame(xid, 0n, ErrorCode.AUTHFAILED));
      this.closeConnection(connection, 'authentication failed');
      return;
    }
    for (const id of ids) {
      if (!connection.authIds.some((a) => a.scheme === id.scheme && a.id === id.id)) connection.authIds.push(id);
    }
    const ordered = inZooKeeperOrder(connection.authIds);
    connection.authIds.splice(0, connection.authIds.length, ...ordered);
    connection.link.send(replyFrame(xid, 0n, 0));
  }

  /**
   * One SASL token (op 102). Like auth it is answered at once, outside the request order; a
   * failed exchange answers AUTHFAILED and closes the connection, as ZooKeeper does.
   */
  private onSasl(connection: Connected, xid: number, reader: JuteReader, users: ReadonlyMap<string, string>): void {
    let token: Buffer;
    try {
      token = R.GetSASLRequest.read(reader).token ?? Buffer.alloc(0);
    } catch (e) {
      if (!(e instanceof JuteError)) throw e;
      token = Buffer.alloc(0);
    }
    connection.sasl ??= new DigestMd5Server(users, this.options.saslNonce?.() ?? String(this.clock.nowMs()));
    const step = connection.sasl.step(token);
    if (step.kind === 'failure') {
      this.stats.authFailedCount++;
      connection.link.send(replyFrame(xid, 0n, ErrorCode.AUTHFAILED));
      this.closeConnection(connection, `SASL authentication failed: ${step.reason}`);
      return;
    }
    if (step.kind === 'success') {
      const ids: Id[] = [{ scheme: 'sasl', id: step.authorizationId }];
      if (this.options.saslSuperUser !== undefined && step.authorizationId === this.options.saslSuperUser) ids.push({ scheme: 'super', id: '' });
      for (const id of ids) if (!connection.authIds.some((a) => a.scheme === id.scheme && a.id === id.id)) connection.authIds.push(id);
      connection.authIds.splice(0, connection.authIds.length, ...inZooKeeperOrder(connection.authIds));
    }
    connection.link.send(replyFrame(xid, 0n, 0, body(R.SetSASLResponse, { token: step.token })));
  }

  private submitWrite(connection: Connected, pending: Pending, request: Request): void {
    const zxid = this.nextZxid();
    const time = BigInt(this.clock.nowMs());
    let entry: TxnEntry;
    if (request.op === OpCode.closeSession) {
      entry = this.prep.prepareCloseSession(connection.sessionId, pending.xid, zxid, time);
      this.sessions.setClosing(connection.sessionId);
    } else {
      entry = this.prep.prepare(request, {
        sessionId: connection.sessionId, cxid: pending.xid, authIds: connection.authIds,
        sessionValid: this.sessions.isActive(connection.sessionId),
      }, zxid, time);
    }
    this.submit(entry, { kind: 'request', connection, pending, request });
  }

  private nextZxid(): bigint {
    this.lastZxid += 1n;
    return this.lastZxid;
  }

  private submit(entry: TxnEntry, origin: TxnOrigin): void {
    if (this.log === undefined) throw new Error('no log attached');
    this.uncommitted.push({ entry, origin });
    this.log.append(entry);
  }

  private respondNow(connection: Connected, pending: Pending): void {
    connection.queue.push(pending);
    this.drain(connection);
  }

  /** Sends every reply at the head of the queue that is ready; runs reads that reached the head. */
  private drain(connection: Connected): void {
    while (connection.queue.length > 0 && !connection.closed) {
      const head = connection.queue[0]!;
      if (head.read !== undefined && head.reply === undefined) this.runRead(connection, head, head.read);
      if (head.reply === undefined) break;
      connection.queue.shift();
      this.send(connection, head.reply, head);
      if (head.closeAfter) {
        this.closeConnection(connection, head.op === OpCode.closeSession ? 'session closed by client' : `unsupported op ${head.op}`);
        return;
      }
    }
    if (connection.paused && !this.throttled.has(connection) && connection.queue.length < limits.connectionOutstandingMax / 2) {
      connection.paused = false;
      connection.link.resume();
    }
  }

  private send(connection: Connected, frame: Buffer, pending: Pending): void {
    const now = this.clock.nowMs();
    connection.link.send(frame);
    this.stats.packetsSent++;
    this.stats.clientResponse.record(frame.length);
    const latency = pending.op === OpCode.ping ? undefined : now - pending.receivedMs;
    if (latency !== undefined) this.stats.recordLatency(latency, isWrite(pending.op));
    connection.stats.onReply(opLabel(pending.op), pending.xid, this.tree.lastProcessedZxid, latency, now);
  }

  private runRead(connection: Connected, pending: Pending, request: Request): void {
    if (!this.sessions.isActive(connection.sessionId)) {
      // ZooKeeper's prep checks the session for reads too: a closing session answers SESSIONEXPIRED.
      pending.reply = replyFrame(pending.xid, this.tree.lastProcessedZxid, ErrorCode.SESSIONEXPIRED);
      return;
    }
    if (request.op === OpCode.ping) {
      pending.reply = replyFrame(Xid.ping, this.tree.lastProcessedZxid, 0);
      return;
    }
    const outcome = this.reads.execute(request, {
      sessionId: connection.sessionId, watcher: connection.link.id, authIds: connection.authIds, skipAcl: this.options.skipAcl,
    });
    for (const event of outcome.events ?? []) connection.link.send(notificationFrame(event.type, event.path));
    pending.reply = replyFrame(pending.xid, this.tree.lastProcessedZxid, outcome.err, outcome.body);
  }

  // ---- commit and apply ----

  /** The log made every txn up to `zxid` durable: apply them in order and answer. */
  onDurable(zxid: bigint): void {
    while (this.uncommittedHead < this.uncommitted.length) {
      const next = this.uncommitted[this.uncommittedHead]!;
      if (next.entry.header.zxid > zxid) break;
      this.uncommittedHead++;
      this.applyCommitted(next.entry, next.origin);
    }
    if (this.uncommittedHead > 4096 && this.uncommittedHead * 2 > this.uncommitted.length) {
      this.uncommitted.splice(0, this.uncommittedHead);
      this.uncommittedHead = 0;
    }
    if (this.throttled.size > 0 && this.uncommitted.length - this.uncommittedHead < limits.uncommittedTxnsMax / 2) {
      for (const connection of this.throttled) {
        this.throttled.delete(connection);
        connection.paused = false;
        if (!connection.closed) connection.link.resume();
      }
    }
  }

  private applyCommitted(entry: TxnEntry, origin: TxnOrigin): void {
    const { result, triggers } = this.tree.apply(entry.header, entry.body);
    this.prep.applied(entry.header.zxid);
    for (const n of this.watches.trigger(triggers)) {
      const target = this.connections.get(n.watcher);
      if (target === undefined || target.closed) continue;
      // ZooKeeper 3.8.4+ (CVE-2024-23944): no event about a node the watcher may not read.
      if (!this.options.skipAcl && !isAllowed(n.acl, Perms.READ, target.authIds)) continue;
      target.link.send(notificationFrame(n.type, n.path));
    }
    if (entry.body.type === OpCode.createSession) this.sessions.add(entry.header.clientId, entry.body.timeOut, this.clock.nowMs());
    if (entry.body.type === OpCode.closeSession) this.onSessionClosed(entry.header.clientId);
    switch (origin.kind) {
      case 'request':
        this.completeWrite(origin.connection, origin.pending, origin.request, result);
        return;
      case 'session':
        // A client that left before its session committed finds it expired if it returns.
        if (origin.link.open) this.establish(origin.link, origin.pendingId, origin.timeoutMs, origin.withReadOnly);
        return;
      case 'container':
        this.pendingContainerDeletes.delete(origin.path);
        return;
      case 'expire':
        return;
    }
  }

  private onSessionClosed(sessionId: bigint): void {
    this.sessions.remove(sessionId);
    const connection = this.bySession.get(sessionId);
    if (connection === undefined) return;
    // A client's own closeSession is answered first, then the connection closes (drain).
    const ownRequest = connection.queue.some((p) => p.op === OpCode.closeSession);
    if (!ownRequest) this.closeConnection(connection, 'session expired');
  }

  private completeWrite(connection: Connected, pending: Pending, request: Request | null, result: ApplyResult): void {
    const zxid = this.tree.lastProcessedZxid;
    pending.reply = replyFrame(pending.xid, zxid, result.type === OpCode.multi ? 0 : result.err, writeReplyBody(request, result));
    if (pending.op === OpCode.closeSession) pending.closeAfter = true;
    if (!connection.closed) this.drain(connection);
  }

  // ---- time ----

  /** Expires sessions whose time has come and removes due containers and TTL nodes. */
  tick(): void {
    const now = this.clock.nowMs();
    for (const session of this.sessions.takeExpired(now)) {
      const entry = this.prep.prepareCloseSession(session.id, 0, this.nextZxid(), BigInt(now));
      this.submit(entry, { kind: 'expire' });
    }
  }

  /** ContainerManager: empty containers that once had children, and TTL nodes past their TTL. */
  checkContainers(maxDeletes = limits.containerDeletesPerCheckMax): number {
    const now = BigInt(this.clock.nowMs());
    let submitted = 0;
    const candidates: string[] = [];
    for (const path of this.tree.containerPaths()) {
      const node = this.tree.getNode(path);
      if (node !== undefined && node.children.size === 0 && node.cversion > 0) candidates.push(path);
    }
    for (const path of this.tree.ttlPaths()) {
      const node = this.tree.getNode(path);
      if (node === undefined || node.children.size > 0) continue;
      const ttl = node.ephemeralOwner & 0xff_ffff_ffffn;
      if (ttl !== 0n && now - node.mtime > ttl) candidates.push(path);
    }
    for (const path of candidates) {
      if (submitted >= maxDeletes) break;
      if (this.pendingContainerDeletes.has(path)) continue;
      this.pendingContainerDeletes.add(path);
      this.submit(this.prep.prepareDeleteContainer(path, this.nextZxid(), now), { kind: 'container', path });
      submitted++;
    }
    return submitted;
  }
}

function writeReplyBody(request: Request | null, result: ApplyResult): ReplyBody | undefined {
  if (request === null) return undefined;
  // A multi's reply always carries the per-op results; other failures have no body.
  if (request.op === OpCode.multi) return { codec: multiResponseCodec, value: (result.multi ?? []).map(multiResult) };
  if (result.err !== 0) return undefined;
  switch (request.op) {
    case OpCode.create:
      return body(R.CreateResponse, { path: result.path ?? null });
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return body(R.Create2Response, { path: result.path ?? null, stat: result.stat! });
    case OpCode.setData:
      return body(R.SetDataResponse, { stat: result.stat! });
    case OpCode.check:
      // What ZooKeeper means to send (its 3.8/3.9 reply is lost to a null stat): the node's Stat.
      return result.stat === undefined ? undefined : body(R.SetDataResponse, { stat: result.stat });
    case OpCode.setACL:
      return body(R.SetACLResponse, { stat: result.stat! });
    default:
      return undefined;
  }
}

function multiResult(result: ApplyResult): MultiResult {
  switch (result.type) {
    case OpCode.create:
      return { type: result.type, write: (w) => R.CreateResponse.write(w, { path: result.path ?? null }) };
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { type: result.type, write: (w) => R.Create2Response.write(w, { path: result.path ?? null, stat: result.stat! }) };
    case OpCode.setData:
      return { type: result.type, write: (w) => R.SetDataResponse.write(w, { stat: result.stat! }) };
    case OpCode.delete:
    case OpCode.deleteContainer:
    case OpCode.check:
      return { type: result.type, write: () => {} };
    default:
      return { type: OpCode.error, err: result.err, write: (w) => R.ErrorResponse.write(w, { err: result.err }) };
  }
}

/** `cons`'s lop field: ZooKeeper's four-letter op labels (built once, read per reply). */
const OP_LABELS: Record<number, string> = {
  [OpCode.ping]: 'PING', [OpCode.create]: 'CREA', [OpCode.create2]: 'CREA', [OpCode.createContainer]: 'CREA',
  [OpCode.createTTL]: 'CREA', [OpCode.delete]: 'DELE', [OpCode.setData]: 'SETD', [OpCode.getData]: 'GETD',
  [OpCode.exists]: 'EXIS', [OpCode.getChildren]: 'GETC', [OpCode.getChildren2]: 'GETC', [OpCode.multi]: 'MULT',
  [OpCode.multiRead]: 'MLTR', [OpCode.sync]: 'SYNC', [OpCode.getACL]: 'GETA', [OpCode.setACL]: 'SETA',
  [OpCode.closeSession]: 'CLOS', [OpCode.check]: 'CHEC', [OpCode.setWatches]: 'SETW', [OpCode.setWatches2]: 'STW2',
  [OpCode.addWatch]: 'ADDW', [OpCode.whoAmI]: 'HOMI', [OpCode.getEphemerals]: 'GETE', [OpCode.checkWatches]: 'CHKW',
  [OpCode.removeWatches]: 'REMW', [OpCode.getAllChildrenNumber]: 'GETACN',
};

function opLabel(op: number): string {
  return OP_LABELS[op] ?? 'NA';
}

