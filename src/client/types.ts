/** Public types of the client: states, events, watchers, options and results. */
import type { Acl, Stat } from '../proto/data.js';
import { EventType, KeeperState } from '../proto/defs.js';

/** The client's connection state, named as the Java client's `ZooKeeper.States`. */
export type ClientState =
  | 'NOT_CONNECTED'
  | 'CONNECTING'
  | 'CONNECTED'
  | 'CONNECTEDREADONLY'
  | 'CLOSED'
  | 'AUTH_FAILED';

/** True for states in which the handle may still reach a server (Java's `isAlive`). */
export function isAlive(state: ClientState): boolean {
  return state !== 'CLOSED' && state !== 'AUTH_FAILED';
}

/** A watch notification or a state change: Java's WatchedEvent. */
export interface WatchedEvent {
  /** An EventType value (-1 None for state changes). */
  readonly type: number;
  /** A KeeperState value (3 SyncConnected for every server notification). */
  readonly state: number;
  /** The client path (chroot stripped); null for state changes. */
  readonly path: string | null;
}

/** A function called with watch events. */
export type Watcher = (event: WatchedEvent) => void;

/** The state transitions a caller may listen to. */
export type StateEventName = 'connected' | 'disconnected' | 'expired' | 'closed' | 'authFailed';

/** Called on a state transition. */
export type StateListener = () => void;

/** Options of `createClient`. */
export interface ClientOptions {
  /** Requested session timeout; the server clamps it. Default 30000. */
  sessionTimeoutMs?: number;
  /** Bound on one connection attempt (TCP connect plus handshake). Default: session timeout / number of hosts. */
  connectTimeoutMs?: number;
  /** A request not answered within this is failed with REQUESTTIMEOUT. Default: none. */
  requestTimeoutMs?: number;
  /** Ask for a read-only session when the server is partitioned. Default false. */
  readOnly?: boolean;
  /** Receives state changes (type None) and node events of watches set with `{ watch: true }`. */
  watcher?: Watcher;
  /** Requests queued or awaiting replies at most; more are refused with THROTTLEDOP. Default 10000. */
  maxOutstandingRequests?: number;
  /** Pause after every host in the connect string has been tried without success. Default 1000. */
  reconnectDelayMs?: number;
  /** Visit the hosts in connect-string order instead of a shuffled one. Default false. */
  keepHostOrder?: boolean;
  /** Largest frame accepted from the server. Default jute.maxbuffer plus slack for headers. */
  maxFrameBytes?: number;
  /** Resume an existing session (Java's constructor with sessionId and sessionPasswd). */
  session?: { readonly id: bigint; readonly password: Buffer };
}

/** A CreateMode name; numbers 0..6 are accepted too. */
export type CreateModeName =
  | 'PERSISTENT'
  | 'EPHEMERAL'
  | 'PERSISTENT_SEQUENTIAL'
  | 'EPHEMERAL_SEQUENTIAL'
  | 'CONTAINER'
  | 'PERSISTENT_WITH_TTL'
  | 'PERSISTENT_SEQUENTIAL_WITH_TTL';

/** Data as callers may pass it; strings are UTF-8, null is sent as a null buffer. */
export type DataInput = Buffer | Uint8Array | string | null;

/** Options of `create`. */
export interface CreateOptions {
  /** Default OPEN_ACL_UNSAFE (world:anyone, all permissions). */
  acl?: readonly Acl[];
  /** Default PERSISTENT. */
  mode?: CreateModeName | number;
  /** Milliseconds; required by and only allowed with the TTL modes. */
  ttl?: number | bigint;
  /** Aborting it rejects with an AbortError (the node may still be created if the request was sent). */
  signal?: AbortSignal;
}

/**
 * How a read sets a watch: a listener of its own, or `{ watch: true }` for the default watcher.
 * The object form may carry the read's abort `signal` too (`{ signal }` sets no watch).
 */
export type WatchOption = Watcher | { readonly watch?: boolean; readonly signal?: AbortSignal } | undefined;

/** getData's result; `data` is null when the node holds a null buffer. */
export interface DataResult {
  readonly data: Buffer | null;
  readonly stat: Stat;
}

/** getChildren2's result. */
export interface ChildrenResult {
  readonly children: string[];
  readonly stat: Stat;
}

/** getACL's result. */
export interface AclResult {
  readonly acl: Acl[];
  readonly stat: Stat;
}

/** One identity of the connection, as whoAmI reports it. */
export interface ClientInfo {
  readonly authScheme: string;
  /** null when the server has no provider that names the user (ZooKeeper's `super`). */
  readonly user: string | null;
}

const eventTypeNames = new Map<number, string>(Object.entries(EventType).map(([name, value]) => [value, name]));
const keeperStateNames = new Map<number, string>(Object.entries(KeeperState).map(([name, value]) => [value, name]));

/** Java's name of an EventType value (`NodeCreated`, ...). */
export function eventTypeName(type: number): string {
  return eventTypeNames.get(type) ?? `Unknown(${type})`;
}

/** Java's name of a KeeperState value (`SyncConnected`, ...). */
export function keeperStateName(state: number): string {
  return keeperStateNames.get(state) ?? `Unknown(${state})`;
}

/** `WatchedEvent state:S type:T path:P`, as ZooKeeper 3.8's WatchedEvent.toString prints it. */
export function formatWatchedEvent(event: WatchedEvent): string {
  return `WatchedEvent state:${keeperStateName(event.state)} type:${eventTypeName(event.type)} path:${event.path}`;
}
