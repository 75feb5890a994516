// Client sessions of the whole-server simulator: real ZooKeeperClients (src/client) on a
// simulated ClientEnvironment, running a random workload over a few keys so they contend:
// create, setData (plain and conditional on a version), getData and exists (some with watches),
// delete, and sync followed by a read. Each operation is recorded with its invoke and complete
// sim times and its outcome; CONNECTIONLOSS and the like leave the outcome unknown. Each
// session also keeps the order in which it observed replies and watch events, for the checkers.
import { createClient, type ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import type { ClientEnvironment } from '../../src/client/environment.js';
import type { Stat } from '../../src/proto/data.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import type { ClientNetwork } from './sim-client-net.js';
import { TimerOwner, type SimWorld } from './world.js';

/** The contended keys. */
export const KEYS = ['/k0', '/k1', '/k2'];

/** Errors that leave a request's outcome unknown (it may or may not have been applied). */
export const UNKNOWN_CODES = new Set<number>([ErrorCode.CONNECTIONLOSS, ErrorCode.OPERATIONTIMEOUT, ErrorCode.REQUESTTIMEOUT, ErrorCode.SESSIONEXPIRED, ErrorCode.SESSIONMOVED]);

export type OpKind = 'create' | 'set' | 'cas' | 'delete' | 'get' | 'exists' | 'sync';

export interface OpResult {
  /** 0, or the server's error code. */
  readonly code: number;
  /** The znode's Stat in the reply (create2, setData, getData, exists), null when exists found none. */
  readonly stat?: Stat | null;
  readonly data?: string | null;
}

export interface OpRecord {
  readonly id: number;
  /** The session (client process) that issued it. */
  readonly process: string;
  readonly key: string;
  readonly kind: OpKind;
  /** The value a write writes. */
  readonly value?: string;
  /** A conditional setData's expected version. */
  readonly expected?: number;
  /** The read set a watch (its id in the session's watches). */
  readonly watchId?: number;
  /** A read issued right after this session's sync of the same key completed. */
  readonly synced: boolean;
  /** For a synced read: when its sync was invoked. */
  readonly syncInvoke?: number;
  readonly invoke: number;
  complete?: number;
  /** Undefined while pending or when the outcome is unknown. */
  result?: OpResult;
  unknown: boolean;
}

/** What a session saw, in the order it saw it. */
export type Observation =
  | { readonly kind: 'reply'; readonly op: OpRecord }
  | { readonly kind: 'event'; readonly watchId: number; readonly path: string | null; readonly type: number };

export interface SessionRecord {
  readonly process: string;
  readonly ops: OpRecord[];
  readonly observations: Observation[];
}

const isWrite = (kind: OpKind): boolean => kind === 'create' || kind === 'set' || kind === 'cas' || kind === 'delete';
export { isWrite };

/** One client process: one session, until it expires or the run ends. */
class ClientProcess {
  readonly client: ZooKeeperClient;
  readonly record: SessionRecord;
  expired = false;
  /** The version this session last saw per key, for conditional writes. */
  readonly versions = new Map<string, number>();

  constructor(readonly name: string, readonly owner: TimerOwner, env: ClientEnvironment, connectString: string) {
    this.client = createClient(connectString, { sessionTimeoutMs: 4_000, reconnectDelayMs: 100 }, env);
    this.record = { process: name, ops: [], observations: [] };
    this.client.on('expired', () => {
      this.expired = true;
    });
  }
}

export class ClientWorkload {
  readonly sessions: SessionRecord[] = [];
  private readonly live = new Set<ClientProcess>();
  private nextOp = 1;
  private nextWatch = 1;
  private nextValue = 1;
  running = 0;
  issuing = true;

  constructor(
    private readonly world: SimWorld,
    private readonly net: ClientNetwork,
    private readonly connectString: string,
  ) {}

  /** Starts client slot `slot`: a session, replaced by a new one whenever one expires. */
  start(slot: number): void {
    this.running++;
    void this.slotLoop(slot).finally(() => this.running--);
  }

  /** Closes every live session (closeSession), for the end of the run. */
  closeAll(): Promise<unknown> {
    return Promise.all([...this.live].map((p) => p.client.close().catch(() => undefined)));
  }

  /** The client's sockets, timers, clock and randomness, all simulated. */
  private environment(node: string, name: string, owner: TimerOwner): ClientEnvironment {
    const world = this.world;
    const timers = world.timersFor(owner);
    return {
      connect: (address, handlers) => this.net.connect(name, node, address, handlers),
      setTimer: (delayMs, callback) => timers.setTimeout(delayMs, callback),
      clearTimer: (handle) => timers.clear(handle),
      now: () => world.now,
      random: () => world.rng.nextUint32() / 0x1_0000_0000,
    };
  }

  private sleep(owner: TimerOwner, ms: number): Promise<void> {
    return new Promise((resolve) => this.world.timersFor(owner).setTimeout(ms, resolve));
  }

  private async slotLoop(slot: number): Promise<void> {
    for (let n = 1; this.issuing; n++) {
      const name = `c${slot}.${n}`;
      const owner = new TimerOwner();
      const p = new ClientProcess(name, owner, this.environment(`c${slot}`, name, owner), this.connectString);
      this.sessions.push(p.record);
      this.live.add(p);
      try {
        await p.client.connect({ timeoutMs: Number.POSITIVE_INFINITY });
      } catch {
        this.live.delete(p);
        continue;
      }
      while (this.issuing && !p.expired) {
        const burst = this.world.rng.pick([1, 1, 1, 2, 3]);
        const ops: Promise<unknown>[] = [];
        const before = p.record.ops.length;
        for (let i = 0; i < burst; i++) ops.push(this.oneOp(p));
        await Promise.all(ops);
        // While disconnected, wait for the client to reconnect rather than pile up failures.
        const lost = p.record.ops.slice(before).some((op) => op.unknown);
        await this.sleep(owner, lost ? 100 + this.world.rng.below(300) : this.world.rng.below(40));
      }
      if (p.expired) {
        this.live.delete(p);
        await p.client.close().catch(() => undefined);
      }
    }
  }

  private async oneOp(p: ClientProcess): Promise<unknown> {
    const rng = this.world.rng;
    const key = rng.pick(KEYS);
    const roll = rng.below(100);
    if (roll < 12) return this.run(p, key, 'create', { value: this.value(p) });
    if (roll < 32) return this.run(p, key, 'set', { value: this.value(p) });
    if (roll < 47) return this.run(p, key, 'cas', { value: this.value(p), expected: p.versions.get(key) ?? rng.below(3) });
    if (roll < 53) return this.run(p, key, 'delete', {});
    if (roll < 70) return this.run(p, key, 'get', { watch: rng.chance(0.5) });
    if (roll < 82) return this.run(p, key, 'exists', { watch: rng.chance(0.5) });
    const sync = await this.run(p, key, 'sync', {});
    if (sync.result?.code === 0) await this.run(p, key, rng.chance(0.5) ? 'get' : 'exists', { watch: rng.chance(0.3), syncInvoke: sync.invoke });
  }

  /** A unique value; the final '.' keeps one from being a prefix of another on the wire. */
  private value(p: ClientProcess): string {
    return `${p.name}#${this.nextValue++}.`;
  }

  private async run(p: ClientProcess, key: string, kind: OpKind, options: { value?: string; expected?: number; watch?: boolean; syncInvoke?: number }): Promise<OpRecord> {
    const watchId = options.watch === true ? this.nextWatch++ : undefined;
    const op: OpRecord = {
      id: this.nextOp++, process: p.name, key, kind, synced: options.syncInvoke !== undefined, invoke: this.world.now, unknown: false,
      ...(options.syncInvoke === undefined ? {} : { syncInvoke: options.syncInvoke }),
      ...(options.value === undefined ? {} : { value: options.value }),
      ...(options.expected === undefined ? {} : { expected: options.expected }),
      ...(watchId === undefined ? {} : { watchId }),
    };
    p.record.ops.push(op);
    this.world.trace(`op ${op.id} ${p.name} ${kind} ${key}`);
    const observations = p.record.observations;
    const watcher = watchId === undefined ? undefined : (event: { type: number; path: string | null }) => {
      observations.push({ kind: 'event', watchId, path: event.path, type: event.type });
    };
    const c = p.client;
    let result: OpResult | undefined;
    try {
      switch (kind) {
        case 'create': {
          const r = await c.create2(key, options.value!);
          result = { code: 0, stat: r.stat };
          break;
        }
        case 'set':
        case 'cas':
          result = { code: 0, stat: await c.setData(key, options.value!, kind === 'cas' ? options.expected! : -1) };
          break;
        case 'delete':
          await c.delete(key, -1);
          result = { code: 0 };
          break;
        case 'get': {
          const r = await c.getData(key, watcher);
          result = { code: 0, stat: r.stat, data: r.data === null ? null : r.data.toString() };
          break;
        }
        case 'exists':
          result = { code: 0, stat: await c.exists(key, watcher) };
          break;
        case 'sync':
          await c.sync(key);
          result = { code: 0 };
          break;
      }
    } catch (e) {
      if (!(e instanceof KeeperError)) throw e;
      if (UNKNOWN_CODES.has(e.code)) op.unknown = true;
      else result = { code: e.code };
    }
    op.complete = this.world.now;
    if (result !== undefined) op.result = result;
    if (result?.stat !== undefined && result.stat !== null) p.versions.set(key, result.stat.version);
    observations.push({ kind: 'reply', op });
    this.world.trace(`done ${op.id} ${op.unknown ? '?' : result!.code}`);
    return op;
  }
}
