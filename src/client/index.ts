/** The client's public surface: `createClient` and the types and constants callers need. */
export {
  createClient,
  ZooKeeperClient,
  type RawReply,
  type AddWatchModeName,
  type WatcherTypeName,
  type OneShotWatchKind,
  type ReconfigSpec,
  type ReconfigResult,
  type ServerList,
} from './zookeeper-client.js';
export { abortError, isAbortError, type RequestOptions } from './abort.js';
export { WatchStream, type WatchStreamOptions, type StateStreamOptions } from './watch-stream.js';
export { WatchOverflowError, EVENT_BUFFER_DEFAULT } from './event-queue.js';
export { retry, isRetryable, backoffDelayMs, RETRYABLE_CODES, RETRIES_MAX, type RetryOptions } from './retry.js';
export type { Op } from './multi-ops.js';
export type { OpResult } from './multi.js';
export { parseConnectString, formatHost, DEFAULT_PORT, type ConnectString, type HostAddress } from './connect-string.js';
export { InvalidArgumentError, validatePath } from './paths.js';
export type { ClientEnvironment, ClientSocket, SocketHandlers } from './environment.js';
export * from './types.js';
export { KeeperError, ErrorCode, errorName } from '../proto/error-code.js';
export { Ids, type Acl, type Id, type Stat } from '../proto/data.js';
export { Perms, CreateFlags, EventType, KeeperState, WatcherType, AddWatchMode } from '../proto/defs.js';
export { OpCode } from '../proto/op-code.js';
