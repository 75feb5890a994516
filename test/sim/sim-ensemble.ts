// Whole servers in the simulated world: each is the production member (src/main/member.ts:
// recovery, pipeline, group-committed txn log, snapshots, session clock, quorum host) started
// from a zoo.cfg through the real config parser, on a simulated disk, clock and network. A crash
// kills the incarnation (its timers, links and client sockets) and the disk loses what was not
// synced; a restart recovers from that disk through the real recovery code. The ensemble also
// records what server-level checkers need: every txn each incarnation applied, leaders by epoch,
// and every ERROR a server logged.
import { parseServerConfig, type ServerConfig } from '../../src/config/server-config.js';
import { startMember, type Member } from '../../src/main/member.js';
import { ClientConnection } from '../../src/server/connection.js';
import { encodeTxn } from '../../src/proto/txn.js';
import { limits } from '../../src/config/limits.js';
import type { Logger } from '../../src/runtime/logger.js';
import { SimDisk } from './sim-disk.js';
import { serverNode, type PeerNetwork } from './sim-network.js';
import type { ClientNetwork } from './sim-client-net.js';
import { TimerOwner, type SimWorld } from './world.js';

/** ZooKeeper's tick; peer ticks stay at PEER_TICK_MS (50 ms). */
export const SIM_TICK_TIME_MS = 200;
export const CLIENT_PORT = 2181;

/** Txns one incarnation applied, in order. */
export interface AppliedRun {
  readonly server: bigint;
  readonly incarnation: number;
  readonly zxids: bigint[];
}

export class SimServer {
  readonly disk: SimDisk;
  member: Member | undefined;
  owner: TimerOwner | undefined;
  private listener: { close(): void } | undefined;
  incarnation = 0;
  /** Up (started or starting), as opposed to crashed. */
  up = false;

  constructor(readonly id: bigint, readonly config: ServerConfig, world: SimWorld) {
    this.disk = new SimDisk(world);
  }

  get node(): string {
    return serverNode(this.id);
  }

  setListener(listener: { close(): void } | undefined): void {
    this.listener = listener;
  }

  closeListener(): void {
    this.listener?.close();
    this.listener = undefined;
  }
}

export class SimEnsemble {
  readonly servers = new Map<bigint, SimServer>();
  /** zxid -> the txn's bytes (base64), as the first server to apply it had them. */
  readonly history = new Map<bigint, string>();
  readonly applied: AppliedRun[] = [];
  readonly leaders = new Map<bigint, bigint>();
  /** When each server served as an established leader (`to` undefined: still does). */
  readonly leadership: Array<{ server: bigint; from: number; to: number | undefined }> = [];
  readonly errors: string[] = [];
  crashes = 0;
  restarts = 0;

  constructor(
    private readonly world: SimWorld,
    readonly ids: bigint[],
    private readonly peers: PeerNetwork,
    private readonly clients: ClientNetwork,
    snapCount: number,
    /** The members of `ids` that observe rather than vote. */
    observers: ReadonlySet<bigint> = new Set(),
  ) {
    const lines = ids.map((id) => `server.${id}=${serverNode(id)}:2888:3888${observers.has(id) ? ':observer' : ''}`);
    for (const id of ids) {
      const text = [
        ...(observers.has(id) ? ['peerType=observer'] : []),
        `tickTime=${SIM_TICK_TIME_MS}`, 'initLimit=10', 'syncLimit=5', `dataDir=/data/${serverNode(id)}`,
        `clientPort=${CLIENT_PORT}`, `clientPortAddress=${serverNode(id)}`, `snapCount=${snapCount}`, 'admin.enableServer=false', ...lines,
      ].join('\n');
      const config = parseServerConfig({ file: `/conf/${serverNode(id)}/zoo.cfg`, text }, {}, { myid: { file: `/data/${serverNode(id)}/myid`, text: `${id}\n` } });
      this.servers.set(id, new SimServer(id, config, world));
    }
  }

  get connectString(): string {
    return this.ids.map((id) => `${serverNode(id)}:${CLIENT_PORT}`).join(',');
  }

  server(id: bigint): SimServer {
    const s = this.servers.get(id);
    if (s === undefined) throw new Error(`no server ${id}`);
    return s;
  }

  /** Starts (or restarts after a crash) one server from its disk. */
  start(id: bigint): void {
    const s = this.server(id);
    if (s.up) return;
    s.up = true;
    s.incarnation++;
    const incarnation = s.incarnation;
    const owner = new TimerOwner();
    s.owner = owner;
    const run: AppliedRun = { server: id, incarnation, zxids: [] };
    this.applied.push(run);
    this.world.trace(`start ${id}.${incarnation}`);
    const log: Logger = (level, message) => {
      if (!owner.alive) return;
      if (process.env.SIM_LOG !== undefined) console.log(`${this.world.now.toFixed(1)} s${id}.${incarnation} ${level} ${message}`);
      if (level === 'ERROR') this.errors.push(`t=${this.world.now} server ${id}.${incarnation}: ${message}`);
      const leading = /^LEADING: established leader of epoch (\d+)/.exec(message);
      if (leading !== null) this.onLeading(id, BigInt(leading[1]!));
      else if (/^(LOOKING: not serving|FOLLOWING leader|OBSERVING leader|quorum peer failed)/.test(message)) this.endLeadership(id);
      if (message.startsWith('LEADING') || message.startsWith('FOLLOWING') || message.startsWith('LOOKING')) this.world.trace(`${id}: ${message}`);
    };
    void startMember(s.config, true, {
      fs: s.disk,
      timers: this.world.timersFor(owner),
      random: () => this.world.rng.nextUint32() / 0x1_0000_0000,
      yieldNow: () => Promise.resolve(),
      peerLinks: (_plan, handlers) => this.peers.linksFor(id, {
        onEnvelope: (from, envelope) => {
          if (owner.alive) handlers.onEnvelope(from, envelope);
        },
        onLinkLost: (peer) => {
          if (owner.alive) handlers.onLinkLost(peer);
        },
      }),
      log,
    }, {
      onApplied: (entry) => {
        if (!owner.alive) return;
        const zxid = entry.header.zxid;
        const bytes = encodeTxn(entry).toString('base64');
        const known = this.history.get(zxid);
        if (known === undefined) this.history.set(zxid, bytes);
        else if (known !== bytes) this.errors.push(`t=${this.world.now} server ${id}.${incarnation} applied a different txn as 0x${zxid.toString(16)} than another server did`);
        const last = run.zxids.at(-1);
        if (last !== undefined && zxid <= last) this.errors.push(`t=${this.world.now} server ${id}.${incarnation} applied 0x${zxid.toString(16)} after 0x${last.toString(16)}`);
        run.zxids.push(zxid);
      },
      onLogFailure: (error) => this.errors.push(`server ${id}.${incarnation}: txn log failed: ${error.message}`),
    }).then((member) => {
      if (!owner.alive) return;
      s.member = member;
      s.setListener(this.clients.listen(`${s.node}:${CLIENT_PORT}`, s.node, (port) => {
        const connection = new ClientConnection(port, member.server, {
          maxFrameBytes: s.config.juteMaxBuffer + limits.juteMaxBufferExtra,
          fourLetter: () => undefined,
          log: () => undefined,
        });
        return { onData: (chunk) => connection.onData(chunk), onClosed: () => connection.onClosed() };
      }));
    }, (e: Error) => {
      if (owner.alive) this.errors.push(`server ${id}.${incarnation} failed to start: ${e.stack ?? e.message}`);
    });
  }

  /** Power loss: timers, links and client sockets die; the disk keeps only what was synced. */
  crash(id: bigint): void {
    const s = this.server(id);
    if (!s.up) return;
    this.crashes++;
    this.world.trace(`crash ${id}`);
    s.up = false;
    this.endLeadership(id);
    s.owner?.kill();
    this.peers.crash(id);
    s.closeListener();
    s.disk.crash();
    s.member = undefined;
  }

  restart(id: bigint): void {
    this.restarts++;
    this.start(id);
  }

  private endLeadership(id: bigint): void {
    for (const l of this.leadership) if (l.server === id && l.to === undefined) l.to = this.world.now;
  }

  /** Did two servers both serve as leader at some moment in [from, to]? */
  twoLeadersDuring(from: number, to: number): boolean {
    const spans = this.leadership;
    for (let i = 0; i < spans.length; i++) {
      for (let j = i + 1; j < spans.length; j++) {
        const a = spans[i]!;
        const b = spans[j]!;
        if (a.server === b.server) continue;
        const start = Math.max(a.from, b.from, from);
        const end = Math.min(a.to ?? Number.POSITIVE_INFINITY, b.to ?? Number.POSITIVE_INFINITY, to);
        if (start <= end) return true;
      }
    }
    return false;
  }

  private onLeading(id: bigint, epoch: bigint): void {
    this.endLeadership(id);
    this.leadership.push({ server: id, from: this.world.now, to: undefined });
    const other = this.leaders.get(epoch);
    if (other !== undefined && other !== id) this.errors.push(`t=${this.world.now} two leaders established in epoch ${epoch}: ${other} and ${id}`);
    this.leaders.set(epoch, id);
  }

  /** Every server up, serving under one leader, at the same zxid. */
  converged(): boolean {
    let zxid: bigint | undefined;
    for (const s of this.servers.values()) {
      const m = s.member;
      if (m === undefined || m.quorum === undefined || m.quorum.state === 'looking' || !m.server.serving) return false;
      const z = m.server.lastProcessedZxid;
      if (zxid !== undefined && z !== zxid) return false;
      zxid = z;
    }
    return true;
  }
}
