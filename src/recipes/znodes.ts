/**
 * The znode operations every recipe is built from, each made safe against CONNECTIONLOSS:
 *
 * - reads are retried after the session reconnects (`retrying`);
 * - a sequential create uses Curator's "protected" mode: the node name starts with
 *   `_c_<uuid>-`, so after a CONNECTIONLOSS the creator lists the parent and finds its own node
 *   by that prefix instead of creating a second one (CreateBuilderImpl.findProtectedNodeInForeground);
 *   if the create's outcome can never be learnt, a background task deletes the node once the
 *   session is back (FindAndDeleteProtectedNodeInBackground);
 * - parents are created as CONTAINER nodes when missing (creatingParentContainersIfNeeded);
 * - deletes of our own nodes are "guaranteed": retried until done or the session is gone.
 */
import { randomUUID } from 'node:crypto';
import type { CreateModeName, DataInput, ZooKeeperClient } from '../client/index.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import type { ConnectionState } from './connection-state.js';
import { CONNECTION_RETRIES_MAX, PARENT_CREATE_ATTEMPTS_MAX } from './limits.js';
import { Wait } from './wait.js';

/** Curator's ProtectedUtils.PROTECTED_PREFIX. */
export const PROTECTED_PREFIX = '_c_';

/** `_c_<uuid>-`: what a protected node's name starts with. */
export function protectedPrefix(id: string): string {
  return `${PROTECTED_PREFIX}${id}-`;
}

/** True when `err` is a KeeperError with one of `codes`. */
export function hasCode(err: unknown, ...codes: number[]): err is KeeperError {
  return err instanceof KeeperError && codes.includes(err.code);
}

/** Errors after which the request may or may not have been applied. */
export function isConnectionLoss(err: unknown): err is KeeperError {
  return hasCode(err, ErrorCode.CONNECTIONLOSS, ErrorCode.REQUESTTIMEOUT, ErrorCode.OPERATIONTIMEOUT);
}

/** ZKPaths.makePath for one child. */
export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** The last component of `path`. */
export function nodeNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The parent of `path` (`/` for a top-level node). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/**
 * Curator's StandardLockInternalsDriver.fixForSorting applied for each of `lockNames` in turn:
 * the part after the last occurrence of the lock name, i.e. the zero-padded sequence number.
 * Names without a lock name sort by their whole text.
 */
export function sortKey(name: string, lockNames: readonly string[]): string {
  let key = name;
  for (const lockName of lockNames) {
    const index = key.lastIndexOf(lockName);
    if (index >= 0) key = key.slice(index + lockName.length);
  }
  return key;
}

/** `children` ordered by their sequence numbers (LockInternals.getSortedChildren). */
export function sortBySequence(children: readonly string[], lockNames: readonly string[]): string[] {
  const keyed = children.map((name) => ({ name, key: sortKey(name, lockNames) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((entry) => entry.name);
}

/**
 * Runs `operation`; after a CONNECTIONLOSS waits for the session to reconnect and runs it
 * again, at most CONNECTION_RETRIES_MAX times. Only for operations that are safe to repeat.
 */
export async function retrying<T>(state: ConnectionState, wait: Wait, operation: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    wait.throwIfAborted();
    try {
      return await operation();
    } catch (err) {
      if (!isConnectionLoss(err) || attempt >= CONNECTION_RETRIES_MAX) throw err;
      await state.waitConnected(wait);
    }
  }
}

/** getChildren, retried; a missing parent has no children. */
export async function childrenOf(
  client: ZooKeeperClient,
  state: ConnectionState,
  wait: Wait,
  path: string,
  watcher?: Parameters<ZooKeeperClient['getChildren']>[1],
): Promise<string[]> {
  try {
    return await retrying(state, wait, () => client.getChildren(path, watcher));
  } catch (err) {
    if (hasCode(err, ErrorCode.NONODE)) return [];
    throw err;
  }
}

/** Creates `path` and its missing ancestors as CONTAINER nodes (ZKPaths.mkdirs with containers). */
export async function ensureContainers(client: ZooKeeperClient, state: ConnectionState, wait: Wait, path: string): Promise<void> {
  if (path === '/') return;
  const parts = path.split('/').slice(1);
  for (let depth = 1; depth <= parts.length; depth++) {
    const prefix = '/' + parts.slice(0, depth).join('/');
    await createIfAbsent(client, state, wait, prefix, null, 'CONTAINER');
  }
}

/**
 * Creates a node at a fixed path unless it exists. Resolves true if this call created it;
 * after a CONNECTIONLOSS a NODEEXISTS on the retry may be our own create, so it resolves false.
 */
export async function createIfAbsent(
  client: ZooKeeperClient,
  state: ConnectionState,
  wait: Wait,
  path: string,
  data: DataInput,
  mode: CreateModeName,
): Promise<boolean> {
  try {
    await retrying(state, wait, () => client.create(path, data, { mode }));
    return true;
  } catch (err) {
    if (hasCode(err, ErrorCode.NODEEXISTS)) return false;
    throw err;
  }
}

/**
 * Creates `<parent>/_c_<uuid>-<name>` (sequential unless `mode` says otherwise), creating the
 * parent as containers when missing. After a CONNECTIONLOSS the node is looked up by its
 * protected prefix once the session is back; a node that was made is never made twice.
 * Resolves with the node's full path.
 */
export async function createProtected(
  client: ZooKeeperClient,
  state: ConnectionState,
  wait: Wait,
  parent: string,
  name: string,
  data: DataInput,
  mode: CreateModeName = 'EPHEMERAL_SEQUENTIAL',
): Promise<string> {
  const prefix = protectedPrefix(randomUUID());
  let parentAttempts = 0;
  let ambiguous = false;
  try {
    for (let attempt = 0; ; attempt++) {
      wait.throwIfAborted();
      try {
        return await client.create(joinPath(parent, prefix + name), data, { mode });
      } catch (err) {
        if (hasCode(err, ErrorCode.NONODE) && parentAttempts++ < PARENT_CREATE_ATTEMPTS_MAX) {
          await ensureContainers(client, state, wait, parent);
          continue;
        }
        if (!isConnectionLoss(err) || attempt >= CONNECTION_RETRIES_MAX) throw err;
        ambiguous = true;
        await state.waitConnected(wait);
        const found = await findProtected(client, state, wait, parent, prefix);
        if (found !== null) return found;
      }
    }
  } catch (err) {
    // A create whose outcome we never learnt may have left a node that nobody will delete
    // before the session ends (and a lock node would block everyone behind it).
    if (ambiguous) void findAndDeleteProtected(client, state, parent, prefix);
    throw err;
  }
}

/** The full path of the child of `parent` whose name starts with `prefix`, or null. */
async function findProtected(client: ZooKeeperClient, state: ConnectionState, wait: Wait, parent: string, prefix: string): Promise<string | null> {
  const children = await childrenOf(client, state, wait, parent);
  const found = children.find((child) => child.startsWith(prefix));
  return found === undefined ? null : joinPath(parent, found);
}

/** Background cleanup of a protected node whose create we gave up on (never rejects). */
async function findAndDeleteProtected(client: ZooKeeperClient, state: ConnectionState, parent: string, prefix: string): Promise<void> {
  try {
    const found = await findProtected(client, state, Wait.unbounded(), parent, prefix);
    if (found !== null) await deleteGuaranteed(client, state, found);
  } catch {
    // The session is gone, and with it an ephemeral node; a persistent one stays (as in Curator).
  }
}

/**
 * Deletes `path` (any version), retrying after CONNECTIONLOSS until it is gone or the session
 * is lost. Resolves true when the node is gone (NONODE counts: after a retry it may have been
 * our own delete), false when the session was lost first (its ephemerals go with it).
 */
export async function deleteGuaranteed(client: ZooKeeperClient, state: ConnectionState, path: string, wait = Wait.unbounded()): Promise<boolean> {
  try {
    await retrying(state, wait, () => client.delete(path));
    return true;
  } catch (err) {
    if (hasCode(err, ErrorCode.NONODE)) return true;
    if (hasCode(err, ErrorCode.SESSIONEXPIRED) || isConnectionLoss(err)) return false;
    throw err;
  }
}

/**
 * Starts a guaranteed delete that runs on its own (Curator's `delete().guaranteed()` in the
 * background): it waits for the session to come back, and stops quietly once it is gone.
 */
export function deleteInBackground(client: ZooKeeperClient, state: ConnectionState, path: string): void {
  deleteGuaranteed(client, state, path).catch(() => undefined);
}
