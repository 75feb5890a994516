// Runs a tszk ensemble as real processes on loopback (a pseudo-cluster: each member with its own
// clientPort, quorum and election ports, dataDir and myid), for tests that kill, restart and
// partition them. Every process started is killed by `stopAll`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fourLetterWord, freePort, waitForExit } from './zk-reference.js';

const serverScript = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'zk-server.js');
const STOP_TIMEOUT_MS = 10_000;

export interface Member {
  readonly id: number;
  readonly clientPort: number;
  readonly dataDir: string;
  readonly cfg: string;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly joiner: boolean;
  readonly adminPort: number | undefined;
  process: ChildProcess | undefined;
  output: string;
}

export interface EnsembleOptions {
  readonly voters: number;
  readonly observers?: number;
  /** Extra zoo.cfg lines for every member. */
  readonly extra?: readonly string[];
  readonly tickTimeMs?: number;
  /**
   * Servers that join later by reconfig: their own zoo.cfg lists every server, the others'
   * lists only the first `voters + observers`. `startAll` leaves them stopped.
   */
  readonly joiners?: number;
  /** Each member serves the HTTP admin commands on its own loopback port (Member.adminPort). */
  readonly adminServer?: boolean;
}

const live = new Set<Ensemble>();

/** Stops every ensemble still running (for an `after` hook: a test cut short skips its finally). */
export async function destroyAllEnsembles(): Promise<void> {
  await Promise.all([...live].map((e) => e.destroy()));
}

export class Ensemble {
  readonly members: Member[] = [];
  private readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  static async create(options: EnsembleOptions): Promise<Ensemble> {
    const ensemble = new Ensemble(mkdtempSync(join(tmpdir(), 'tszk-ensemble-')));
    live.add(ensemble);
    const original = options.voters + (options.observers ?? 0);
    const count = original + (options.joiners ?? 0);
    const ports: Array<{ client: number; quorum: number; election: number }> = [];
    for (let i = 0; i < count; i++) ports.push({ client: await freePort(), quorum: await freePort(), election: await freePort() });
    const allLines = ports.map((p, i) => `server.${i + 1}=127.0.0.1:${p.quorum}:${p.election}${i >= options.voters && i < original ? ':observer' : ''};127.0.0.1:${p.client}`);
    for (let i = 0; i < count; i++) {
      const joiner = i >= original;
      const serverLines = joiner ? allLines : allLines.slice(0, original);
      const dataDir = join(ensemble.root, `server${i + 1}`);
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'myid'), `${i + 1}\n`);
      const cfg = join(dataDir, 'zoo.cfg');
      const adminPort = options.adminServer === true ? await freePort() : undefined;
      writeFileSync(cfg, [
        `tickTime=${options.tickTimeMs ?? 200}`, 'initLimit=10', 'syncLimit=5', `dataDir=${dataDir}`,
        `clientPort=${ports[i]!.client}`, 'clientPortAddress=127.0.0.1', '4lw.commands.whitelist=*',
        ...(adminPort === undefined ? ['admin.enableServer=false'] : ['admin.enableServer=true', 'admin.serverAddress=127.0.0.1', `admin.serverPort=${adminPort}`]),
        ...(i >= options.voters && !joiner ? ['peerType=observer'] : []),
        ...serverLines, ...(options.extra ?? []),
      ].join('\n') + '\n');
      ensemble.members.push({ id: i + 1, clientPort: ports[i]!.client, quorumPort: ports[i]!.quorum, electionPort: ports[i]!.election, dataDir, cfg, joiner, adminPort, process: undefined, output: '' });
    }
    return ensemble;
  }

  /** `host:port,...` of the members (all, or the given ids). */
  connectString(ids?: readonly number[]): string {
    return this.members.filter((m) => ids === undefined || ids.includes(m.id)).map((m) => `127.0.0.1:${m.clientPort}`).join(',');
  }

  member(id: number): Member {
    return this.members[id - 1]!;
  }

  start(id: number): void {
    const m = this.member(id);
    if (m.process !== undefined) throw new Error(`server ${id} is already running`);
    const child = spawn(process.execPath, [serverScript, 'start-foreground', m.cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    m.process = child;
    const collect = (chunk: Buffer): void => {
      m.output += chunk.toString();
      if (m.output.length > 256 * 1024) m.output = m.output.slice(-128 * 1024);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
  }

  startAll(): void {
    for (const m of this.members) if (!m.joiner) this.start(m.id);
  }

  /** kill -9 (or a clean SIGTERM stop). */
  async stop(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.member(id);
    const child = m.process;
    if (child === undefined) return;
    m.process = undefined;
    child.kill(signal);
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) child.kill('SIGKILL');
  }

  /** The `Mode:` srvr reports, or undefined when the member does not answer or does not serve. */
  async mode(id: number): Promise<string | undefined> {
    try {
      const answer = await fourLetterWord('127.0.0.1', this.member(id).clientPort, 'srvr', 2_000);
      return /Mode: ([\w-]+)/.exec(answer)?.[1];
    } catch {
      return undefined;
    }
  }

  async srvr(id: number): Promise<string> {
    return fourLetterWord('127.0.0.1', this.member(id).clientPort, 'srvr', 2_000);
  }

  /** Waits until the running members agree: one leader, everyone else following or observing. */
  /** The `server.N=...` line of member `id`, as a reconfig joins it. */
  serverLine(id: number, role: 'participant' | 'observer' = 'participant'): string {
    const m = this.member(id);
    return `server.${id}=127.0.0.1:${m.quorumPort}:${m.electionPort}:${role};127.0.0.1:${m.clientPort}`;
  }

  async waitForQuorum(ids: readonly number[] = this.members.filter((m) => m.process !== undefined).map((m) => m.id), timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let modes: Array<string | undefined> = [];
    while (Date.now() < deadline) {
      modes = await Promise.all(ids.map((id) => this.mode(id)));
      const leaders = ids.filter((_, i) => modes[i] === 'leader');
      if (leaders.length === 1 && modes.every((mode) => mode === 'leader' || mode === 'follower' || mode === 'observer')) return leaders[0]!;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no settled quorum among ${ids.join(',')} within ${timeoutMs} ms: modes ${modes.join(',')}\n${ids.map((id) => `--- server ${id}\n${this.member(id).output.slice(-3000)}`).join('\n')}`);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.stop(m.id)));
  }

  async destroy(): Promise<void> {
    live.delete(this);
    await this.stopAll();
    rmSync(this.root, { recursive: true, force: true });
  }
}
