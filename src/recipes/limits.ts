/**
 * Every bound the recipes loop or wait under, in one place (TigerBeetle style): a loop that
 * retries has a named upper bound here, never an ad-hoc number at the call site.
 */

/**
 * Times one ZooKeeper operation is retried after CONNECTIONLOSS before the loss is surfaced.
 * Each retry first waits for the session to reconnect, so this bounds reconnect cycles, not time.
 */
export const CONNECTION_RETRIES_MAX = 8;

/**
 * Times a lock or lease node is re-created after it vanished while we waited (someone deleted
 * it, or a new session was needed). Curator leaves this to its RetryPolicy; ours is fixed.
 */
export const NODE_RECREATIONS_MAX = 4;

/** Times a create is retried after NONODE for its parent (a container can vanish under us). */
export const PARENT_CREATE_ATTEMPTS_MAX = 4;

/** Compare-and-set attempts of SharedCount.increment before it gives up with BADVERSION. */
export const COUNT_INCREMENT_ATTEMPTS_MAX = 64;

/** Items one DistributedQueue.take scans per listing before it lists the queue again. */
export const QUEUE_ITEMS_PER_SCAN_MAX = 1_000;

/**
 * How long an operation waits for a suspended session to come back when the client never
 * reported a negotiated timeout (it has not connected yet); otherwise the session timeout is
 * the bound, since after it the server has expired the session anyway.
 */
export const RECONNECT_WAIT_MS_DEFAULT = 30_000;
