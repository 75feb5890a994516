/** Assertions that stay on in production: a failed one is a programmer error, never bad input. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** Crashes with `message` unless `condition` holds. */
export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch the type system proves unreachable. */
export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
