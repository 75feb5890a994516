/**
 * An ensemble member's engine room: drives the pure ZAB peer (src/zab/peer.ts) with a clock, peer
 * links and the disk, and plugs it into the client pipeline (server/zk-server.ts) as its commit
 * stage. Every effect goes through a port (links: ports/peer-links.ts, over TCP in production;
 * timers: ports/timers.ts; disk: ports/file-system.ts), so the simulator runs this same code.
 *
 * Every Ready is handled in the peer's order: (1) persist (epochs, TRUNC, SNAP synchronously
 * before anything after them and only once every earlier txn append is durable; txn appends
 * through the group-committed log), (2) once durable,
 * apply the committed txns to the tree, (3) send the messages, (4) switch what the server does
 * when the peer's role changed. Readys are completed strictly in the order they were produced,
 * so a message is never sent before the persist of its own or any earlier Ready.
 */
import type { FileSystem } from '../ports/file-system.js';
import { decodeTxn, encodeTxn, type TxnEntry } from '../proto/txn.js';
import { epochOf, makeZxid, zxidHex } from '../proto/zxid.js';
import type { ServerId } from '../election/vote.js';
import type { DataTree } from '../tree/data-tree.js';
import type { ZkServer } from '../server/zk-server.js';
import { ZabPeer, type Envelope, type Role, type ZabReady } from '../zab/peer.js';
import type { Entry } from '../zab/messages.js';
import type { LearnerMessage } from '../zab/learner-messages.js';
import type { PeerLinkHandlers, PeerLinks } from '../ports/peer-links.js';
import type { TimerHandle, TimerPort } from '../ports/timers.js';
import type { Logger } from '../runtime/logger.js';
import type { TxnLog } from '../storage/txn-log.js';
import { readEpoch, writeEpoch } from '../storage/epoch-files.js';
import { truncateLog } from '../storage/log-truncate.js';
import { LogReader } from '../storage/log-reader.js';
import { listSnapshots } from '../storage/snapshot.js';
import { LOG_PREFIX, joinPath, logFilesFrom, snapshotFileName, sortDataFiles, versionDir } from '../storage/file-names.js';
import { formatMembership, observersOf, parseMembershipText, votersOf, type Membership } from '../config/membership.js';
import { OpCode } from '../proto/op-code.js';
import { CONFIG_NODE } from '../proto/defs.js';
import { peerAddresses, type QuorumPlan } from './quorum-plan.js';

/** The plan (who, where, limits: quorum-plan.ts) plus the server, the disk and the hooks. */
export interface QuorumHostOptions extends QuorumPlan {
  /** Writes a committed membership where operators look for it (zoo.cfg.dynamic.<version>). */
  readonly onMembership?: (membership: Membership, text: string) => Promise<void>;
  readonly fs: FileSystem;
  /** Opens this member's links to the others (TCP in production). */
  readonly links: (handlers: PeerLinkHandlers<Envelope>) => PeerLinks<Envelope>;
  /** Peer ticks, the read-only grace period and wall-clock times. */
  readonly timers: TimerPort;
  readonly dataDir: string;
  readonly dataLogDir: string;
  readonly server: ZkServer;
  readonly txnLog: TxnLog;
  /** The snapshot recovery loaded (its zxid), if any: the logged entries the peer holds follow it. */
  readonly snapshotZxid: bigint | undefined;
  /** Rebuilds the tree from disk into a fresh DataTree (after TRUNC or SNAP). */
  readonly reload: () => Promise<{ tree: DataTree; sessions: Map<bigint, number> }>;
  /** Writes a snapshot of the tree as it is now; resolves with its file. */
  readonly snapshotNow: () => Promise<{ path: string; zxid: bigint }>;
  /** readonlymode.enabled: after this long without a leader, serve read-only clients (ms; undefined: never). */
  readonly readOnlyAfterMs?: number;
  /** Called for each txn applied while serving (snapshot scheduling, session logging). */
  readonly onApplied?: (entry: TxnEntry) => void;
  readonly log: Logger;
}

/** What the server should be doing, as the peer saw it when it produced a Ready. */
type Serving = { readonly kind: 'leader'; readonly epoch: bigint } | { readonly kind: 'follower' | 'observer'; readonly leader: ServerId } | { readonly kind: 'none' };

interface Item {
  readonly ready: ZabReady;
  readonly serving: Serving;
  phase: 'new' | 'persisting' | 'persisted';
  /** The last zxid this Ready appended: it is complete once that is durable. */
  waitZxid?: bigint;
  /** Indexes of the messages sent ahead of completion (a leader's PROPOSALs: see sendAhead). */
  sentAhead?: Set<number>;
  /** Peers whose later PROPOSALs this Ready holds back until it completes (see sendAhead). */
  holds?: ServerId[];
}

/** Roles as srvr and mntr print them. */
export type QuorumState = 'leader' | 'follower' | 'observer' | 'looking';

export class QuorumHost {
  private readonly peer: ZabPeer;
  private readonly transport: PeerLinks<Envelope>;
  /**
   * Readys in order; those before `itemsHead` have completed (the array is compacted now and
   * then), those from `nextToStart` on have not started their persist. Every step is O(1):
   * a learner behind a slow disk may hold thousands of Readys, and rescanning them for each new
   * message made it spend seconds of CPU per second of backlog (a stall that fed itself).
   */
  private readonly items: Item[] = [];
  private itemsHead = 0;
  private nextToStart = 0;
  /** The Ready whose epoch files, TRUNC or SNAP are being written: nothing after it starts. */
  private persisting: Item | undefined;
  /** This leader's own proposals as the pipeline made them, so they are not decoded back from bytes. */
  private readonly proposed = new Map<bigint, TxnEntry>();
  private durableZxid = -1n;
  private pumping = false;
  private pumpAgain = false;
  /** A send that waits for a snapshot (SNAP to a learner): later Readys wait behind it. */
  private sendingAsync: Promise<void> | undefined;
  /** Per peer, how many queued Readys hold its PROPOSALs back (sendAhead). */
  private readonly heldBack = new Map<ServerId, number>();
  private serving: Serving = { kind: 'none' };
  private lastQueuedServing: Serving = { kind: 'none' };
  private timer: TimerHandle | undefined;
  private stopped = false;
  private roleValue: Role = 'LOOKING';
  private readOnlyTimer: TimerHandle | undefined;
  private membershipValue: Membership;
  private failed: Error | undefined;
  /** When the current serving period began (for leader/follower uptime). */
  electedAtMs = 0;

  private constructor(private readonly options: QuorumHostOptions, durable: { acceptedEpoch: bigint; currentEpoch: bigint; entries: Entry[] }) {
    this.membershipValue = options.membership;
    this.peer = new ZabPeer(
      { self: options.self, voters: options.voters, observers: options.observers, initLimitTicks: options.initLimitTicks, syncLimitTicks: options.syncLimitTicks, historyRetained: options.historyRetained },
      { ...durable, snapshotZxid: options.snapshotZxid ?? 0n },
    );
    this.transport = options.links({
      onEnvelope: (from, envelope) => this.onEnvelope(from, envelope),
      onLinkLost: (peer) => this.enqueue(this.peer.linkLost(peer)),
    });
  }

  /** Reads the durable ZAB state, listens on the quorum port and starts looking for a leader. */
  static async start(options: QuorumHostOptions): Promise<QuorumHost> {
    const entries = await loggedEntries(options.fs, options.dataLogDir, options.snapshotZxid ?? 0n);
    const lastZxid = entries.at(-1)?.zxid ?? options.snapshotZxid ?? 0n;
    // As ZooKeeper: a missing epoch file means the epoch of the last logged txn.
    const currentEpoch = (await readEpoch(options.fs, options.dataDir, 'currentEpoch')) ?? epochOf(lastZxid);
    const acceptedEpoch = (await readEpoch(options.fs, options.dataDir, 'acceptedEpoch')) ?? currentEpoch;
    const host = new QuorumHost(options, { acceptedEpoch, currentEpoch, entries });
    options.log('INFO', `quorum peer ${options.self}: acceptedEpoch ${acceptedEpoch}, currentEpoch ${currentEpoch}, last logged zxid ${zxidHex(lastZxid)}, ${entries.length} txns held for DIFF`, 'quorum');
    await host.transport.start();
    options.server.attachLog({ append: (entry) => host.propose(entry) });
    options.server.attachQuorumView({
      membership: () => host.membershipValue,
      syncedServers: () => new Set([options.self, ...host.peer.syncedLearners().followers]),
      reconfigPending: () => host.peer.reconfigPending,
    });
    host.timer = options.timers.setInterval(options.peerTickMs, () => {
      host.enqueue(host.peer.tick());
      host.sendTouches();
    });
    host.enqueue(host.peer.start());
    host.armReadOnly();
    return host;
  }

  /** LOOKING, LEADING, FOLLOWING or OBSERVING, as the peer is now. */
  get role(): Role {
    return this.roleValue;
  }

  /** What srvr prints after `Mode:`; 'looking' while the server does not serve. */
  get state(): QuorumState {
    return this.serving.kind === 'none' ? 'looking' : this.serving.kind;
  }

  /** The membership in effect (the last committed reconfig's, or the config's). */
  get membership(): Membership {
    return this.membershipValue;
  }

  /** The leader this server serves under (itself when leading), or undefined. */
  get leaderId(): ServerId | undefined {
    return this.serving.kind === 'leader' ? this.options.self : this.serving.kind === 'none' ? undefined : this.serving.leader;
  }

  /** ZooKeeper's ZabState: election, discovery/synchronization while joining a leader, broadcast. */
  get zabState(): 'election' | 'synchronization' | 'broadcast' {
    if (this.serving.kind !== 'none') return 'broadcast';
    return this.roleValue === 'LOOKING' ? 'election' : 'synchronization';
  }

  /** The leader's view of its learners (empty elsewhere). */
  learners(): { followers: ServerId[]; observers: ServerId[] } {
    return this.peer.syncedLearners();
  }

  /** The txn log made everything up to `zxid` durable. */
  onDurable(zxid: bigint): void {
    this.durableZxid = zxid;
    this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.readOnlyTimer !== undefined) this.options.timers.clear(this.readOnlyTimer);
    if (this.timer !== undefined) this.options.timers.clear(this.timer);
    await this.transport.close();
    await this.sendingAsync?.catch(() => undefined);
  }

  // ---- inputs ----

  private onEnvelope(from: ServerId, envelope: Envelope): void {
    if (this.stopped) return;
    if (envelope.kind === 'learner') {
      this.onLearnerMessage(from, envelope.m);
      return;
    }
    this.enqueue(this.peer.step(from, envelope));
  }

  /** The server's pipeline made a txn: propose it (leader only). */
  private propose(entry: TxnEntry): void {
    const body = entry.body;
    // A reconfig carries the membership it makes: it commits with both quorums, then takes effect.
    const membership = body.type === OpCode.reconfig && body.data !== null ? parseMembershipText(body.data.toString('utf8')) : undefined;
    const out = this.peer.propose(encodeTxn(entry), membership === undefined ? undefined : { voters: votersOf(membership), observers: observersOf(membership) });
    if (out === undefined) {
      // The peer stopped leading; the Ready that says so is on its way and stops the server.
      this.options.log('WARN', `txn ${zxidHex(entry.header.zxid)} not proposed: no longer the established leader`, 'quorum');
      return;
    }
    this.proposed.set(out.zxid, entry);
    if (out.zxid !== entry.header.zxid) {
      this.options.log('ERROR', `txn numbered ${zxidHex(entry.header.zxid)} but proposed as ${zxidHex(out.zxid)}; restarting election`, 'quorum');
      this.enqueue(out.ready);
      this.enqueue(this.peer.start());
      return;
    }
    this.enqueue(out.ready);
  }

  private onLearnerMessage(from: ServerId, m: LearnerMessage): void {
    const server = this.options.server;
    switch (m.type) {
      case 'REQUEST':
        if (this.serving.kind === 'leader') server.onForwarded(m.request);
        return;
      case 'TOUCH':
        if (this.serving.kind === 'leader') for (const id of m.sessions) server.touchSession(id);
        return;
      case 'SYNC':
        if (this.serving.kind === 'leader') this.transport.send(from, { kind: 'learner', m: { type: 'SYNCED', id: m.id, zxid: this.peer.lastLoggedZxid } });
        return;
      case 'SYNCED':
        if (this.serving.kind !== 'none' && this.serving.kind !== 'leader' && from === this.serving.leader) server.onSynced(m.id, m.zxid);
        return;
      case 'CONFIG':
        if (this.serving.kind === 'leader' && m.text === '') {
          this.transport.send(from, { kind: 'learner', m: { type: 'CONFIG', text: formatMembership(this.membershipValue) } });
        } else if (this.serving.kind !== 'none' && this.serving.kind !== 'leader' && from === this.serving.leader && m.text !== '') {
          this.adoptLeaderConfig(m.text);
        }
        return;
    }
  }

  private servingNow(): Serving {
    if (this.peer.isEstablishedLeader) return { kind: 'leader', epoch: this.peer.epoch };
    if (this.peer.isSyncedLearner) return { kind: this.peer.currentRole === 'OBSERVING' ? 'observer' : 'follower', leader: this.peer.leaderId! };
    return { kind: 'none' };
  }

  // ---- the Ready pipeline ----

  private enqueue(ready: ZabReady): void {
    if (this.stopped || this.failed !== undefined) return;
    if (ready.role !== undefined && ready.role !== this.roleValue) {
      this.options.log('INFO', `peer state ${this.roleValue} -> ${ready.role}`, 'quorum');
      this.roleValue = ready.role;
    }
    const serving = this.servingNow();
    // Most ticks change nothing: no need to queue them.
    if (isEmpty(ready) && sameServing(serving, this.lastQueuedServing)) return;
    this.lastQueuedServing = serving;
    this.items.push({ ready, serving, phase: 'new' });
    this.pump();
  }

  /** Reports the sessions this learner's clients kept alive (ZooKeeper piggybacks them on pings). */
  sendTouches(): void {
    if (this.serving.kind !== 'follower' && this.serving.kind !== 'observer') return;
    const touched = this.options.server.takeTouched();
    if (touched.length > 0) this.transport.send(this.serving.leader, { kind: 'learner', m: { type: 'TOUCH', sessions: touched } });
  }

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.startPersists();
        this.completeHead();
      } while (this.pumpAgain);
    } catch (e) {
      this.fail(e as Error);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Starts every Ready's persist, in order, up to one that must finish on disk before the rest.
   * Such a one (epoch files, TRUNC, SNAP) also waits until every txn an earlier Ready appended
   * is durable: a learner's currentEpoch MUST NOT be durable before the history it synced
   * (ZOOKEEPER-3911). Otherwise a crash could leave the new epoch on disk without the txns the
   * leader sent before NEWLEADER; that server then won the next election on its epoch and
   * truncated committed txns from the others (found by the server simulator).
   */
  private startPersists(): void {
    while (this.persisting === undefined && this.nextToStart < this.items.length) {
      const index = this.nextToStart;
      const item = this.items[index]!;
      const p = item.ready.persist;
      if (p.acceptedEpoch !== undefined || p.currentEpoch !== undefined || p.truncateTo !== undefined || p.snapshot !== undefined) {
        if (!this.appendsDurableBefore(index)) return;
        item.phase = 'persisting';
        this.persisting = item;
        this.nextToStart++;
        this.persistSlowly(item)
          .then(() => {
            this.appendAll(item);
            item.phase = 'persisted';
            this.persisting = undefined;
            this.sendAhead(item, false);
            this.pump();
          })
          .catch((e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
        return;
      }
      this.appendAll(item);
      item.phase = 'persisted';
      this.nextToStart++;
      this.sendAhead(item, true);
    }
  }

  /**
   * A leader's PROPOSALs leave as soon as their Ready's txns are queued to its log, so that the
   * followers' fsyncs overlap the leader's own (as ZooKeeper's leader sends proposals while its
   * SyncRequestProcessor logs them). Safe: the peer counts the leader's own vote when it
   * proposes, but a COMMIT that rests on it is in a later Ready, and Readys complete in order,
   * each once its appends are durable; so no COMMIT leaves, and nothing is applied, before the
   * leader's log holds the txn. Each learner still gets its messages in order, but for COMMITs
   * and PINGs, which a PROPOSAL may pass (ZAB keeps proposals, and commits, in zxid order, not
   * proposals after commits): a PROPOSAL goes ahead only while no queued Ready holds another
   * message for that learner (a sync's DIFF or NEWLEADER, an earlier PROPOSAL) or drops it.
   * Called for each Ready in queue order, once its appends are queued.
   */
  private sendAhead(item: Item, allowed: boolean): void {
    const ahead = allowed && this.sendingAsync === undefined && item.serving.kind === 'leader'
      && this.peer.isEstablishedLeader && item.serving.epoch === this.peer.epoch;
    const holds: ServerId[] = [];
    const hold = (peer: ServerId): void => {
      holds.push(peer);
      this.heldBack.set(peer, (this.heldBack.get(peer) ?? 0) + 1);
    };
    // In message order: what this very Ready holds for a learner (a sync's DIFF before its
    // PROPOSALs) holds that learner's later PROPOSALs too.
    item.ready.messages.forEach((m, index) => {
      const type = m.envelope.kind === 'zab' ? m.envelope.m.type : undefined;
      if (ahead && type === 'PROPOSAL' && (this.heldBack.get(m.to) ?? 0) === 0) {
        this.transport.send(m.to, m.envelope);
        (item.sentAhead ??= new Set()).add(index);
      } else if (type !== 'COMMIT' && type !== 'PING') {
        hold(m.to);
      }
    });
    for (const peer of item.ready.close) hold(peer);
    item.holds = holds;
  }

  /** The Ready completes: what it held back may go ahead again. */
  private release(item: Item): void {
    for (const peer of item.holds ?? []) {
      const count = (this.heldBack.get(peer) ?? 0) - 1;
      if (count > 0) this.heldBack.set(peer, count);
      else this.heldBack.delete(peer);
    }
  }

  /** Is every txn appended by the Readys before `index` durable? (Only before epoch files, TRUNC and SNAP.) */
  private appendsDurableBefore(index: number): boolean {
    for (let i = this.itemsHead; i < index; i++) {
      const waitZxid = this.items[i]!.waitZxid;
      if (waitZxid !== undefined && this.durableZxid < waitZxid) return false;
    }
    return true;
  }

  private appendAll(item: Item): void {
    const append = item.ready.persist.append;
    for (const entry of append) this.options.txnLog.appendEncoded(entry.zxid, entry.data);
    if (append.length > 0) item.waitZxid = append[append.length - 1]!.zxid;
  }

  /** Epoch files, TRUNC and SNAP: made durable before this Ready's appends and anything after. */
  private async persistSlowly(item: Item): Promise<void> {
    const { fs, dataDir, dataLogDir, server, txnLog, log } = this.options;
    const p = item.ready.persist;
    if (p.acceptedEpoch !== undefined) await writeEpoch(fs, dataDir, 'acceptedEpoch', p.acceptedEpoch);
    if (p.currentEpoch !== undefined) await writeEpoch(fs, dataDir, 'currentEpoch', p.currentEpoch);
    if (p.truncateTo === undefined && p.snapshot === undefined) return;
    if (server.serving) server.stopServing('this server is re-syncing with its leader');
    this.serving = { kind: 'none' };
    await txnLog.rewind();
    this.durableZxid = -1n;
    if (p.snapshot !== undefined) {
      const { zxid, state } = p.snapshot;
      const dir = versionDir(dataDir);
      await fs.writeFileAtomic(joinPath(dir, snapshotFileName(zxid)), state);
      // Every logged txn is now covered by the snapshot or was never committed.
      const logDir = versionDir(dataLogDir);
      for (const f of sortDataFiles(await fs.list(logDir), LOG_PREFIX)) await fs.remove(joinPath(logDir, f.name));
      await fs.syncDir(logDir);
      log('INFO', `SNAP from the leader: snapshot ${zxidHex(zxid)} (${state.length} bytes) replaces this server's data`, 'quorum');
    } else {
      const cut = await truncateLog(fs, dataLogDir, p.truncateTo!);
      const dirty = await removeSnapshotsAfter(fs, dataDir, p.truncateTo!);
      log('INFO', `TRUNC from the leader: txn log cut back to ${zxidHex(p.truncateTo!)} (${cut.txnsDropped} txns dropped${dirty.length === 0 ? '' : `, snapshots ${dirty.join(', ')} removed`})`, 'quorum');
    }
    const reloaded = await this.options.reload();
    if (p.truncateTo !== undefined && reloaded.tree.lastProcessedZxid !== p.truncateTo) {
      throw new Error(`after TRUNC to ${zxidHex(p.truncateTo)} the tree reloaded from disk is at ${zxidHex(reloaded.tree.lastProcessedZxid)}`);
    }
    server.replaceTree(reloaded.tree, reloaded.sessions);
    this.installMembership();
  }

  /**
   * Puts the membership in effect into the tree's /zookeeper/config. A tree reloaded from disk
   * after TRUNC or SNAP holds whatever config the disk had (zoo.cfg's unversioned one when no
   * snapshot carried it), and a learner asks its leader for the config only when it changes
   * what it serves, comparing with this host's view: without this, the reloaded server kept
   * serving an older /zookeeper/config than every other member (found by the server simulator).
   */
  private installMembership(): void {
    const tree = this.options.server.tree;
    const text = formatMembership(this.membershipValue);
    if (tree.getNode(CONFIG_NODE)?.data?.toString('utf8') === text) return;
    tree.setConfigData(Buffer.from(text, 'utf8'), this.membershipValue.version, BigInt(this.options.timers.nowMs()));
  }

  /** Completes Readys from the head, in order, once their persist is durable. */
  private completeHead(): void {
    while (this.itemsHead < this.items.length && this.sendingAsync === undefined) {
      const head = this.items[this.itemsHead]!;
      if (head.phase !== 'persisted') return;
      if (head.waitZxid !== undefined && this.durableZxid < head.waitZxid) return;
      this.itemsHead++;
      this.compactItems();
      this.complete(head);
    }
  }

  /** Drops completed Readys from the array: all of them once none is left, else in large runs. */
  private compactItems(): void {
    const done = this.itemsHead;
    if (done === this.items.length) {
      this.items.length = 0;
    } else if (done >= 1024 && done * 2 >= this.items.length) {
      this.items.splice(0, done);
    } else {
      return;
    }
    this.itemsHead = 0;
    this.nextToStart -= done;
  }

  private complete(item: Item): void {
    const { server } = this.options;
    for (const entry of item.ready.committed) {
      const txn = this.proposed.get(entry.zxid) ?? decodeEntry(entry);
      this.proposed.delete(entry.zxid);
      const before = server.lastProcessedZxid;
      server.commit(txn);
      if (server.lastProcessedZxid !== before) {
        this.options.onApplied?.(txn);
        if (txn.body.type === OpCode.reconfig && txn.body.data !== null) this.activate(parseMembershipText(txn.body.data.toString('utf8')));
      }
    }
    this.switchServing(item.serving);
    const sentAhead = item.sentAhead;
    const messages = sentAhead === undefined ? item.ready.messages : item.ready.messages.filter((_, index) => !sentAhead.has(index));
    this.release(item);
    if (messages.some((m) => m.envelope.kind === 'zab' && m.envelope.m.type === 'SNAP')) {
      this.sendingAsync = this.sendWithSnapshot(messages, item.ready.close).finally(() => {
        this.sendingAsync = undefined;
        this.pump();
      });
      return;
    }
    for (const m of messages) this.transport.send(m.to, m.envelope);
    for (const peer of item.ready.close) this.transport.drop(peer);
  }

  /** A SNAP goes out with a snapshot of the tree as it is now (nothing is applied meanwhile). */
  private async sendWithSnapshot(messages: ZabReady['messages'], close: ServerId[]): Promise<void> {
    let snapshot: { zxid: bigint; state: Buffer } | undefined;
    try {
      const written = await this.options.snapshotNow();
      snapshot = { zxid: written.zxid, state: await this.options.fs.readFile(written.path) };
      this.options.log('INFO', `sending snapshot ${zxidHex(written.zxid)} (${snapshot.state.length} bytes) to a learner too far behind to DIFF`, 'quorum');
    } catch (e) {
      this.options.log('ERROR', `cannot take the snapshot a learner needs: ${(e as Error).message}; dropping its link`, 'quorum');
    }
    for (const m of messages) {
      if (m.envelope.kind === 'zab' && m.envelope.m.type === 'SNAP') {
        if (snapshot === undefined) {
          this.transport.drop(m.to);
          continue;
        }
        this.transport.send(m.to, { kind: 'zab', m: { type: 'SNAP', zxid: snapshot.zxid, state: snapshot.state } });
      } else {
        this.transport.send(m.to, m.envelope);
      }
    }
    for (const peer of close) this.transport.drop(peer);
  }

  private switchServing(next: Serving): void {
    const current = this.serving;
    if (sameServing(current, next)) return;
    const { server, log } = this.options;
    if (current.kind !== 'none' || server.serving || server.readOnly) server.stopServing(next.kind === 'none' ? 'this server lost its leader' : 'this server changed role');
    this.serving = next;
    // The leader versions a never-reconfigured config; learners take the leader's config.
    if (next.kind === 'leader') this.versionInitialConfig(next.epoch);
    // Proposals of a leadership that ended are decided by the next leader, from their bytes.
    if (current.kind === 'leader') this.proposed.clear();
    if (this.readOnlyTimer !== undefined) this.options.timers.clear(this.readOnlyTimer);
    this.readOnlyTimer = undefined;
    this.electedAtMs = this.options.timers.nowMs();
    switch (next.kind) {
      case 'leader':
        server.leadEpoch(next.epoch);
        log('INFO', `LEADING: established leader of epoch ${next.epoch} (last zxid ${zxidHex(server.lastProcessedZxid)})`, 'quorum');
        return;
      case 'follower':
      case 'observer': {
        const leader = next.leader;
        server.learnFrom(next.kind, {
          forward: (request) => this.transport.send(leader, { kind: 'learner', m: { type: 'REQUEST', request } }),
          sync: (id) => this.transport.send(leader, { kind: 'learner', m: { type: 'SYNC', id } }),
        });
        this.transport.send(leader, { kind: 'learner', m: { type: 'CONFIG', text: '' } });
        log('INFO', `${next.kind === 'follower' ? 'FOLLOWING' : 'OBSERVING'} leader ${leader} (synced at ${zxidHex(server.lastProcessedZxid)})`, 'quorum');
        return;
      }
      case 'none':
        log('INFO', 'LOOKING: not serving clients until a leader is established', 'quorum');
        this.armReadOnly();
        return;
    }
  }

  /**
   * ZOOKEEPER-1783: a config never changed by reconfig (version 0) takes the version of the first
   * epoch established with it, epoch << 32, on the leader and every learner alike.
   */
  private versionInitialConfig(epoch: bigint): void {
    if (this.membershipValue.version !== 0n) return;
    const membership = { ...this.membershipValue, version: makeZxid(epoch, 0n) };
    this.membershipValue = membership;
    const text = formatMembership(membership);
    this.options.server.tree.setConfigData(Buffer.from(text, 'utf8'), membership.version, BigInt(this.options.timers.nowMs()));
    void this.options.onMembership?.(membership, text).catch((e: Error) => this.options.log('WARN', `cannot write the dynamic config file: ${e.message}`, 'quorum'));
  }

  /** A learner takes the config its leader has in effect (unless it already has a newer one). */
  private adoptLeaderConfig(text: string): void {
    let membership: Membership;
    try {
      membership = parseMembershipText(text);
    } catch (e) {
      this.options.log('WARN', `the leader sent an unreadable config: ${(e as Error).message}`, 'quorum');
      return;
    }
    if (formatMembership(membership) === formatMembership(this.membershipValue)) return;
    // An older version is refused, except for the same servers: then only the version of the
    // initial config differs (ZOOKEEPER-1783 stamps it with the first epoch established with
    // it, and a server that restarted and led may have stamped a later one), and the leader's
    // is the ensemble's. Refusing it left members reporting different versions of one config
    // (found by the server simulator).
    if (membership.version < this.membershipValue.version && !sameServers(membership, this.membershipValue)) return;
    this.options.server.tree.setConfigData(Buffer.from(text, 'utf8'), membership.version, BigInt(this.options.timers.nowMs()));
    this.membershipValue = membership;
    this.transport.setPeers(peerAddresses(membership, this.options.self));
    void this.options.onMembership?.(membership, text).catch((e: Error) => this.options.log('WARN', `cannot write the dynamic config file: ${e.message}`, 'quorum'));
    this.enqueue(this.peer.activateMembership(votersOf(membership), observersOf(membership)));
  }

  /** A committed reconfig: the new membership takes effect here (the leader's peer already switched). */
  private activate(membership: Membership): void {
    this.membershipValue = membership;
    this.transport.setPeers(peerAddresses(membership, this.options.self));
    const text = formatMembership(membership);
    this.options.log('INFO', `reconfig committed, membership version ${membership.version.toString(16)}: ${membership.servers.map((s) => `server.${s.id} (${s.type})`).join(', ')}`, 'quorum');
    void this.options.onMembership?.(membership, text).catch((e: Error) => this.options.log('WARN', `cannot write the dynamic config file: ${e.message}`, 'quorum'));
    this.enqueue(this.peer.activateMembership(votersOf(membership), observersOf(membership)));
  }

  /** With readonlymode.enabled: a grace period without a leader, then read-only clients are served. */
  private armReadOnly(): void {
    const after = this.options.readOnlyAfterMs;
    if (after === undefined || this.readOnlyTimer !== undefined) return;
    this.readOnlyTimer = this.options.timers.setTimeout(after, () => {
      this.readOnlyTimer = undefined;
      if (this.stopped || this.serving.kind !== 'none') return;
      this.options.server.serveReadOnly();
      this.options.log('INFO', 'Read-only server started: no leader, serving clients that accept read-only sessions', 'quorum');
    });
  }

  private fail(error: Error): void {
    if (this.failed !== undefined) return;
    this.failed = error;
    this.options.log('ERROR', `quorum peer failed, leaving the ensemble: ${error.stack ?? error.message}`, 'quorum');
    this.options.server.stopServing('this server failed');
    this.serving = { kind: 'none' };
    void this.stop();
  }
}

function decodeEntry(entry: Entry): TxnEntry {
  return decodeTxn(Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength));
}

function sameServers(a: Membership, b: Membership): boolean {
  return formatMembership({ ...a, version: 0n }) === formatMembership({ ...b, version: 0n });
}

function isEmpty(ready: ZabReady): boolean {
  const p = ready.persist;
  return p.append.length === 0 && p.acceptedEpoch === undefined && p.currentEpoch === undefined && p.truncateTo === undefined && p.snapshot === undefined
    && ready.messages.length === 0 && ready.committed.length === 0 && ready.close.length === 0 && ready.role === undefined;
}

function sameServing(a: Serving, b: Serving): boolean {
  if (a.kind === 'none' || b.kind === 'none') return a.kind === b.kind;
  if (a.kind === 'leader' || b.kind === 'leader') return a.kind === b.kind && (a as { epoch: bigint }).epoch === (b as { epoch: bigint }).epoch;
  return a.kind === b.kind && a.leader === b.leader;
}

/**
 * Removes the snapshots taken after `zxid`: a TRUNC says every txn after it was never committed,
 * and a snapshot of a tree that held them (a tree recovered from an uncommitted log tail, as a
 * leader that never established snapshots to SNAP a learner) would bring them back when the tree
 * is reloaded (ZooKeeper's ZOOKEEPER-1549, "dirty snapshot"; found by the server simulator).
 */
async function removeSnapshotsAfter(fs: FileSystem, dataDir: string, zxid: bigint): Promise<string[]> {
  const dir = versionDir(dataDir);
  const dirty = (await listSnapshots(fs, dataDir)).filter((f) => f.zxid > zxid).map((f) => f.name);
  for (const name of dirty) await fs.remove(joinPath(dir, name));
  if (dirty.length > 0) await fs.syncDir(dir);
  return dirty;
}

/** The logged txns after `afterZxid` (the loaded snapshot's), as ZAB entries. */
async function loggedEntries(fs: FileSystem, dataLogDir: string, afterZxid: bigint): Promise<Entry[]> {
  const dir = versionDir(dataLogDir);
  const logs = logFilesFrom(sortDataFiles(await fs.list(dir), LOG_PREFIX).filter((f) => f.suffix === ''), afterZxid);
  const reader = LogReader.open(fs, logs.map((f) => joinPath(dir, f.name)), { fromZxid: afterZxid + 1n });
  const entries: Entry[] = [];
  for (let e = await reader.next(); e !== undefined; e = await reader.next()) entries.push({ zxid: e.header.zxid, data: encodeTxn(e) });
  return entries;
}
