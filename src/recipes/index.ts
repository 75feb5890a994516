/**
 * Curator-grade recipes on the promise client (package entry `tszk/recipes`). Node layouts are
 * Curator's, so these recipes and Curator's contend on the same paths correctly; each handles
 * connection loss (protected creates, retries after reconnect) and reports session loss
 * through a state and an event.
 */
export { ConnectionState, connectionStateOf, type ConnectionStateName, type ConnectionEvents } from './connection-state.js';
export { Wait, type WaitOptions } from './wait.js';
export { PROTECTED_PREFIX, protectedPrefix, sortBySequence } from './znodes.js';
export { ReentrantLock, standardDriver, type LockDriver, type LockDecision, type LockState, type LockEvents } from './lock-internals.js';
export { InterProcessMutex, MUTEX_LOCK_NAME, type MutexOptions } from './mutex.js';
export { InterProcessReadWriteLock, READ_LOCK_NAME, WRITE_LOCK_NAME, type ReadWriteLockOptions } from './read-write-lock.js';
export {
  InterProcessSemaphore,
  SEMAPHORE_LEASE_NAME,
  SEMAPHORE_LEASE_PARENT,
  SEMAPHORE_LOCK_PARENT,
  type Lease,
  type SemaphoreAcquireOptions,
  type SemaphoreEvents,
  type SemaphoreOptions,
} from './semaphore.js';
export {
  LeaderLatch,
  LATCH_LOCK_NAME,
  type LatchCloseMode,
  type LatchEvents,
  type LatchState,
  type LeaderLatchOptions,
  type Participant,
} from './leader-latch.js';
export {
  LeaderSelector,
  LeadershipCancelled,
  type LeaderSelectorListener,
  type LeaderSelectorOptions,
  type SelectorEvents,
  type SelectorState,
} from './leader-selector.js';
export { DistributedBarrier } from './barrier.js';
export { DistributedDoubleBarrier, READY_NODE } from './double-barrier.js';
export {
  DistributedQueue,
  DistributedPriorityQueue,
  QUEUE_ITEM_NAME,
  decodeItems,
  encodeItems,
  priorityToString,
  type QueueItem,
  type QueueOptions,
} from './queue.js';
export {
  SharedCount,
  OutcomeUnknownError,
  countFromBytes,
  countToBytes,
  type SharedCountEvents,
  type VersionedValue,
} from './shared-count.js';
export { RecipeSession, toRecipeSession, type RecipeConnectionState, type RecipeSessionOptions, type RecipeStateChange, type RecipeStateListener, type SessionSource } from './persistent-node-session.js';
export { PersistentNode, isProtectedName, protectedPath, withoutProtection, type PersistentNodeEvent, type PersistentNodeListener, type PersistentNodeMode, type PersistentNodeOptions } from './persistent-node.js';
export { NodeCache, PathChildrenCache, TreeCache, type CacheDataOptions, type CacheEvent, type CacheListener, type ChildData, type TreeCacheOptions } from './cache.js';
export { JsonInstanceSerializer, ServiceCache, ServiceDiscovery, ServiceProvider, UriSpec, localAddress, serviceInstance, type InstanceSerializer, type JsonInstanceSerializerOptions, type ProviderStrategy, type ServiceCacheListener, type ServiceDiscoveryOptions, type ServiceInstance, type ServiceInstanceInit, type ServiceProviderOptions, type ServiceType, type UriSpecPart } from './service-discovery.js';
export { GroupMember, type GroupEvent, type GroupListener } from './group-membership.js';
