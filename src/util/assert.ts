/** Assertions that stay on in production: a failed one is a programmer error, never bad input. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/**
 * Crashes with `message` unless `condition` holds. On hot paths pass a message that needs
 * building (a template with bigints) as a function: it is then built only on failure.
 */
export function assert(condition: unknown, message: string | (() => string) = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(typeof message === 'string' ? message : message());
}

/** Marks a branch the type system proves unreachable. */
export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
