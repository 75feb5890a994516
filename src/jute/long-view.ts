/**
 * DataViews for reading and writing 64-bit fields: DataView's bigint accessors are several times
 * faster than Buffer's readBigInt64BE / writeBigInt64BE. Small buffers mostly come from Node's
 * 8 KiB pool, so one view over the last small ArrayBuffer serves the longs of many readers and
 * writers in a row; a large ArrayBuffer gets a view held by its user only, so that a module
 * never keeps a large buffer (a whole snapshot file) alive.
 */
const SHARED_VIEW_BYTES_MAX = 64 * 1024;

let sharedTarget: ArrayBufferLike | undefined;
let sharedView: DataView | undefined;

/** A view over all of `buffer`'s ArrayBuffer: index it with `buffer.byteOffset + offset`. */
export function longViewOf(buffer: Uint8Array, own: DataView | undefined): DataView {
  const target = buffer.buffer;
  if (target.byteLength > SHARED_VIEW_BYTES_MAX) return own?.buffer === target ? own : new DataView(target);
  if (target !== sharedTarget || sharedView === undefined) {
    sharedTarget = target;
    sharedView = new DataView(target);
  }
  return sharedView;
}
