/**
 * Cancellation with `AbortSignal`, the way Node's own APIs do it: an aborted operation rejects
 * with a DOMException named `AbortError` (its `cause` is the signal's reason), so callers test
 * `err.name === 'AbortError'` whatever aborted it. Aborting only stops the caller waiting: a
 * request already written to the server may still take effect there.
 */

/** Options every client operation accepts. */
export interface RequestOptions {
  /** Aborting it rejects the operation with an `AbortError`; see `isAbortError`. */
  readonly signal?: AbortSignal | undefined;
}

/** The error an aborted operation rejects with: DOMException `AbortError`, `cause` = the signal's reason. */
export function abortError(reason?: unknown): DOMException {
  const error = new DOMException('The operation was aborted', 'AbortError');
  // lib.dom types lack the options form of the constructor; Node's own AbortError sets cause so.
  Object.defineProperty(error, 'cause', { value: reason, writable: true, configurable: true });
  return error;
}

/** True for the error of an aborted operation (ours, Node's and fetch's alike). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/**
 * Calls `onAbort` once when `signal` aborts; returns a function that stops listening. Every
 * caller MUST call it when the operation settles, or a long-lived signal collects listeners.
 */
export function onAbort(signal: AbortSignal | undefined, onAborted: () => void): () => void {
  if (signal === undefined) return () => {};
  signal.addEventListener('abort', onAborted, { once: true });
  return () => signal.removeEventListener('abort', onAborted);
}

/**
 * `promise`, or an AbortError as soon as `signal` aborts (the operation itself carries on).
 * The listener is removed when either settles.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      promise.catch(() => {});
      reject(abortError(signal.reason));
      return;
    }
    const detach = onAbort(signal, () => reject(abortError(signal.reason)));
    promise.then(
      (value) => {
        detach();
        resolve(value);
      },
      (err: unknown) => {
        detach();
        reject(err);
      },
    );
  });
}
