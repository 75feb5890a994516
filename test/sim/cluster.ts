// An in-memory ensemble of real ZabPeers, driven tick by tick: the host side of the Ready
// contract, a network of FIFO links with delays (from a seeded Prng), links cut and healed,
// crashes and restarts from what each server persisted, and checkers that run on every commit.
// Used by the randomized simulation (zab.test.ts) and the scripted scenarios
// (zab-scenarios.test.ts), which also use its scripting hooks: links paused (messages queue, as
// on a stalled TCP connection), and an interceptor that can crash a server exactly when a given
// message reaches it (before handling it, after persisting what it caused, or after all of it).
// Nothing here draws from the Prng except message delays, fault injection and random proposals,
// so a seed replays exactly.
import assert from 'node:assert/strict';
import { ZabPeer, type DurableState, type Envelope, type ZabReady } from '../../src/zab/peer.js';
import type { Entry } from '../../src/zab/messages.js';
import type { ServerId } from '../../src/election/vote.js';
import type { Prng } from '../../src/util/prng.js';

export interface SimNode {
  readonly id: ServerId;
  peer: ZabPeer;
  durable: { acceptedEpoch: bigint; currentEpoch: bigint; entries: Entry[] };
  up: boolean;
  /** Committed entries since the last (re)start, in order. */
  committed: Entry[];
}

export interface Packet {
  at: number;
  from: ServerId;
  to: ServerId;
  envelope: Envelope;
}

/**
 * What to do with a packet about to reach a server: hand it over (the default), or crash the
 * server before it handles it, after it persisted what the packet caused (nothing sent, nothing
 * applied), or after it handled it completely.
 */
export type Intercept = 'deliver' | 'crashBefore' | 'crashAfterPersist' | 'crashAfter';

export interface ClusterOptions {
  /** Committed txns each peer keeps for DIFF; small values force SNAPs. */
  readonly historyRetained?: number;
  readonly initLimitTicks?: number;
  readonly syncLimitTicks?: number;
  /** Extra checks for scripted runs: committed zxids strictly increase along the one history. */
  readonly strict?: boolean;
}

export function text(data: Uint8Array): string {
  return Buffer.from(data).toString();
}

export function hex(zxid: bigint): string {
  return `0x${zxid.toString(16)}`;
}

export class Cluster {
  readonly nodes = new Map<ServerId, SimNode>();
  private packets: Packet[] = [];
  /** Latest delivery time per directed link, so each link stays FIFO. */
  private readonly linkClock = new Map<string, number>();
  private readonly cut = new Set<string>();
  /** Directed links `a>b` whose packets are held (queued, in order) until resumed. */
  private readonly paused = new Set<string>();
  now = 0;
  /** The one history: what was committed at each position. */
  readonly history: Entry[] = [];
  /** Txns a leader committed (what a client was told succeeded), by zxid. */
  readonly acknowledged = new Map<bigint, string>();
  readonly leaders = new Map<bigint, ServerId>();
  /** Entries some server dropped from its log on a TRUNC, in order, with who dropped them. */
  readonly truncated: Array<{ node: ServerId; entry: Entry; at: number }> = [];
  private proposals = 0;
  snapshotsInstalled = 0;
  /**
   * Scripting hook: decides what happens to each packet about to be handed to a server. It may
   * also act on the cluster itself (crash another server, cut a link) before answering.
   */
  intercept: ((node: SimNode, packet: Packet) => Intercept | undefined) | undefined;
  private readonly historyRetained: number;
  private readonly initLimitTicks: number;
  private readonly syncLimitTicks: number;
  private readonly strict: boolean;

  constructor(
    private readonly rng: Prng,
    readonly voters: ServerId[],
    readonly observers: ServerId[],
    private readonly maxDelay: number,
    options: number | ClusterOptions = {},
  ) {
    const o: ClusterOptions = typeof options === 'number' ? { historyRetained: options } : options;
    this.historyRetained = o.historyRetained ?? 10_000;
    this.initLimitTicks = o.initLimitTicks ?? 60;
    this.syncLimitTicks = o.syncLimitTicks ?? 30;
    this.strict = o.strict ?? false;
    for (const id of [...voters, ...observers]) {
      const durable = { acceptedEpoch: 0n, currentEpoch: 0n, entries: [] as Entry[] };
      this.nodes.set(id, { id, peer: this.newPeer(id, durable), durable, up: false, committed: [] });
    }
  }

  node(id: ServerId): SimNode {
    const node = this.nodes.get(id);
    assert.ok(node !== undefined, `no server ${id}`);
    return node;
  }

  private newPeer(id: ServerId, durable: DurableState): ZabPeer {
    return new ZabPeer({ self: id, voters: new Set(this.voters), observers: new Set(this.observers), initLimitTicks: this.initLimitTicks, syncLimitTicks: this.syncLimitTicks, historyRetained: this.historyRetained }, durable);
  }

  private key(a: ServerId, b: ServerId): string {
    return a < b ? `${a}-${b}` : `${b}-${a}`;
  }

  /** Makes a Ready's `persist` durable, exactly as the contract says. */
  private persist(node: SimNode, ready: ZabReady): void {
    const p = ready.persist;
    if (p.acceptedEpoch !== undefined) node.durable.acceptedEpoch = p.acceptedEpoch;
    if (p.currentEpoch !== undefined) node.durable.currentEpoch = p.currentEpoch;
    if (p.snapshot !== undefined) {
      // SNAP: the leader's committed history replaces everything this server logged.
      const state = decodeState(p.snapshot.state);
      node.durable.entries = state;
      node.committed = [];
      for (const entry of state) this.onCommitted(node, entry);
      this.snapshotsInstalled++;
    }
    if (p.truncateTo !== undefined) {
      const cutAt = p.truncateTo;
      for (const entry of node.durable.entries) if (entry.zxid > cutAt) this.truncated.push({ node: node.id, entry, at: this.now });
      node.durable.entries = node.durable.entries.filter((e) => e.zxid <= cutAt);
    }
    node.durable.entries.push(...p.append);
  }

  /** Handles a Ready exactly as the contract says: persist, then send, then apply. */
  private handle(node: SimNode, ready: ZabReady): void {
    this.persist(node, ready);
    this.sendAndApply(node, ready);
  }

  private sendAndApply(node: SimNode, ready: ZabReady): void {
    for (const { to, envelope } of ready.messages) {
      // The host attaches its state to a SNAP: here, the committed history up to its zxid.
      if (envelope.kind === 'zab' && envelope.m.type === 'SNAP') {
        const upTo = envelope.m.zxid;
        const state = encodeState(node.durable.entries.filter((e) => e.zxid <= upTo));
        this.send(node.id, to, { kind: 'zab', m: { type: 'SNAP', zxid: upTo, state } });
        continue;
      }
      this.send(node.id, to, envelope);
    }
    for (const entry of ready.committed) this.onCommitted(node, entry);
    for (const peer of ready.close) this.breakLink(node.id, peer);
    if (node.peer.isEstablishedLeader) {
      const holder = this.leaders.get(node.peer.epoch);
      assert.ok(holder === undefined || holder === node.id, `two leaders established in epoch ${node.peer.epoch}: ${holder} and ${node.id}`);
      this.leaders.set(node.peer.epoch, node.id);
    }
  }

  private onCommitted(node: SimNode, entry: Entry): void {
    const position = node.committed.length;
    node.committed.push(entry);
    const known = this.history[position];
    const data = text(entry.data);
    if (known === undefined) {
      assert.equal(position, this.history.length, `server ${node.id} committed position ${position} with a gap`);
      if (this.strict && position > 0) {
        const previous = this.history[position - 1]!.zxid;
        assert.ok(entry.zxid > previous, `server ${node.id} committed ${hex(entry.zxid)}:${data} after ${hex(previous)}: zxids must increase along the history`);
      }
      this.history.push(entry);
    } else {
      assert.ok(known.zxid === entry.zxid && text(known.data) === data,
        `server ${node.id} committed ${entry.zxid.toString(16)}:${data} at position ${position}, where ${known.zxid.toString(16)}:${text(known.data)} was committed`);
    }
    if (node.peer.currentRole === 'LEADING') this.acknowledged.set(entry.zxid, data);
  }

  private send(from: ServerId, to: ServerId, envelope: Envelope): void {
    if (from === to) {
      this.packets.push({ at: this.now, from, to, envelope });
      return;
    }
    if (this.cut.has(this.key(from, to)) || !this.nodes.get(to)!.up) {
      // A send on a dead link fails at once, as a TCP send to a closed peer does.
      this.packets.push({ at: this.now + 1, from: to, to: from, envelope: { kind: 'zab', m: { type: 'PING' } } });
      this.lost.push([from, to]);
      return;
    }
    const link = `${from}>${to}`;
    const at = Math.max(this.linkClock.get(link) ?? 0, this.now + this.rng.below(this.maxDelay + 1));
    this.linkClock.set(link, at);
    this.packets.push({ at, from, to, envelope });
  }

  private lost: Array<[ServerId, ServerId]> = [];

  /** A link breaks: in-flight messages on it are gone, and both ends are told. */
  private breakLink(a: ServerId, b: ServerId): void {
    this.packets = this.packets.filter((p) => !((p.from === a && p.to === b) || (p.from === b && p.to === a)));
    this.lost.push([a, b], [b, a]);
  }

  start(id: ServerId): void {
    const node = this.nodes.get(id)!;
    node.peer = this.newPeer(id, node.durable);
    node.up = true;
    node.committed = [];
    this.handle(node, node.peer.start());
  }

  crash(id: ServerId): void {
    const node = this.nodes.get(id)!;
    node.up = false;
    for (const other of this.nodes.keys()) if (other !== id) this.breakLink(id, other);
  }

  cutLink(a: ServerId, b: ServerId): void {
    this.cut.add(this.key(a, b));
    this.breakLink(a, b);
  }

  /** Cuts every link between the two sides. */
  partition(side: readonly ServerId[], other: readonly ServerId[]): void {
    for (const a of side) for (const b of other) this.cutLink(a, b);
  }

  /** Holds every packet between a and b (both ways) without breaking the link: a stalled connection. */
  pause(a: ServerId, b: ServerId): void {
    this.paused.add(`${a}>${b}`);
    this.paused.add(`${b}>${a}`);
  }

  resume(a: ServerId, b: ServerId): void {
    this.paused.delete(`${a}>${b}`);
    this.paused.delete(`${b}>${a}`);
  }

  /** Heals every cut (paused links stay paused) and restarts every crashed server. */
  healAll(): void {
    this.cut.clear();
    for (const [id, node] of this.nodes) if (!node.up) this.start(id);
  }

  /** Heals every cut and pause, restarting nobody. */
  healNetwork(): void {
    this.cut.clear();
    this.paused.clear();
  }

  /** One tick of simulated time: lost links reported, due packets delivered, every server ticked. */
  advance(): void {
    this.now++;
    const lost = this.lost;
    this.lost = [];
    for (const [at, peer] of lost) {
      const node = this.nodes.get(at)!;
      if (node.up) this.handle(node, node.peer.linkLost(peer));
    }
    const isDue = (p: Packet) => p.at <= this.now && !this.paused.has(`${p.from}>${p.to}`);
    const due = this.packets.filter(isDue).sort((a, b) => a.at - b.at);
    this.packets = this.packets.filter((p) => !isDue(p));
    for (const p of due) {
      const to = this.nodes.get(p.to)!;
      if (!to.up || this.cut.has(this.key(p.from, p.to))) continue;
      if (p.envelope.kind === 'zab' && p.envelope.m.type === 'PING' && p.from !== p.to && !this.nodes.get(p.from)!.up) continue;
      // A sender crashed by a script earlier in this tick: its packets died with it (crash()
      // already dropped the ones still queued). Without scripts only the PINGs above get here.
      if (!this.nodes.get(p.from)!.up) continue;
      this.deliver(to, p);
    }
    for (const node of this.nodes.values()) if (node.up) this.handle(node, node.peer.tick());
  }

  private deliver(to: SimNode, p: Packet): void {
    const action = this.intercept?.(to, p) ?? 'deliver';
    if (action === 'crashBefore') {
      this.crash(to.id);
      return;
    }
    const ready = to.peer.step(p.from, p.envelope);
    this.persist(to, ready);
    if (action === 'crashAfterPersist') {
      this.crash(to.id);
      return;
    }
    this.sendAndApply(to, ready);
    if (action === 'crashAfter') this.crash(to.id);
  }

  step(proposalChance: number): void {
    this.advance();
    if (this.rng.chance(proposalChance)) {
      const leader = [...this.nodes.values()].find((n) => n.up && n.peer.isEstablishedLeader);
      if (leader !== undefined) {
        const out = leader.peer.propose(Buffer.from(`v${++this.proposals}`));
        if (out !== undefined) this.handle(leader, out.ready);
      }
    }
  }

  /** Proposes `data` on server `id` (which must be an established leader); returns its zxid. */
  propose(id: ServerId, data: string): bigint {
    const node = this.node(id);
    assert.ok(node.up && node.peer.isEstablishedLeader, `server ${id} is not an established leader (role ${node.peer.currentRole})`);
    const out = node.peer.propose(Buffer.from(data));
    assert.ok(out !== undefined, `server ${id} refused a proposal`);
    this.handle(node, out.ready);
    return out.zxid;
  }

  injectFault(): void {
    const ids = [...this.nodes.keys()];
    const roll = this.rng.below(100);
    if (roll < 30) {
      const victim = this.rng.pick(ids);
      if (this.nodes.get(victim)!.up) this.crash(victim);
    } else if (roll < 60) {
      const down = ids.filter((id) => !this.nodes.get(id)!.up);
      if (down.length > 0) this.start(this.rng.pick(down));
    } else if (roll < 85) {
      const a = this.rng.pick(ids);
      const b = this.rng.pick(ids);
      if (a !== b) this.cutLink(a, b);
    } else {
      this.cut.clear();
    }
  }
}

export function encodeState(entries: readonly Entry[]): Buffer {
  return Buffer.from(JSON.stringify(entries.map((e) => [e.zxid.toString(16), text(e.data)])));
}

export function decodeState(state: Uint8Array): Entry[] {
  return (JSON.parse(text(state)) as Array<[string, string]>).map(([z, d]) => ({ zxid: BigInt(`0x${z}`), data: Buffer.from(d) }));
}
