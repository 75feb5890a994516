/**
 * A reconfigurable ensemble on loopback for the reconfig tests: real Apache ZooKeeper 3.8
 * (QuorumPeerMain from the Debian jars) or tszk (zk-server start-foreground), started from the
 * same zoo.cfg files: reconfigEnabled (default true), standaloneEnabled=false, the super:test
 * digest, one dataDir/myid per server and free client/quorum/election ports.
 *
 * `voters` servers form the initial ensemble; each of the `spares` (ids voters+1, ...) gets a
 * config listing the initial voters plus itself, as the ZooKeeper manual prescribes for a server
 * about to be added with `reconfig -add`, and is started only when a test asks. Note that real
 * ZooKeeper moves the server lines of a reconfig-enabled zoo.cfg into `zoo.cfg.dynamic.<version>`
 * and rewrites zoo.cfg (dynamicConfigFile=...) at startup. Every process is killed on destroy
 * and when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fourLetterWord, freePort, referenceZooKeeperAvailable, SUPER_DIGEST_TEST, waitForExit } from './zk-reference.js';

export type EnsembleKind = 'zookeeper' | 'tszk';

const JARS = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-api.jar', '/usr/share/java/slf4j-simple.jar'];
const TSZK_SERVER = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'zk-server.js');
const STOP_TIMEOUT_MS = 10_000;
const LOG_TAIL_BYTES = 32 * 1024;

export { referenceZooKeeperAvailable, SUPER_DIGEST_TEST };

export interface ReconfigEnsembleOptions {
  readonly kind: EnsembleKind;
  /** Servers of the initial ensemble (ids 1..voters). Default 3. */
  readonly voters?: number;
  /** Servers not in the initial ensemble, to be added by reconfig. Default 0. */
  readonly spares?: number;
  /** Default true. */
  readonly reconfigEnabled?: boolean;
  /** Default 200. */
  readonly tickTimeMs?: number;
  /** Extra zoo.cfg lines for every server. */
  readonly extra?: readonly string[];
}

export interface EnsembleServer {
  readonly id: number;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly dataDir: string;
  readonly cfg: string;
  /** `127.0.0.1:q:e:participant;127.0.0.1:c`, as /zookeeper/config prints it after `server.N=`. */
  readonly spec: string;
  process: ChildProcess | undefined;
  output: string;
}

const live = new Set<ReconfigEnsemble>();
process.once('exit', () => {
  for (const ensemble of live) for (const s of ensemble.servers) s.process?.kill('SIGKILL');
});

/** Stops every ensemble still running (for an `after` hook). */
export async function destroyAllReconfigEnsembles(): Promise<void> {
  await Promise.all([...live].map((e) => e.destroy()));
}

export class ReconfigEnsemble {
  readonly servers: EnsembleServer[] = [];
  readonly root: string;
  readonly kind: EnsembleKind;

  private constructor(kind: EnsembleKind, root: string) {
    this.kind = kind;
    this.root = root;
  }

  /** Writes the configs (nothing is started). */
  static async create(options: ReconfigEnsembleOptions): Promise<ReconfigEnsemble> {
    if (options.kind === 'zookeeper' && !referenceZooKeeperAvailable()) {
      throw new Error('reference ZooKeeper 3.8 not installed (scripts/install-compat-deps.sh)');
    }
    const voters = options.voters ?? 3;
    const count = voters + (options.spares ?? 0);
    const ensemble = new ReconfigEnsemble(options.kind, mkdtempSync(join(tmpdir(), `tszk-reconfig-${options.kind}-`)));
    live.add(ensemble);
    const specs: string[] = [];
    const ports: Array<{ client: number; quorum: number; election: number }> = [];
    const taken = new Set<number>();
    const port = async () => {
      for (;;) {
        const p = await freePort();
        if (!taken.has(p)) {
          taken.add(p);
          return p;
        }
      }
    };
    for (let i = 0; i < count; i++) {
      const p = { client: await port(), quorum: await port(), election: await port() };
      ports.push(p);
      specs.push(`127.0.0.1:${p.quorum}:${p.election}:participant;127.0.0.1:${p.client}`);
    }
    for (let i = 0; i < count; i++) {
      const id = i + 1;
      const dataDir = join(ensemble.root, `server${id}`);
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'myid'), `${id}\n`);
      const cfg = join(dataDir, 'zoo.cfg');
      const members = i < voters ? specs.slice(0, voters).map((s, j) => ({ id: j + 1, s })) : [...specs.slice(0, voters).map((s, j) => ({ id: j + 1, s })), { id, s: specs[i]! }];
      writeFileSync(
        cfg,
        [
          `tickTime=${options.tickTimeMs ?? 200}`,
          'initLimit=20',
          'syncLimit=10',
          `dataDir=${dataDir}`,
          'admin.enableServer=false',
          '4lw.commands.whitelist=*',
          'maxClientCnxns=0',
          `reconfigEnabled=${options.reconfigEnabled ?? true}`,
          'standaloneEnabled=false',
          `DigestAuthenticationProvider.superDigest=${SUPER_DIGEST_TEST}`,
          ...(options.extra ?? []),
          ...members.map((m) => `server.${m.id}=${m.s}`),
        ].join('\n') + '\n',
      );
      ensemble.servers.push({
        id,
        clientPort: ports[i]!.client,
        quorumPort: ports[i]!.quorum,
        electionPort: ports[i]!.election,
        dataDir,
        cfg,
        spec: specs[i]!,
        process: undefined,
        output: '',
      });
    }
    return ensemble;
  }

  /** Creates the ensemble, starts its voters and waits for a quorum. */
  static async start(options: ReconfigEnsembleOptions): Promise<ReconfigEnsemble> {
    const ensemble = await ReconfigEnsemble.create(options);
    try {
      const voters = options.voters ?? 3;
      for (let id = 1; id <= voters; id++) ensemble.start(id);
      await ensemble.waitForQuorum(Array.from({ length: voters }, (_, i) => i + 1));
      return ensemble;
    } catch (err) {
      await ensemble.destroy();
      throw err;
    }
  }

  server(id: number): EnsembleServer {
    const s = this.servers[id - 1];
    if (s === undefined) throw new Error(`no server ${id}`);
    return s;
  }

  /** `server.N=spec` of the given ids (default all), one per line as /zookeeper/config has them. */
  serverLines(ids: readonly number[] = this.servers.map((s) => s.id)): string[] {
    return ids.map((id) => `server.${id}=${this.server(id).spec}`);
  }

  connectString(ids: readonly number[] = this.servers.filter((s) => s.process !== undefined).map((s) => s.id)): string {
    return ids.map((id) => `127.0.0.1:${this.server(id).clientPort}`).join(',');
  }

  start(id: number): void {
    const s = this.server(id);
    if (s.process !== undefined) throw new Error(`server ${id} is already running`);
    const child =
      this.kind === 'zookeeper'
        ? spawn(
            'java',
            [
              '-Xmx256m',
              '-Dfile.encoding=UTF-8',
              `-Dzookeeper.DigestAuthenticationProvider.superDigest=${SUPER_DIGEST_TEST}`,
              '-Dzookeeper.jmx.log4j.disable=true',
              '-cp',
              JARS.join(':'),
              'org.apache.zookeeper.server.quorum.QuorumPeerMain',
              s.cfg,
            ],
            { cwd: s.dataDir, stdio: ['ignore', 'pipe', 'pipe'] },
          )
        : spawn(process.execPath, [TSZK_SERVER, 'start-foreground', s.cfg], { cwd: s.dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
    s.process = child;
    const keep = (chunk: Buffer) => {
      s.output = (s.output + chunk.toString('utf8')).slice(-LOG_TAIL_BYTES);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('error', (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  }

  async stop(id: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const s = this.server(id);
    const child = s.process;
    if (child === undefined) return;
    s.process = undefined;
    if (child.pid === undefined) return;
    child.kill(signal);
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  }

  /** The `Mode:` srvr reports, or undefined when the server does not serve. */
  async mode(id: number): Promise<string | undefined> {
    try {
      const answer = await fourLetterWord('127.0.0.1', this.server(id).clientPort, 'srvr', 2_000);
      return /Mode: ([\w-]+)/.exec(answer)?.[1];
    } catch {
      return undefined;
    }
  }

  /** Waits until one of `ids` leads and the others follow (or observe); resolves with the leader's id. */
  async waitForQuorum(ids: readonly number[], timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let modes: Array<string | undefined> = [];
    while (Date.now() < deadline) {
      modes = await Promise.all(ids.map((id) => this.mode(id)));
      const leaders = ids.filter((_, i) => modes[i] === 'leader');
      if (leaders.length === 1 && modes.every((m) => m === 'leader' || m === 'follower' || m === 'observer')) return leaders[0]!;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `no quorum among ${ids.join(',')} within ${timeoutMs} ms: modes ${modes.join(',')}\n` +
        ids.map((id) => `--- server ${id}\n${this.server(id).output.slice(-4000)}`).join('\n'),
    );
  }

  /** The leader's id among the running servers. */
  async leader(): Promise<number> {
    return this.waitForQuorum(this.servers.filter((s) => s.process !== undefined).map((s) => s.id));
  }

  /** zoo.cfg* files in a server's dataDir (for the dynamic-config facts). */
  configFiles(id: number): Record<string, string> {
    const dir = this.server(id).dataDir;
    const files: Record<string, string> = {};
    for (const name of readdirSync(dir)) if (name.startsWith('zoo.cfg')) files[name] = readFileSync(join(dir, name), 'utf8');
    return files;
  }

  async destroy(): Promise<void> {
    live.delete(this);
    await Promise.all(this.servers.map((s) => this.stop(s.id, 'SIGKILL')));
    rmSync(this.root, { recursive: true, force: true });
  }
}
