// Linux network namespaces for partition tests: one namespace per member, each with a veth pair
// whose other end is a port of a bridge in the root namespace. Member N has <prefix>.N/24 inside
// its namespace, the root namespace has <prefix>.254 on the bridge, so the test process reaches
// every member through the bridge while cuts between members are made inside their namespaces
// with `ip` alone (no iptables/nft):
//   - `cut(from, to)`: a `prohibit` route for to's /32 in from's namespace. Nothing from `from`
//     reaches `to` (TCP included, so a TCP link between them stalls: one-way at the IP level);
//     the root namespace and the other members are untouched.
//   - `isolate(id)`: cuts both ways between `id` and every other member (clients still reach it).
//   - `linkDown(id)`: the root end of its veth down, cut from everyone including the test.
// Every name carries a random tag (several runs at once do not clash) and the creator's pid (a
// later run removes what a dead run left behind). Every `ip` call has a timeout; `destroy` kills
// what runs inside and removes every namespace and link, and an exit hook does the same when the
// process ends without it.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const IP_TIMEOUT_MS = 10_000;
const NS_PREFIX = 'tszk-';
const ALIAS_PREFIX = 'tszk-netns pid=';

export interface IpResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ip ARGS` with a timeout; rejects with the command and its stderr on failure. */
export function ip(args: readonly string[], timeoutMs = IP_TIMEOUT_MS): Promise<IpResult> {
  return new Promise((resolve, reject) => {
    execFile('ip', [...args], { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`ip ${args.join(' ')} failed: ${err.message.trim()} ${stderr.trim()}`));
      else resolve({ stdout, stderr });
    });
  });
}

function ipSync(args: readonly string[]): void {
  spawnSync('ip', [...args], { timeout: IP_TIMEOUT_MS, killSignal: 'SIGKILL', stdio: 'ignore' });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Why network namespaces cannot be used here, or undefined when they can: needs root and a
 * working `ip netns` (creates and removes a probe namespace).
 */
export async function netnsUnavailableReason(): Promise<string | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root: network namespaces need root';
  const probe = `${NS_PREFIX}probe-p${process.pid}-${randomBytes(3).toString('hex')}`;
  const probeBridge = `tzq${randomBytes(4).toString('hex')}`;
  let bridgeMade = false;
  try {
    await ip(['netns', 'add', probe]);
    await ip(['-n', probe, 'link', 'set', 'lo', 'up']);
    await ip(['link', 'add', probeBridge, 'type', 'bridge']);
    bridgeMade = true;
    return undefined;
  } catch (e) {
    return `ip netns does not work here: ${(e as Error).message}`;
  } finally {
    if (bridgeMade) await ip(['link', 'del', probeBridge]).catch(() => undefined);
    await ip(['netns', 'del', probe]).catch(() => undefined);
  }
}

interface LinkInfo {
  readonly name: string;
  readonly alias: string | undefined;
}

async function listLinks(): Promise<LinkInfo[]> {
  const { stdout } = await ip(['-j', '-d', 'link', 'show']);
  const parsed = JSON.parse(stdout) as Array<{ ifname: string; ifalias?: string }>;
  return parsed.map((l) => ({ name: l.ifname, alias: l.ifalias }));
}

/**
 * Removes namespaces and links of runs whose process is gone (the pid is in their names and
 * aliases). Processes still inside such a namespace are killed first: they are servers a dead run
 * started and can no longer stop.
 */
export async function reapStale(): Promise<string[]> {
  const removed: string[] = [];
  const { stdout } = await ip(['netns', 'list']);
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^tszk-[0-9a-z]+-p(\d+)-\d+$/.exec(name);
    if (m === null || pidAlive(Number(m[1]))) continue;
    const pids = await ip(['netns', 'pids', name]).then((r) => r.stdout.split(/\s+/).filter(Boolean).map(Number), () => [] as number[]);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await ip(['netns', 'del', name]).catch(() => undefined);
    removed.push(name);
  }
  for (const l of await listLinks()) {
    if (l.alias === undefined || !l.alias.startsWith(ALIAS_PREFIX)) continue;
    if (pidAlive(Number(l.alias.slice(ALIAS_PREFIX.length)))) continue;
    await ip(['link', 'del', l.name]).catch(() => undefined);
    removed.push(l.name);
  }
  return removed;
}

/** Picks a /24 under 10.77.0.0/16 that no address or route of the root namespace uses. */
async function pickSubnet(): Promise<string> {
  const { stdout: addrs } = await ip(['-4', '-o', 'addr', 'show']);
  const { stdout: routes } = await ip(['-4', 'route', 'show', 'table', 'all']);
  const used = new Set<number>();
  for (const m of `${addrs}\n${routes}`.matchAll(/\b10\.77\.(\d+)\./g)) used.add(Number(m[1]));
  const free = [];
  for (let x = 1; x <= 250; x++) if (!used.has(x)) free.push(x);
  if (free.length === 0) throw new Error('no free 10.77.x.0/24 subnet');
  return `10.77.${free[randomBytes(1)[0]! % free.length]}`;
}

export interface NetnsNode {
  readonly id: number;
  /** The namespace's name. */
  readonly ns: string;
  /** The member's address inside its namespace. */
  readonly address: string;
  /** The root-namespace end of its veth (a bridge port). */
  readonly veth: string;
}

const live = new Set<NetnsLab>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lab of live) lab.destroySync();
  });
}

/** Destroys every lab still up (for an `after` hook). */
export async function destroyAllLabs(): Promise<void> {
  await Promise.all([...live].map((l) => l.destroy()));
}

export class NetnsLab {
  readonly nodes: NetnsNode[] = [];
  readonly bridge: string;
  /** First three octets of the subnet, e.g. `10.77.13`. */
  readonly prefix: string;
  readonly rootAddress: string;
  private readonly tag: string;
  private readonly cuts = new Set<string>();
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(tag: string, prefix: string) {
    this.tag = tag;
    this.prefix = prefix;
    this.bridge = `tzb${tag}`;
    this.rootAddress = `${prefix}.254`;
  }

  /** Namespaces 1..count on a fresh bridge; on any failure, what was made is removed again. */
  static async create(count: number): Promise<NetnsLab> {
    if (count < 1 || count > 200) throw new Error(`bad namespace count ${count}`);
    await reapStale().catch(() => undefined);
    const lab = new NetnsLab(randomBytes(4).toString('hex').slice(0, 6), await pickSubnet());
    live.add(lab);
    installExitHook();
    try {
      const alias = `${ALIAS_PREFIX}${process.pid}`;
      await ip(['link', 'add', lab.bridge, 'type', 'bridge']);
      await ip(['link', 'set', lab.bridge, 'alias', alias]);
      await ip(['addr', 'add', `${lab.rootAddress}/24`, 'dev', lab.bridge]);
      await ip(['link', 'set', lab.bridge, 'up']);
      for (let id = 1; id <= count; id++) {
        const node: NetnsNode = { id, ns: `${NS_PREFIX}${lab.tag}-p${process.pid}-${id}`, address: `${lab.prefix}.${id}`, veth: `tzv${lab.tag}${id}` };
        await ip(['netns', 'add', node.ns]);
        lab.nodes.push(node);
        await ip(['link', 'add', node.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.ns]);
        await ip(['link', 'set', node.veth, 'alias', alias]);
        await ip(['link', 'set', node.veth, 'master', lab.bridge]);
        await ip(['link', 'set', node.veth, 'up']);
        await ip(['-n', node.ns, 'link', 'set', 'lo', 'up']);
        await ip(['-n', node.ns, 'addr', 'add', `${node.address}/24`, 'dev', 'eth0']);
        await ip(['-n', node.ns, 'link', 'set', 'eth0', 'up']);
      }
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  node(id: number): NetnsNode {
    const n = this.nodes[id - 1];
    if (n === undefined) throw new Error(`no namespace for member ${id}`);
    return n;
  }

  /** Starts `command ARGS` inside member `id`'s namespace (`ip netns exec` execs it: same pid). */
  spawn(id: number, command: string, args: readonly string[]): ChildProcess {
    if (this.destroyed) throw new Error('the lab is destroyed');
    const child = spawn('ip', ['netns', 'exec', this.node(id).ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Nothing `from` sends reaches `to` (a prohibit route in from's namespace). */
  async cut(from: number, to: number): Promise<void> {
    const key = `${from}>${to}`;
    if (this.cuts.has(key)) return;
    await ip(['-n', this.node(from).ns, 'route', 'add', 'prohibit', `${this.node(to).address}/32`]);
    this.cuts.add(key);
  }

  async uncut(from: number, to: number): Promise<void> {
    const key = `${from}>${to}`;
    if (!this.cuts.has(key)) return;
    await ip(['-n', this.node(from).ns, 'route', 'del', 'prohibit', `${this.node(to).address}/32`]);
    this.cuts.delete(key);
  }

  /** Cuts both ways between `id` and every other member; the root namespace still reaches it. */
  async isolate(id: number): Promise<void> {
    for (const other of this.nodes) {
      if (other.id === id) continue;
      await this.cut(id, other.id);
      await this.cut(other.id, id);
    }
  }

  /** Removes every cut. */
  async healAll(): Promise<void> {
    for (const key of [...this.cuts]) {
      const [from, to] = key.split('>').map(Number) as [number, number];
      await this.uncut(from, to);
    }
  }

  /** The cuts in force, as `from>to`. */
  activeCuts(): string[] {
    return [...this.cuts].sort();
  }

  async linkDown(id: number): Promise<void> {
    await ip(['link', 'set', this.node(id).veth, 'down']);
  }

  async linkUp(id: number): Promise<void> {
    await ip(['link', 'set', this.node(id).veth, 'up']);
  }

  /** Kills whatever still runs from `spawn`, then removes the namespaces and the bridge. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const child of this.children) child.kill('SIGKILL');
    await Promise.all([...this.children].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const timer = setTimeout(resolve, 5_000);
      c.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    })));
    for (const n of this.nodes) {
      // Anything else left inside (nothing should be) goes too, so the namespace really dies.
      const pids = await ip(['netns', 'pids', n.ns]).then((r) => r.stdout.split(/\s+/).filter(Boolean).map(Number), () => [] as number[]);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await ip(['link', 'del', n.veth]).catch(() => undefined);
      await ip(['netns', 'del', n.ns]).catch(() => undefined);
    }
    await ip(['link', 'del', this.bridge]).catch(() => undefined);
  }

  /** The same, synchronously, for the process exit hook. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const child of this.children) child.kill('SIGKILL');
    for (const n of this.nodes) {
      ipSync(['link', 'del', n.veth]);
      ipSync(['netns', 'del', n.ns]);
    }
    ipSync(['link', 'del', this.bridge]);
  }
}
