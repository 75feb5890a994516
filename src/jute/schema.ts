import type { JuteReader } from './reader.js';
import type { JuteWriter } from './writer.js';

/** How one jute type is read and written. */
export interface Codec<T> {
  read(r: JuteReader): T;
  write(w: JuteWriter, value: T): void;
}

export const int: Codec<number> = { read: (r) => r.readInt(), write: (w, v) => void w.writeInt(v) };
export const long: Codec<bigint> = { read: (r) => r.readLong(), write: (w, v) => void w.writeLong(v) };
export const bool: Codec<boolean> = { read: (r) => r.readBool(), write: (w, v) => void w.writeBool(v) };
/** `buffer`, null allowed; read values are views into the frame. */
export const buffer: Codec<Buffer | null> = {
  read: (r) => r.readBuffer(),
  write: (w, v) => void w.writeBuffer(v),
};
/** `ustring`, null allowed. */
export const ustring: Codec<string | null> = {
  read: (r) => r.readString(),
  write: (w, v) => void w.writeString(v),
};

/** `vector<T>`, null allowed. */
export function vector<T>(item: Codec<T>): Codec<T[] | null> {
  return {
    read: (r) => r.readVector((rr) => item.read(rr)),
    write: (w, v) => void w.writeVector(v, (ww, x) => item.write(ww, x)),
  };
}

type Fields = Record<string, Codec<any>>;
type ValueOf<F extends Fields> = { -readonly [K in keyof F]: F[K] extends Codec<infer T> ? T : never };

/** A jute record: its fields in declared order, no tags or padding. */
export function record<F extends Fields>(fields: F): Codec<ValueOf<F>> {
  const entries = Object.entries(fields);
  return {
    read(r) {
      const value: Record<string, unknown> = {};
      for (const [name, codec] of entries) value[name] = codec.read(r);
      return value as ValueOf<F>;
    },
    write(w, value) {
      const v = value as Record<string, unknown>;
      for (const [name, codec] of entries) codec.write(w, v[name]);
    },
  };
}

/** The value type of a codec. */
export type Infer<C> = C extends Codec<infer T> ? T : never;
