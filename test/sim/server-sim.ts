// One run of the whole-server simulator, from one seed: a 3- or 5-server ensemble (every fourth
// seed with an observer too) of production members (sim-ensemble.ts) and a few client sessions
// (sim-clients.ts) in a simulated world
// (world.ts, sim-network.ts, sim-client-net.ts, sim-disk.ts). A fault phase of `faultEvents`
// events injects crashes and restarts, peer-link resets, message drops, symmetric and one-way
// partitions between servers, client-server partitions and client connection resets; then a
// heal phase ends every fault, restarts every server, lets the clients finish and close, and
// waits for the ensemble to converge. The checkers (server-sim-checks.ts) judge the record.
import { ClientNetwork } from './sim-client-net.js';
import { ClientWorkload, type SessionRecord } from './sim-clients.js';
import { SimEnsemble } from './sim-ensemble.js';
import { Partitions, PeerNetwork, serverNode } from './sim-network.js';
import { WireRecorder } from './wire-recorder.js';
import { SimWorld } from './world.js';

export interface RunOptions {
  readonly faultEvents: number;
  /** Sim ms allowed for the heal phase before the run counts as not converging. */
  readonly healMs?: number;
}

export interface RunRecord {
  readonly seed: number;
  readonly world: SimWorld;
  readonly ensemble: SimEnsemble;
  readonly peers: PeerNetwork;
  readonly sessions: readonly SessionRecord[];
  readonly wire: WireRecorder;
  /** Sim time the fault phase ended. */
  readonly healedAt: number;
  readonly converged: boolean;
  readonly faults: string[];
  readonly stats: Record<string, number>;
}

export async function runServerSim(seed: number, options: RunOptions): Promise<RunRecord> {
  const world = new SimWorld(seed);
  const rng = world.rng;
  const voters = seed % 2 === 0 ? 3 : 5;
  // Every fourth seed adds an observer (a learner that serves clients but never votes).
  const size = voters + (seed % 4 === 3 ? 1 : 0);
  const ids = Array.from({ length: size }, (_, i) => BigInt(i + 1));
  const observers = new Set(ids.slice(voters));
  const partitions = new Partitions();
  // Mostly sub-millisecond to a few ms, sometimes a spike.
  const latencyMs = (): number => (rng.chance(0.02) ? 5 + rng.below(60) : 0.05 + rng.below(200) / 100);
  const peers = new PeerNetwork(world, partitions, latencyMs);
  const clientNet = new ClientNetwork(world, partitions, latencyMs);
  const wire = new WireRecorder();
  clientNet.observer = wire;
  const ensemble = new SimEnsemble(world, ids, peers, clientNet, rng.pick([20, 60, 10_000]), observers);
  for (const id of ids) ensemble.start(id);
  const workload = new ClientWorkload(world, clientNet, ensemble.connectString);
  const slots = 3 + rng.below(2);
  for (let slot = 1; slot <= slots; slot++) workload.start(slot);

  const faults: string[] = [];
  const note = (what: string): void => {
    faults.push(`${world.now.toFixed(1)}ms ${what}`);
    world.trace(`fault ${what}`);
  };
  let faulting = true;
  const clientNodes = Array.from({ length: slots }, (_, i) => `c${i + 1}`);
  const injectFault = (): void => {
    if (!faulting) return;
    const roll = rng.below(100);
    const id = rng.pick(ids);
    const s = ensemble.server(id);
    const crashAndRestart = (): void => {
      if (!s.up) return;
      ensemble.crash(id);
      note(`crash ${id}`);
      world.schedule(100 + rng.below(1500), () => {
        if (!faulting || s.up) return;
        ensemble.restart(id);
        note(`restart ${id}`);
      });
    };
    if (roll < 12) {
      crashAndRestart();
    } else if (roll < 20) {
      // Power loss while an fsync is in flight: what it covers may be lost or torn.
      if (s.up) s.disk.whenNextSync(() => {
        if (faulting) crashAndRestart();
      });
    } else if (roll < 32) {
      const other = rng.pick(ids.filter((x) => x !== id));
      peers.breakLink(id, other);
      note(`reset link ${id}-${other}`);
    } else if (roll < 47) {
      for (const other of ids) if (other !== id) {
        partitions.block(serverNode(id), serverNode(other));
        partitions.block(serverNode(other), serverNode(id));
      }
      note(`isolate ${id}`);
      healLater();
    } else if (roll < 57) {
      const other = rng.pick(ids.filter((x) => x !== id));
      partitions.block(serverNode(id), serverNode(other));
      note(`one-way ${id}>${other}`);
      healLater();
    } else if (roll < 67) {
      const minority = ids.filter(() => rng.chance(0.4));
      for (const a of minority) for (const b of ids) if (!minority.includes(b)) {
        partitions.block(serverNode(a), serverNode(b));
        partitions.block(serverNode(b), serverNode(a));
      }
      note(`split [${minority.join(',')}] from the rest`);
      healLater();
    } else if (roll < 75) {
      peers.dropRate = rng.pick([0.001, 0.005, 0.02]);
      note(`drop rate ${peers.dropRate}`);
      world.schedule(200 + rng.below(2000), () => {
        peers.dropRate = 0;
      });
    } else if (roll < 87) {
      const client = rng.pick(clientNodes);
      clientNet.cut(client);
      note(`reset ${client}'s connections`);
    } else {
      const client = rng.pick(clientNodes);
      partitions.block(client, s.node);
      if (rng.chance(0.7)) partitions.block(s.node, client);
      note(`partition ${client} from ${id}`);
      healLater();
    }
    refresh();
  };
  const refresh = (): void => {
    peers.refresh();
    clientNet.refresh();
  };
  function healLater(): void {
    world.schedule(300 + rng.below(4000), () => {
      if (!faulting) return;
      partitions.clear();
      refresh();
      note('partitions healed');
    });
  }
  const scheduleFaults = (): void => {
    world.schedule(50 + rng.below(600), () => {
      if (!faulting) return;
      injectFault();
      scheduleFaults();
    });
  };
  // The ensemble forms before the first fault.
  world.schedule(800, scheduleFaults);

  await world.runUntil(() => false, Number.POSITIVE_INFINITY, options.faultEvents);
  faulting = false;
  const healedAt = world.now;
  partitions.clear();
  peers.dropRate = 0;
  refresh();
  for (const id of ids) if (!ensemble.server(id).up) ensemble.restart(id);
  workload.issuing = false;
  const deadline = world.now + (options.healMs ?? 120_000);
  await world.runUntil(() => workload.running === 0, deadline);
  let closed = false;
  void workload.closeAll().then(() => {
    closed = true;
  });
  await world.runUntil(() => closed, deadline);
  // Converged, and still so a second later (messages in flight have landed: a learner that just
  // synced still asks its leader for the config).
  await world.runUntil(() => ensemble.converged() && world.now > healedAt + 1000, deadline);
  const settleUntil = world.now + 1000;
  await world.runUntil(() => false, settleUntil);
  // A commit may be on its way (a session expiring); converged means reaching it again.
  const converged = await world.runUntil(() => ensemble.converged(), deadline);
  const stats: Record<string, number> = {
    events: world.events, simMs: Math.round(world.now), servers: size, observers: observers.size, sessions: workload.sessions.length,
    ops: workload.sessions.reduce((n, s) => n + s.ops.length, 0),
    crashes: ensemble.crashes, peerMessages: peers.messages, linkBreaks: peers.breaks,
    tornTails: [...ensemble.servers.values()].reduce((n, s) => n + s.disk.tornTails, 0),
    lostTails: [...ensemble.servers.values()].reduce((n, s) => n + s.disk.lostTails, 0),
    committed: ensemble.history.size, epochs: ensemble.leaders.size,
  };
  return { seed, world, ensemble, peers, sessions: workload.sessions, wire, healedAt, converged: converged && workload.running === 0 && closed, faults, stats };
}
