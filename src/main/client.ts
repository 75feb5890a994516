/**
 * The client package entry (`tszk/client`): the client over Node's sockets and timers.
 * Everything else is the environment-free client of src/client.
 */
import { createClient as createClientIn, type ZooKeeperClient } from '../client/zookeeper-client.js';
import type { ClientOptions } from '../client/types.js';
import { nodeEnvironment } from '../runtime/client-environment.js';

export * from '../client/index.js';

/** Creates a client for `connectString` (`host:port,...[/chroot]`); call `connect()` to start it. */
export function createClient(connectString: string, options?: ClientOptions): ZooKeeperClient {
  return createClientIn(connectString, options, nodeEnvironment);
}
