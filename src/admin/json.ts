/**
 * JSON in the exact layout ZooKeeper's admin server writes (Jackson's DefaultPrettyPrinter):
 * two-space indents per enclosing object, `"key" : value`, arrays on one line (`[ 1, 2 ]`, with
 * objects inside opened on the same line: `[ {`), empty containers as `{ }` and `[ ]`.
 * Java distinguishes longs from doubles; a double is written with `javaDouble` (always a point).
 */

/** A Java double: printed as Double.toString would (1.0, 7.6667). */
export class JsonDouble {
  constructor(readonly value: number) {}
}

export type JsonValue =
  | null
  | boolean
  | string
  | number
  | bigint
  | JsonDouble
  | readonly JsonValue[]
  | ReadonlyMap<string, JsonValue>
  | { readonly [key: string]: JsonValue };

/** Marks a number as a Java double. */
export function double(value: number): JsonDouble {
  return new JsonDouble(value);
}

/** Java's Double.toString for the averages ZooKeeper prints (rounded to 4 decimals, always a point). */
export function javaDouble(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  const rounded = Math.round(value * 10000) / 10000;
  return Number.isInteger(rounded) ? rounded.toFixed(1) : String(rounded);
}

function entriesOf(value: ReadonlyMap<string, JsonValue> | { readonly [key: string]: JsonValue }): Array<[string, JsonValue]> {
  return value instanceof Map ? [...value.entries()] : Object.entries(value);
}

function write(value: JsonValue, depth: number): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : javaDouble(value);
  if (value instanceof JsonDouble) return javaDouble(value.value);
  if (Array.isArray(value)) {
    const items = value as readonly JsonValue[];
    if (items.length === 0) return '[ ]';
    return `[ ${items.map((item) => write(item, depth)).join(', ')} ]`;
  }
  const entries = entriesOf(value as ReadonlyMap<string, JsonValue>);
  if (entries.length === 0) return '{ }';
  const inner = '  '.repeat(depth + 1);
  const lines = entries.map(([k, v]) => `${inner}${JSON.stringify(k)} : ${write(v, depth + 1)}`);
  return `{\n${lines.join(',\n')}\n${'  '.repeat(depth)}}`;
}

/** The whole document, as Jackson's pretty printer writes it (no trailing newline). */
export function toJackson(value: JsonValue): string {
  return write(value, 0);
}
