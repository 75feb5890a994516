/** Constants from ZooDefs, CreateMode, Watcher and EphemeralType. */

/** ACL permission bits (ZooDefs.Perms). */
export const Perms = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

/** CreateMode flags. */
export const CreateFlags = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;

/** What a CreateMode flag value means. */
export interface CreateMode {
  readonly ephemeral: boolean;
  readonly sequential: boolean;
  readonly container: boolean;
  readonly ttl: boolean;
}

const createModes: readonly CreateMode[] = [
  { ephemeral: false, sequential: false, container: false, ttl: false },
  { ephemeral: true, sequential: false, container: false, ttl: false },
  { ephemeral: false, sequential: true, container: false, ttl: false },
  { ephemeral: true, sequential: true, container: false, ttl: false },
  { ephemeral: false, sequential: false, container: true, ttl: false },
  { ephemeral: false, sequential: false, container: false, ttl: true },
  { ephemeral: false, sequential: true, container: false, ttl: true },
];

/** The mode for `flags`, or undefined for flags outside 0..6. */
export function createModeOf(flags: number): CreateMode | undefined {
  return createModes[flags];
}

/** Watcher.Event.EventType. */
export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

/** Watcher.Event.KeeperState. */
export const KeeperState = {
  Unknown: -1,
  Disconnected: 0,
  NoSyncConnected: 1,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;

/** WatcherType: the `type` of checkWatches and removeWatches. */
export const WatcherType = { Children: 1, Data: 2, Any: 3, Persistent: 4, PersistentRecursive: 5 } as const;

/** addWatch modes. */
export const AddWatchMode = { PERSISTENT: 0, PERSISTENT_RECURSIVE: 1 } as const;

/** ephemeralOwner encodings (EphemeralType). */
export const EphemeralOwner = {
  /** Long.MIN_VALUE marks a container. */
  container: -0x8000_0000_0000_0000n,
  /** High byte 0xFF marks a TTL node; the low 40 bits hold the TTL in ms. */
  ttlMask: -0x0100_0000_0000_0000n,
} as const;

/** The ephemeral owner value stored for a TTL node. */
export function ttlEphemeralOwner(ttlMs: bigint): bigint {
  return BigInt.asIntN(64, EphemeralOwner.ttlMask | ttlMs);
}

/** What kind of node an ephemeralOwner value denotes. */
export type EphemeralKind = 'void' | 'normal' | 'container' | 'ttl';

export function ephemeralKindOf(owner: bigint): EphemeralKind {
  if (owner === 0n) return 'void';
  if (owner === EphemeralOwner.container) return 'container';
  // High byte 0xFF: as a signed 64-bit value, -2^56 up to -1 (compared, not masked: `&` makes a new bigint).
  if (owner < 0n && owner >= EphemeralOwner.ttlMask) return 'ttl';
  return 'normal';
}

/** The TTL of a TTL node's owner value, in ms. */
export function ttlOf(owner: bigint): bigint {
  return owner & 0xff_ffff_ffffn;
}

export const CONFIG_NODE = '/zookeeper/config';
export const ZOOKEEPER_NODE = '/zookeeper';
export const QUOTA_NODE = '/zookeeper/quota';
