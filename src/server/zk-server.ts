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
import { makeZxid } from '../proto/zxid.js';
import type { ForwardedRequest } from '../zab/learner-messages.js';
import type { Membership } from '../config/membership.js';
import { CONFIG_NODE } from '../proto/defs.js';
import { prepareReconfig, type ReconfigEnv } from './reconfig-prep.js';
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

/** How this server takes part: alone, or as an ensemble member (ZooKeeper's ServerState). */
export type ServerRole = 'standalone' | 'leader' | 'follower' | 'observer';

/** What a leader needs to prep a reconfig (implemented by the quorum host). */
export interface QuorumView {
  /** The membership in effect (the last committed reconfig, or the config files'). */
  membership(): Membership;
  /** Voters in sync with this leader, the leader included. */
  syncedServers(): ReadonlySet<bigint>;
  /** A reconfig proposed and not yet committed. */
  reconfigPending(): boolean;
}

/** A learner's way to its leader (implemented by the quorum host). */
export interface LeaderLink {
  /** Sends a client's write (or session create/close) to the leader. */
  forward(request: ForwardedRequest): void;
  /** Asks the leader how far it has proposed; the answer comes to `onSynced(id, zxid)`. */
  sync(id: number): void;
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
  | { kind: 'container'; path: string }
  /** A learner's client request, prepped by this leader; the learner answers its client. */
  | { kind: 'remote' };

export class ZkServer {
  /** Replaced only while not serving (a learner's TRUNC or SNAP reloads it). */
  tree: DataTree;
  readonly watches = new WatchManager();
  readonly sessions: SessionTracker;
  readonly stats = new ServerStats();
  private prep: Prep;
  private reads: Reads;
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
  private roleValue: ServerRole = 'standalone';
  /** False while an ensemble member has no established leader: clients are turned away. */
  private servingValue = true;
  private leaderLink: LeaderLink | undefined;
  private quorumView: QuorumView | undefined;
  /** A learner's forwarded writes, by session and cxid, until the leader's commit comes back. */
  private readonly awaitingCommit = new Map<string, { connection: Connected; pending: Pending; request: Request | null }>();
  /** A learner's new sessions, until their createSession commits. */
  private readonly awaitingSession = new Map<bigint, { link: ClientLink; timeoutMs: number; withReadOnly: boolean }>();
  /** A learner's client syncs: the leader's zxid to reach (once known), then the answer. */
  private readonly pendingSyncs = new Map<number, { connection: Connected; pending: Pending; path: string; zxid?: bigint }>();
  private nextSyncId = 1;
  /** Sessions a learner's clients touched since the last report to the leader. */
  private touched = new Set<bigint>();
  /** Read-only mode: serving clients that asked for it, from this server's copy of the tree. */
  private readOnlyValue = false;
  /** Sessions created in read-only mode: local to this server, never in the replicated tree. */
  private readonly localSessions = new Set<bigint>();

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

  get role(): ServerRole {
    return this.roleValue;
  }

  /** False while an ensemble member looks for (or syncs with) a leader. */
  get serving(): boolean {
    return this.servingValue;
  }

  /** Serving read-only clients (an ensemble member cut off from its quorum, readonlymode.enabled). */
  get readOnly(): boolean {
    return this.readOnlyValue;
  }

  /** Starts serving read-only clients while no leader is established. */
  serveReadOnly(): void {
    if (this.servingValue) return;
    this.readOnlyValue = true;
  }

  private get isLearner(): boolean {
    return this.roleValue === 'follower' || this.roleValue === 'observer';
  }

  // ---- ensemble roles ----

  /**
   * Stops serving (the leader is lost or this server lost its quorum): every client is
   * disconnected, as ZooKeeper's server shuts down between roles; clients reconnect elsewhere or
   * later and keep their sessions. Txns not yet committed are forgotten here; the ensemble decides
   * their fate.
   */
  stopServing(reason: string): void {
    this.servingValue = false;
    this.readOnlyValue = false;
    for (const id of this.localSessions) this.sessions.remove(id);
    this.localSessions.clear();
    this.leaderLink = undefined;
    for (const connection of [...this.connections.values()]) this.closeConnection(connection, reason);
    this.uncommitted.length = 0;
    this.uncommittedHead = 0;
    this.awaitingCommit.clear();
    this.awaitingSession.clear();
    this.pendingSyncs.clear();
    this.pendingContainerDeletes.clear();
    this.throttled.clear();
    this.touched.clear();
    this.prep.reset();
    this.sessions.clearClosing();
    this.lastZxid = this.tree.lastProcessedZxid;
  }

  /**
   * Takes `tree` (reloaded from disk after a TRUNC or SNAP) and its sessions in place of the
   * current ones. Only while not serving: no client is connected then.
   */
  replaceTree(tree: DataTree, sessions: ReadonlyMap<bigint, number>): void {
    if (this.servingValue) throw new Error('the tree can only be replaced while not serving');
    this.tree = tree;
    this.prep = new Prep(tree, this.options);
    this.reads = new Reads(tree, this.watches);
    for (const s of [...this.sessions.all()]) if (!sessions.has(s.id)) this.sessions.remove(s.id);
    this.restoreSessions(sessions);
    this.lastZxid = tree.lastProcessedZxid;
  }

  /**
   * Serves as the established leader of `epoch`: its txns are numbered epoch << 32 | counter from
   * 1, and every session's expiry starts over (ZooKeeper's leader does the same, as it cannot know
   * when learners last heard from them).
   */
  leadEpoch(epoch: bigint): void {
    this.roleValue = 'leader';
    this.leaderLink = undefined;
    this.lastZxid = makeZxid(epoch, 0n);
    this.sessions.touchAll(this.clock.nowMs());
    this.servingValue = true;
  }

  /** Serves as a follower or observer of the leader reached through `link`. */
  learnFrom(role: 'follower' | 'observer', link: LeaderLink): void {
    this.roleValue = role;
    this.leaderLink = link;
    this.servingValue = true;
  }

  /** The ensemble's view for reconfig (an ensemble member only). */
  attachQuorumView(view: QuorumView): void {
    this.quorumView = view;
  }

  private reconfigEnv(): ReconfigEnv {
    return { tree: this.tree, view: this.quorumView, reconfigEnabled: this.options.reconfigEnabled, skipAcl: this.options.skipAcl };
  }

  /** A learner's sessions touched since the last call (sent to the leader with each tick). */
  takeTouched(): bigint[] {
    const out = [...this.touched];
    this.touched.clear();
    return out;
  }

  /** Leader: a learner's client kept its session alive. */
  touchSession(sessionId: bigint): void {
    this.sessions.touch(sessionId, this.clock.nowMs());
  }

  /** Leader: a learner forwarded a client request; prep it and propose its txn. */
  onForwarded(request: ForwardedRequest): void {
    if (this.roleValue !== 'leader' || !this.servingValue) return;
    const zxid = this.nextZxid();
    const time = BigInt(this.clock.nowMs());
    if (request.type === OpCode.createSession) {
      this.submit({ header: { clientId: request.sessionId, cxid: 0, zxid, time, type: OpCode.createSession }, body: { type: OpCode.createSession, timeOut: request.timeoutMs } }, { kind: 'remote' });
      return;
    }
    this.sessions.touch(request.sessionId, this.clock.nowMs());
    if (request.type === OpCode.closeSession) {
      const entry = this.prep.prepareCloseSession(request.sessionId, request.cxid, zxid, time);
      this.sessions.setClosing(request.sessionId);
      this.submit(entry, { kind: 'remote' });
      return;
    }
    let decoded: Request | null = null;
    try {
      decoded = decodeRequest(request.type, new JuteReader(Buffer.from(request.payload.buffer, request.payload.byteOffset, request.payload.byteLength), 0, request.payload.byteLength, this.options.maxRequestBytes));
    } catch (e) {
      if (!(e instanceof JuteError)) throw e;
    }
    const context = { sessionId: request.sessionId, cxid: request.cxid, authIds: [...request.authIds], sessionValid: this.sessions.isActive(request.sessionId) };
    const entry = decoded === null
      ? { header: { clientId: request.sessionId, cxid: request.cxid, zxid, time, type: OpCode.error }, body: { type: OpCode.error, err: ErrorCode.MARSHALLINGERROR } } as TxnEntry
      : decoded.op === OpCode.reconfig
        ? prepareReconfig(decoded, context, this.reconfigEnv(), zxid, time)
        : this.prep.prepare(decoded, context, zxid, time);
    this.submit(entry, { kind: 'remote' });
  }

  /**
   * The ensemble committed `entry`: apply it. A leader's own proposals complete the request that
   * made them; a learner matches the txn to its client's forwarded request by session and cxid.
   */
  commit(entry: TxnEntry): void {
    const zxid = entry.header.zxid;
    if (zxid <= this.tree.lastProcessedZxid) return;
    const head = this.uncommitted[this.uncommittedHead];
    if (head !== undefined && head.entry.header.zxid === zxid) {
      this.onDurable(zxid);
      return;
    }
    this.applyCommitted(entry, this.originOf(entry));
    if (this.lastZxid < zxid) this.lastZxid = zxid;
    this.completeSyncs();
  }

  private originOf(entry: TxnEntry): TxnOrigin {
    const sessionId = entry.header.clientId;
    if (entry.body.type === OpCode.createSession) {
      const waiting = this.awaitingSession.get(sessionId);
      if (waiting === undefined) return { kind: 'remote' };
      this.awaitingSession.delete(sessionId);
      return { kind: 'session', link: waiting.link, timeoutMs: waiting.timeoutMs, withReadOnly: waiting.withReadOnly, pendingId: sessionId };
    }
    const key = awaitKey(sessionId, entry.header.cxid);
    const waiting = this.awaitingCommit.get(key);
    if (waiting === undefined) return { kind: 'remote' };
    this.awaitingCommit.delete(key);
    return { kind: 'request', ...waiting };
  }

  /** Learner: the leader had proposed up to `zxid` when it got sync `id`. */
  onSynced(id: number, zxid: bigint): void {
    const waiting = this.pendingSyncs.get(id);
    if (waiting === undefined) return;
    waiting.zxid = zxid;
    this.completeSyncs();
  }

  private completeSyncs(): void {
    if (this.pendingSyncs.size === 0) return;
    const applied = this.tree.lastProcessedZxid;
    for (const [id, s] of this.pendingSyncs) {
      if (s.zxid === undefined || s.zxid > applied) continue;
      this.pendingSyncs.delete(id);
      s.pending.reply = replyFrame(s.pending.xid, applied, 0, body(R.SyncResponse, { path: s.path }));
      if (!s.connection.closed) this.drain(s.connection);
    }
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
    let canBeReadOnly = false;
    try {
      const r = new JuteReader(frame);
      request = R.ConnectRequest.read(r);
      if (r.remaining >= 1) {
        canBeReadOnly = r.readBool();
        withReadOnly = true;
      }
    } catch {
      link.close('malformed ConnectRequest');
      return;
    }
    if (this.readOnlyValue) {
      this.onReadOnlyConnect(link, request, withReadOnly, canBeReadOnly);
      return;
    }
    if (!this.servingValue) {
      link.close('this server is not serving requests: it has no established leader');
      return;
    }
    if (request.lastZxidSeen > this.tree.lastProcessedZxid) {
      link.close(`client has seen zxid 0x${request.lastZxidSeen.toString(16)}, ours is 0x${this.tree.lastProcessedZxid.toString(16)}`);
      return;
    }
    const timeoutMs = Math.min(Math.max(request.timeOut, this.options.minSessionTimeoutMs), this.options.maxSessionTimeoutMs);
    if (request.sessionId === 0n) {
      const sessionId = this.sessions.newSessionId();
      if (this.leaderLink !== undefined) {
        this.awaitingSession.set(sessionId, { link, timeoutMs, withReadOnly });
        this.leaderLink.forward({ sessionId, cxid: 0, type: OpCode.createSession, payload: Buffer.alloc(0), authIds: [], timeoutMs });
        return;
      }
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
    if (this.isLearner) this.touched.add(request.sessionId);
    this.establish(link, request.sessionId, timeoutMs, withReadOnly);
  }

  /**
   * Read-only mode (ReadOnlyZooKeeperServer): only clients that allow it get a session, marked
   * read-only in the handshake; a new one is local to this server (no txn), an existing one is
   * resumed if this server knows it.
   */
  private onReadOnlyConnect(link: ClientLink, request: { sessionId: bigint; passwd: Buffer | null; timeOut: number }, withReadOnly: boolean, canBeReadOnly: boolean): void {
    if (!canBeReadOnly) {
      link.close(`Refusing session request for not-read-only client /${link.remoteAddress}:${link.remotePort}`);
      return;
    }
    const timeoutMs = Math.min(Math.max(request.timeOut, this.options.minSessionTimeoutMs), this.options.maxSessionTimeoutMs);
    let sessionId = request.sessionId;
    if (sessionId === 0n) {
      sessionId = this.sessions.newSessionId();
      this.sessions.add(sessionId, timeoutMs, this.clock.nowMs());
      this.localSessions.add(sessionId);
    } else if (!this.sessions.isActive(sessionId) || !checkPassword(sessionId, request.passwd ?? Buffer.alloc(0))) {
      link.send(connectResponseFrame(0, 0n, Buffer.alloc(16), withReadOnly));
      link.close('invalid or expired session');
      return;
    }
    const previous = this.bySession.get(sessionId);
    if (previous !== undefined) this.closeConnection(previous, 'session moved to a new connection');
    this.establish(link, sessionId, timeoutMs, withReadOnly, true);
  }

  private establish(link: ClientLink, sessionId: bigint, timeoutMs: number, withReadOnly: boolean, readOnly = false): void {
    const connection: Connected = {
      link, sessionId, timeoutMs, queue: [], closed: false, paused: false,
      authIds: [{ scheme: 'ip', id: link.remoteAddress }],
      stats: new ConnectionStats(this.clock.nowMs()),
    };
    this.connections.set(link.id, connection);
    this.bySession.set(sessionId, connection);
    link.send(connectResponseFrame(timeoutMs, sessionId, sessionPassword(sessionId), withReadOnly, readOnly));
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
    const bodyStart = reader.position;
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
    if (this.isLearner) this.touched.add(connection.sessionId);
    if (this.readOnlyValue && (READ_ONLY_REFUSED.has(header.type) || header.type === OpCode.closeSession)) {
      this.onReadOnlyWrite(connection, header.xid, header.type, now);
      return;
    }
    let request: Request | null = null;
    try {
      request = decodeRequest(header.type, reader);
    } catch (e) {
      if (!(e instanceof JuteError)) throw e;
    }
    const learnerSync = request !== null && request.op === OpCode.sync && this.leaderLink !== undefined;
    const pending: Pending = request !== null && !isWrite(header.type) && !learnerSync ? { xid: header.xid, op: header.type, receivedMs: now, read: request } : { xid: header.xid, op: header.type, receivedMs: now };
    connection.queue.push(pending);
    if (request === null) {
      pending.reply = replyFrame(header.xid, this.tree.lastProcessedZxid, ErrorCode.MARSHALLINGERROR);
    } else if (learnerSync && request.op === OpCode.sync) {
      const id = this.nextSyncId++;
      this.pendingSyncs.set(id, { connection, pending, path: request.path });
      this.leaderLink!.sync(id);
    } else if (isWrite(header.type)) {
      if (this.leaderLink !== undefined) this.forwardWrite(connection, pending, request, frame.subarray(bodyStart));
      else this.submitWrite(connection, pending, request);
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
      const context = {
        sessionId: connection.sessionId, cxid: pending.xid, authIds: connection.authIds,
        sessionValid: this.sessions.isActive(connection.sessionId),
      };
      entry = request.op === OpCode.reconfig && this.roleValue === 'leader' ? prepareReconfig(request, context, this.reconfigEnv(), zxid, time) : this.prep.prepare(request, context, zxid, time);
    }
    this.submit(entry, { kind: 'request', connection, pending, request });
  }

  /** Read-only mode: writes and sync get NOTREADONLY; a local session's close ends it here. */
  private onReadOnlyWrite(connection: Connected, xid: number, op: number, now: number): void {
    if (op === OpCode.closeSession && this.localSessions.has(connection.sessionId)) {
      this.localSessions.delete(connection.sessionId);
      this.sessions.remove(connection.sessionId);
      this.respondNow(connection, { xid, op, receivedMs: now, reply: replyFrame(xid, this.tree.lastProcessedZxid, 0), closeAfter: true });
      return;
    }
    this.respondNow(connection, { xid, op, receivedMs: now, reply: replyFrame(xid, this.tree.lastProcessedZxid, ErrorCode.NOTREADONLY) });
  }

  /** Learner: the leader preps the write; the reply waits for its commit to come back here. */
  private forwardWrite(connection: Connected, pending: Pending, request: Request, payload: Buffer): void {
    if (request.op === OpCode.closeSession) this.sessions.setClosing(connection.sessionId);
    this.awaitingCommit.set(awaitKey(connection.sessionId, pending.xid), { connection, pending, request });
    this.leaderLink!.forward({ sessionId: connection.sessionId, cxid: pending.xid, type: pending.op, payload, authIds: connection.authIds, timeoutMs: connection.timeoutMs });
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
    // A reconfig answers with the new config and its stat (a GetDataResponse).
    const reconfigured = request?.op === OpCode.reconfig && result.err === 0 && result.stat !== undefined
      ? body(R.GetDataResponse, { data: this.tree.getNode(CONFIG_NODE)?.data ?? null, stat: result.stat })
      : undefined;
    pending.reply = replyFrame(pending.xid, zxid, result.type === OpCode.multi ? 0 : result.err, reconfigured ?? writeReplyBody(request, result));
    if (pending.op === OpCode.closeSession) pending.closeAfter = true;
    if (!connection.closed) this.drain(connection);
  }

  // ---- time ----

  /** Expires sessions whose time has come and removes due containers and TTL nodes. */
  tick(): void {
    // In an ensemble only the leader expires sessions; learners report touches to it.
    if (this.isLearner || !this.servingValue) return;
    const now = this.clock.nowMs();
    for (const session of this.sessions.takeExpired(now)) {
      const entry = this.prep.prepareCloseSession(session.id, 0, this.nextZxid(), BigInt(now));
      this.submit(entry, { kind: 'expire' });
    }
  }

  /** ContainerManager: empty containers that once had children, and TTL nodes past their TTL. */
  checkContainers(maxDeletes = limits.containerDeletesPerCheckMax): number {
    if (this.isLearner || !this.servingValue) return 0;
    const now = BigInt(this.clock.nowMs());
    let submitted = 0;
    const candidates: string[] = [];
    for (const path of this.tree.containerPaths()) {
      const node = this.tree.getNode(path);
      if (node !== undefined && node.numChildren === 0 && node.cversion > 0) candidates.push(path);
    }
    for (const path of this.tree.ttlPaths()) {
      const node = this.tree.getNode(path);
      if (node === undefined || node.numChildren > 0) continue;
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

/** What ReadOnlyRequestProcessor answers with NOTREADONLY (closeSession: unless the session is local). */
const READ_ONLY_REFUSED = new Set<number>([
  OpCode.sync, OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer, OpCode.delete,
  OpCode.deleteContainer, OpCode.setData, OpCode.reconfig, OpCode.setACL, OpCode.multi, OpCode.check,
]);

function awaitKey(sessionId: bigint, cxid: number): string {
  return `${sessionId}:${cxid}`;
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

