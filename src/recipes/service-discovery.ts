/**
 * Service discovery with curator-x-discovery's layout: every instance of a service is a node
 * `<basePath>/<serviceName>/<instanceId>` whose data is the instance's JSON
 * (service-discovery-instance.ts). DYNAMIC instances are ephemeral, DYNAMIC_SEQUENTIAL
 * ephemeral-sequential, STATIC and PERMANENT persistent, as in Curator's ServiceDiscoveryImpl.
 *
 * Each registration is a PersistentNode, so it comes back after a connection loss, a session
 * expiry (with a RecipeSession) or a deletion by someone else, holding the latest data.
 * Queries read ZooKeeper directly; a ServiceCache keeps one service's instances current (a
 * PathChildrenCache), and a ServiceProvider picks instances from one.
 */
import type { ZooKeeperClient } from '../client/zookeeper-client.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { PathChildrenCache, type CacheEvent } from './cache.js';
import { PersistentNode, type PersistentNodeMode } from './persistent-node.js';
import { hasCode, joinPath, toRecipeSession, type RecipeSession, type SessionSource } from './persistent-node-session.js';
import { JsonInstanceSerializer, type InstanceSerializer, type ServiceInstance, type ServiceType } from './service-discovery-instance.js';

export * from './service-discovery-instance.js';

/** Options of ServiceDiscovery. */
export interface ServiceDiscoveryOptions<T> {
  /** The root of all services, e.g. `/services`. */
  basePath: string;
  /** Default: JsonInstanceSerializer. */
  serializer?: InstanceSerializer<T>;
  /** Registered by start(), unregistered by close(). */
  thisInstance?: ServiceInstance<T>;
  /** How long registerService waits for the node. Default 15000. */
  registrationTimeoutMs?: number;
}

/** Default bound on registerService. */
const REGISTRATION_TIMEOUT_MS = 15_000;

interface Registration<T> {
  instance: ServiceInstance<T>;
  readonly node: PersistentNode;
}

/** Registers this process's instances and finds other services' (Curator's ServiceDiscovery). */
export class ServiceDiscovery<T = unknown> {
  private readonly session: RecipeSession;
  private readonly serializer: InstanceSerializer<T>;
  private readonly registrations = new Map<string, Registration<T>>();
  private readonly closeables = new Set<{ close(): Promise<void> }>();
  private readonly registrationTimeoutMs: number;
  private state: 'LATENT' | 'STARTED' | 'CLOSED' = 'LATENT';

  constructor(
    source: SessionSource,
    private readonly options: ServiceDiscoveryOptions<T>,
  ) {
    this.session = toRecipeSession(source);
    this.serializer = options.serializer ?? new JsonInstanceSerializer<T>();
    this.registrationTimeoutMs = options.registrationTimeoutMs ?? REGISTRATION_TIMEOUT_MS;
  }

  /** The base path all services live under. */
  get basePath(): string {
    return this.options.basePath;
  }

  /** Registers `thisInstance`, if given. */
  async start(): Promise<void> {
    if (this.state !== 'LATENT') throw new Error('ServiceDiscovery already started');
    this.state = 'STARTED';
    if (this.options.thisInstance !== undefined) await this.registerService(this.options.thisInstance);
  }

  /** The node path of a service. */
  pathForName(name: string): string {
    return joinPath(this.options.basePath, name);
  }
  /** The node path of an instance. */
  pathForInstance(name: string, id: string): string {
    return joinPath(this.pathForName(name), id);
  }

  /**
   * Registers `instance` (or re-registers one with the same id, with its new data) and
   * resolves once its node exists. On timeout it rejects with OPERATIONTIMEOUT but stays
   * registered: the node appears when the server can be reached; unregisterService cancels.
   */
  async registerService(instance: ServiceInstance<T>): Promise<void> {
    this.checkStarted();
    const existing = this.registrations.get(instance.id);
    if (existing !== undefined) {
      existing.instance = instance;
      await existing.node.setData(this.serializer.serialize(instance));
      return;
    }
    const node = new PersistentNode(this.session, this.pathForInstance(instance.name, instance.id), this.serializer.serialize(instance), {
      mode: modeOf(instance.serviceType),
    });
    this.registrations.set(instance.id, { instance, node });
    node.start();
    if (!(await node.waitForInitialCreate(this.registrationTimeoutMs))) {
      throw new KeeperError(ErrorCode.OPERATIONTIMEOUT, this.pathForInstance(instance.name, instance.id));
    }
  }

  /** Replaces a registered instance's data. */
  async updateService(instance: ServiceInstance<T>): Promise<void> {
    this.checkStarted();
    const registration = this.registrations.get(instance.id);
    if (registration === undefined) throw new Error(`Service not registered: ${instance.id}`);
    registration.instance = instance;
    await registration.node.setData(this.serializer.serialize(instance));
  }

  /** Unregisters an instance (by instance or id) and deletes its node. */
  async unregisterService(instance: ServiceInstance<T> | string): Promise<void> {
    const id = typeof instance === 'string' ? instance : instance.id;
    const registration = this.registrations.get(id);
    if (registration === undefined) return;
    this.registrations.delete(id);
    await registration.node.close();
  }

  /** The instances this discovery has registered. */
  registeredInstances(): ServiceInstance<T>[] {
    return [...this.registrations.values()].map((r) => r.instance);
  }

  /** The actual node path of a registered instance (differs from the id for DYNAMIC_SEQUENTIAL). */
  registeredPath(id: string): string | null {
    return this.registrations.get(id)?.node.path ?? null;
  }

  /** The names of all services (children of the base path). */
  async queryForNames(): Promise<string[]> {
    return (await childrenOrEmpty(this.session.client, this.options.basePath)).sort();
  }

  /** Every instance of `name` that can be read and parsed now. */
  async queryForInstances(name: string): Promise<ServiceInstance<T>[]> {
    const client = this.session.client;
    const ids = (await childrenOrEmpty(client, this.pathForName(name))).sort();
    const instances = await Promise.all(ids.map((id) => this.readInstance(client, this.pathForInstance(name, id))));
    return instances.filter((i): i is ServiceInstance<T> => i !== null);
  }

  /** One instance of `name`, or null if it is not registered (or cannot be parsed). */
  async queryForInstance(name: string, id: string): Promise<ServiceInstance<T> | null> {
    return this.readInstance(this.session.client, this.pathForInstance(name, id));
  }

  /** A cache of `name`'s instances (start it before use; closed with this discovery). */
  serviceCache(name: string): ServiceCache<T> {
    const cache = new ServiceCache<T>(this.session, this.pathForName(name), this.serializer);
    this.closeables.add(cache);
    return cache;
  }

  /** A provider choosing among `name`'s instances (start it before use; closed with this discovery). */
  serviceProvider(name: string, options: ServiceProviderOptions = {}): ServiceProvider<T> {
    const provider = new ServiceProvider<T>(this.serviceCache(name), options);
    this.closeables.add(provider);
    return provider;
  }

  /** Unregisters everything registered here and closes the caches and providers made here. */
  async close(): Promise<void> {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    for (const closeable of [...this.closeables]) await closeable.close();
    this.closeables.clear();
    const registrations = [...this.registrations.values()];
    this.registrations.clear();
    await Promise.all(registrations.map((r) => r.node.close()));
  }

  private checkStarted(): void {
    if (this.state !== 'STARTED') throw new Error(`ServiceDiscovery is ${this.state === 'LATENT' ? 'not started' : 'closed'}`);
  }

  private async readInstance(client: ZooKeeperClient, path: string): Promise<ServiceInstance<T> | null> {
    try {
      const { data } = await client.getData(path);
      return data === null ? null : this.serializer.deserialize(data);
    } catch (err) {
      if (hasCode(err, ErrorCode.NONODE)) return null;
      if (err instanceof KeeperError) throw err;
      return null; // not an instance: skip it, as Curator's cache does
    }
  }
}

/** Called when a ServiceCache's instances change. */
export type ServiceCacheListener = (event: CacheEvent) => void;

/** One service's instances, kept current (Curator's ServiceCache). */
export class ServiceCache<T = unknown> {
  private readonly cache: PathChildrenCache;
  private readonly parsed = new Map<string, ServiceInstance<T>>();

  constructor(
    source: SessionSource,
    readonly path: string,
    private readonly serializer: InstanceSerializer<T> = new JsonInstanceSerializer<T>(),
  ) {
    this.cache = new PathChildrenCache(source, path);
    this.cache.addListener((event) => this.onCacheEvent(event));
  }

  /** Starts watching; resolves once the initial load is in. */
  start(): Promise<void> {
    return this.cache.start();
  }

  /** The current instances, sorted by node name; unparsable nodes are left out. */
  getInstances(): ServiceInstance<T>[] {
    return [...this.parsed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, instance]) => instance);
  }

  /** Listens to changes (created/changed/deleted instance nodes, and initialized). */
  addListener(listener: ServiceCacheListener): () => void {
    return this.cache.addListener(listener);
  }

  /** Stops watching. */
  close(): Promise<void> {
    return this.cache.close();
  }

  private onCacheEvent(event: CacheEvent): void {
    if (event.type === 'initialized') return;
    if (event.type === 'deleted') {
      this.parsed.delete(event.path);
      return;
    }
    const data = event.data.data;
    try {
      if (data === null) throw new Error('no data');
      this.parsed.set(event.path, this.serializer.deserialize(data));
    } catch {
      this.parsed.delete(event.path);
    }
  }
}

/** How a ServiceProvider chooses. */
export type ProviderStrategy = 'roundRobin' | 'random' | 'sticky';

/** Options of ServiceProvider. */
export interface ServiceProviderOptions {
  /** Default roundRobin (Curator's default). */
  strategy?: ProviderStrategy;
  /** An instance is left out after this many noteError calls within `downTimeoutMs`. Default 2. */
  downErrorThreshold?: number;
  /** How long a down instance stays out. Default 30000 (Curator's DownInstancePolicy). */
  downTimeoutMs?: number;
}

/** Picks an instance of one service (Curator's ServiceProvider with its strategies and DownInstancePolicy). */
export class ServiceProvider<T = unknown> {
  private readonly strategy: ProviderStrategy;
  private readonly downErrorThreshold: number;
  private readonly downTimeoutMs: number;
  private readonly errors = new Map<string, { count: number; sinceMs: number }>();
  private next = 0;
  private sticky: ServiceInstance<T> | null = null;

  constructor(
    private readonly cache: ServiceCache<T>,
    options: ServiceProviderOptions = {},
  ) {
    this.strategy = options.strategy ?? 'roundRobin';
    this.downErrorThreshold = options.downErrorThreshold ?? 2;
    this.downTimeoutMs = options.downTimeoutMs ?? 30_000;
  }

  /** Starts the underlying cache. */
  start(): Promise<void> {
    return this.cache.start();
  }

  /** Enabled instances that are not marked down. */
  getAllInstances(): ServiceInstance<T>[] {
    const nowMs = Date.now();
    return this.cache.getInstances().filter((instance) => instance.enabled && !this.isDown(instance.id, nowMs));
  }

  /** One instance chosen by the strategy, or null when there is none. */
  getInstance(): ServiceInstance<T> | null {
    const instances = this.getAllInstances();
    if (instances.length === 0) return null;
    switch (this.strategy) {
      case 'random':
        return instances[Math.floor(Math.random() * instances.length)] ?? null;
      case 'sticky': {
        const current = this.sticky === null ? undefined : instances.find((i) => i.id === this.sticky!.id);
        this.sticky = current ?? instances[this.next++ % instances.length] ?? null;
        return this.sticky;
      }
      default:
        return instances[this.next++ % instances.length] ?? null;
    }
  }

  /** Reports a failed call to `instance`; enough of them mark it down for a while. */
  noteError(instance: ServiceInstance<T>): void {
    const nowMs = Date.now();
    const entry = this.errors.get(instance.id);
    if (entry === undefined || nowMs - entry.sinceMs > this.downTimeoutMs) this.errors.set(instance.id, { count: 1, sinceMs: nowMs });
    else entry.count++;
  }

  /** Stops the underlying cache. */
  close(): Promise<void> {
    return this.cache.close();
  }

  private isDown(id: string, nowMs: number): boolean {
    const entry = this.errors.get(id);
    if (entry === undefined) return false;
    if (nowMs - entry.sinceMs > this.downTimeoutMs) {
      this.errors.delete(id);
      return false;
    }
    return entry.count >= this.downErrorThreshold;
  }
}

function modeOf(serviceType: ServiceType): PersistentNodeMode {
  switch (serviceType) {
    case 'DYNAMIC':
      return 'EPHEMERAL';
    case 'DYNAMIC_SEQUENTIAL':
      return 'EPHEMERAL_SEQUENTIAL';
    default:
      return 'PERSISTENT';
  }
}

async function childrenOrEmpty(client: ZooKeeperClient, path: string): Promise<string[]> {
  try {
    return await client.getChildren(path);
  } catch (err) {
    if (hasCode(err, ErrorCode.NONODE)) return [];
    throw err;
  }
}
