/**
 * Retrying ZooKeeper operations through connection trouble, with exponential backoff and jitter.
 *
 * Only CONNECTIONLOSS and OPERATIONTIMEOUT are retried: both mean "the outcome is unknown", the
 * request may or may not have been applied, and the session is still alive. Nothing else is:
 * SESSIONEXPIRED means the session and its ephemerals and watches are gone, and retrying on a
 * dead handle would only fail again, or worse, hide the expiry from the application, which
 * MUST learn of it to give up locks and leadership. Every other code is an answer (NONODE,
 * BADVERSION, ...), not a failure to get one.
 *
 * Because the outcome of a failed attempt is unknown, `fn` is only safe to retry blindly when
 * running it twice has the effect of running it once:
 *
 * - SAFE: reads (getData, exists, getChildren, getACL, ...); setData/delete/setACL/check with an
 *   explicit version (a second attempt after an applied first one fails with BADVERSION or
 *   NONODE, which the caller must then read as "maybe it was me"); creates of a fixed path that
 *   treat NODEEXISTS as success (and check the node is theirs, e.g. by its data or by
 *   stat.ephemeralOwner === client.sessionId); multi whose ops are all of the above.
 * - NOT SAFE: sequential creates (an applied first attempt leaves a node with a number nobody
 *   knows, and the retry makes a second one: a lock queue gets a ghost entry that blocks it
 *   until the session ends), and writes with version -1 (a setData/delete that is applied
 *   twice may overwrite or remove someone else's change made between the attempts). For
 *   sequential nodes use the protected-create pattern (Curator's `_c_<uuid>-` prefix): put a
 *   unique id in the name, and before retrying list the parent and adopt the node carrying it.
 */
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { abortError, onAbort } from './abort.js';

/** Retries allowed at most, whatever a caller asks: a bound on every loop. */
export const RETRIES_MAX = 1_000;
const RETRIES_DEFAULT = 5;
const BASE_DELAY_MS_DEFAULT = 100;
const MAX_DELAY_MS_DEFAULT = 10_000;

/** The codes `retry` retries: the outcome is unknown but the session lives. */
export const RETRYABLE_CODES: ReadonlySet<number> = new Set([ErrorCode.CONNECTIONLOSS, ErrorCode.OPERATIONTIMEOUT]);

/** Options of `retry`. */
export interface RetryOptions {
  /** Attempts after the first, at most (default 5, at most RETRIES_MAX). */
  readonly retries?: number;
  /** Backoff before the first retry, before jitter (default 100 ms); it doubles per retry. */
  readonly baseDelayMs?: number;
  /** Cap on one backoff (default 10000 ms). */
  readonly maxDelayMs?: number;
  /** Aborting it stops retrying: a pending wait rejects with an AbortError. Pass it on to `fn`'s calls too. */
  readonly signal?: AbortSignal;
  /** Called before each backoff wait (logging, metrics). */
  readonly onRetry?: (error: KeeperError, retry: number, delayMs: number) => void;
  /** Uniform in [0, 1); for deterministic tests. Default Math.random. */
  readonly random?: () => number;
  /** Waits `delayMs`, rejecting if `signal` aborts; for tests. Default a timer. */
  readonly sleep?: (delayMs: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** True for a KeeperError that `retry` retries (CONNECTIONLOSS, OPERATIONTIMEOUT). */
export function isRetryable(err: unknown): err is KeeperError {
  return err instanceof KeeperError && RETRYABLE_CODES.has(err.code);
}

/**
 * The wait before retry number `retry` (1-based): "equal jitter", half of
 * min(maxDelayMs, baseDelayMs * 2^(retry-1)) plus a random part of the other half, so that
 * clients cut off together do not come back together, and no retry is immediate.
 */
export function backoffDelayMs(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(retry - 1, 52));
  return ceiling / 2 + random() * (ceiling / 2);
}

function sleepWithTimer(delayMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortError(signal.reason));
      return;
    }
    const timer = setTimeout(() => {
      detach();
      resolve();
    }, delayMs);
    const detach = onAbort(signal, () => {
      clearTimeout(timer);
      reject(abortError(signal?.reason));
    });
  });
}

function checkedOptions(options: RetryOptions) {
  const retries = options.retries ?? RETRIES_DEFAULT;
  const baseDelayMs = options.baseDelayMs ?? BASE_DELAY_MS_DEFAULT;
  const maxDelayMs = options.maxDelayMs ?? MAX_DELAY_MS_DEFAULT;
  if (!Number.isInteger(retries) || retries < 0 || retries > RETRIES_MAX) {
    throw new RangeError(`retries must be an integer in 0..${RETRIES_MAX}, got ${retries}`);
  }
  if (!(baseDelayMs >= 0) || !(maxDelayMs >= 0) || !Number.isFinite(maxDelayMs)) {
    throw new RangeError(`baseDelayMs and maxDelayMs must be finite and >= 0, got ${baseDelayMs} and ${maxDelayMs}`);
  }
  return { retries, baseDelayMs, maxDelayMs };
}

/**
 * Runs `fn` (given the attempt number, 0 first) and retries it after CONNECTIONLOSS or
 * OPERATIONTIMEOUT, up to `retries` times with exponential backoff and jitter; any other
 * rejection, SESSIONEXPIRED included, is passed on at once, as is the last retryable one.
 * Read the module comment for which operations are safe to retry this way.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { retries, baseDelayMs, maxDelayMs } = checkedOptions(options);
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepWithTimer;
  const signal = options.signal;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted === true) throw abortError(signal.reason);
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetryable(err) || attempt >= retries) throw err;
      const delayMs = backoffDelayMs(attempt + 1, baseDelayMs, maxDelayMs, random);
      options.onRetry?.(err, attempt + 1, delayMs);
      await sleep(delayMs, signal);
    }
  }
}
