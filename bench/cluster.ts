/**
 * What one side of the comparison runs on: one standalone server (`--ensemble 1`, zoo.cfg with
 * no server lines, as before) or an N-member ensemble on loopback, each member its own process
 * (tszk: `zk-server start-foreground`; ZooKeeper: a QuorumPeerMain JVM) with its own zoo.cfg,
 * dataDir and myid, and `server.N=127.0.0.1:quorum:election;127.0.0.1:client` lines. A cluster
 * is serving once every member answers a request and `srvr` shows one leader and N-1 followers.
 * The layout (ports, dirs) is fixed, so a restart recovers what the last run wrote.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fourLetterWord } from './four-letter.js';
import { ENSEMBLE_INIT_LIMIT_TICKS, ENSEMBLE_STARTUP_POLL_INTERVAL_MS, ENSEMBLE_SYNC_LIMIT_TICKS, LEADER_POLL_INTERVAL_MS, LEADER_TIMEOUT_MS } from './limits.js';
import { freePort, HOST, launchServer, type ServerKind, type ServerProcess } from './server-process.js';

const SRVR_TIMEOUT_MS = 2_000;

export interface MemberLayout {
  readonly id: number;
  readonly dataDir: string;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
}

export interface ClusterLayout {
  readonly kind: ServerKind;
  readonly size: number;
  readonly members: readonly MemberLayout[];
}

export interface ClusterLaunch {
  readonly tszkNodeArgs: readonly string[];
  readonly zookeeperHeap: string;
}

export interface Cluster {
  readonly kind: ServerKind;
  readonly size: number;
  readonly members: readonly ServerProcess[];
  /** Client ports, member order. */
  readonly ports: readonly number[];
  /** Server processes, member order: CPU and RSS are summed over them. */
  readonly pids: readonly number[];
  /** Spawn of the first member to every member serving (and, for an ensemble, a settled leader). */
  readonly startupMs: number;
  /** srvr `Mode:` of each member once settled (standalone, or leader/follower). */
  readonly modes: readonly string[];
  /** Member id of the leader; 0 standalone. */
  readonly leaderId: number;
  logTail(): string;
  hasExited(): boolean;
  stop(): Promise<void>;
}

/** Distinct free loopback ports (freePort alone may hand out the same port twice). */
async function distinctPorts(count: number): Promise<number[]> {
  const taken = new Set<number>();
  while (taken.size < count) taken.add(await freePort());
  return [...taken];
}

/** Ports and directories of a cluster under `root` (the data dir itself when standalone). */
export async function planCluster(kind: ServerKind, size: number, root: string): Promise<ClusterLayout> {
  if (size === 1) {
    const [clientPort] = await distinctPorts(1);
    return { kind, size, members: [{ id: 1, dataDir: root, clientPort: clientPort!, quorumPort: 0, electionPort: 0 }] };
  }
  const ports = await distinctPorts(3 * size);
  const members: MemberLayout[] = [];
  for (let i = 0; i < size; i++) {
    const dataDir = join(root, `server${i + 1}`);
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'myid'), `${i + 1}\n`);
    members.push({ id: i + 1, dataDir, clientPort: ports[3 * i]!, quorumPort: ports[3 * i + 1]!, electionPort: ports[3 * i + 2]! });
  }
  return { kind, size, members };
}

function ensembleConfig(layout: ClusterLayout): string[] {
  if (layout.size === 1) return [];
  return [
    `initLimit=${ENSEMBLE_INIT_LIMIT_TICKS}`,
    `syncLimit=${ENSEMBLE_SYNC_LIMIT_TICKS}`,
    ...layout.members.map((m) => `server.${m.id}=${HOST}:${m.quorumPort}:${m.electionPort};${HOST}:${m.clientPort}`),
  ];
}

async function modeOf(port: number): Promise<string> {
  try {
    return /Mode: ([\w-]+)/.exec(await fourLetterWord(HOST, port, 'srvr', SRVR_TIMEOUT_MS))?.[1] ?? 'unknown';
  } catch {
    return 'no answer';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls srvr until one member leads and every other follows; returns the modes. */
async function settledModes(layout: ClusterLayout, members: readonly ServerProcess[]): Promise<string[]> {
  const deadline = performance.now() + LEADER_TIMEOUT_MS;
  let modes: string[] = [];
  while (performance.now() < deadline) {
    if (members.some((m) => m.hasExited())) throw new Error(`a ${layout.kind} member exited before a leader was settled`);
    modes = await Promise.all(members.map((m) => modeOf(m.port)));
    if (layout.size === 1 && modes[0] === 'standalone') return modes;
    const leaders = modes.filter((m) => m === 'leader').length;
    if (leaders === 1 && modes.every((m) => m === 'leader' || m === 'follower')) return modes;
    await sleep(LEADER_POLL_INTERVAL_MS);
  }
  throw new Error(`${layout.kind} ensemble of ${layout.size}: no settled leader within ${LEADER_TIMEOUT_MS} ms (modes ${modes.join(', ')})`);
}

/**
 * Starts every member at once and resolves when the cluster serves; on any failure every member
 * started is stopped and the error is thrown.
 */
export async function launchCluster(layout: ClusterLayout, launch: ClusterLaunch): Promise<Cluster> {
  const startedMs = performance.now();
  const ensemble = layout.size > 1;
  let firstFailure: string | undefined;
  const launched = await Promise.allSettled(layout.members.map((m) => launchServer({
    kind: layout.kind, dataDir: m.dataDir, port: m.clientPort, tszkNodeArgs: launch.tszkNodeArgs, zookeeperHeap: launch.zookeeperHeap,
    extraConfig: ensembleConfig(layout),
    ...(ensemble ? { pollIntervalMs: ENSEMBLE_STARTUP_POLL_INTERVAL_MS, label: `${layout.kind} server ${m.id} of ${layout.size}` } : {}),
    giveUp: () => (firstFailure === undefined ? undefined : `gave up: ${firstFailure}`),
  }).catch((error: unknown) => {
    firstFailure ??= (error as Error).message.split('\n')[0];
    throw error;
  })));
  const members = launched.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.stop()));
  };
  // The first failure, not a member that gave up because of it.
  const failures = launched.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  const failed = failures.find((r) => !String((r.reason as Error).message).includes('gave up: ')) ?? failures[0];
  if (failed !== undefined) {
    await stopAll();
    throw failed.reason;
  }
  let modes: string[];
  try {
    modes = await settledModes(layout, members);
  } catch (error) {
    const tails = members.map((m, i) => `--- ${layout.kind} server ${i + 1}\n${m.logTail().slice(-2000)}`).join('\n');
    await stopAll();
    throw new Error(`${(error as Error).message}\n${tails}`);
  }
  const startupMs = performance.now() - startedMs;
  return {
    kind: layout.kind,
    size: layout.size,
    members,
    ports: members.map((m) => m.port),
    pids: members.map((m) => m.pid),
    startupMs: ensemble ? startupMs : members[0]!.startupMs,
    modes,
    leaderId: ensemble ? modes.indexOf('leader') + 1 : 0,
    logTail: () => members.map((m, i) => (ensemble ? `--- server ${i + 1}\n` : '') + m.logTail()).join('\n'),
    hasExited: () => members.some((m) => m.hasExited()),
    stop: stopAll,
  };
}
