/**
 * A linearizability checker for client-level histories (Jepsen/Knossos style), after Wing & Gong
 * with Lowe's just-in-time search and memoization: the history is a time-ordered list of call and
 * return entries; the search linearizes some pending operation at its call, backtracks at the
 * first return of an operation it has not linearized yet, and remembers every (set of
 * linearized operations, model state) it has already explored so each is explored once.
 *
 * Operations whose outcome is unknown (a CONNECTIONLOSS: the request may or may not have been
 * applied) have no return: they may take effect at any point after their call, or never. The
 * history is linearizable once every operation that did complete has been linearized.
 *
 * Also here: a register model for a ZooKeeper znode (data and version, with plain writes,
 * compare-and-set by version and reads), the model the ensemble consistency test checks.
 */

/** One operation of a history; `complete` undefined means the outcome is unknown. */
export interface Operation<I, O> {
  /** Unique within the history (for reports). */
  readonly id: number;
  /** The client (session) that issued it, for reports. */
  readonly process: number | string;
  /** Monotonic time the call was made. */
  readonly invoke: number;
  /** Monotonic time the reply arrived; undefined for an unknown outcome. */
  readonly complete: number | undefined;
  readonly input: I;
  /** What the reply said; undefined for an unknown outcome. */
  readonly output: O | undefined;
}

/** A sequential specification: the state after `op` from `state`, or undefined if `op` cannot happen there. */
export interface Model<S, I, O> {
  readonly init: S;
  /** `output` undefined: the operation's outcome is unknown, it takes effect as it would succeed. */
  step(state: S, input: I, output: O | undefined): S | undefined;
  /** A canonical string of the state, for memoization. */
  key(state: S): string;
  /**
   * Optional: a canonical string of an input. Unknown-outcome operations with the same input key
   * are interchangeable (same effect, no reply to match), so the search only tries the earliest
   * called one of them that is not linearized yet: that one can stand in wherever a later one
   * could go.
   */
  inputKey?(input: I): string;
}

export type CheckResult<S, I, O> =
  | { readonly valid: true; readonly linearization: readonly Operation<I, O>[]; readonly explored: number; readonly ms: number }
  | {
      readonly valid: false;
      readonly explored: number;
      readonly ms: number;
      /** The longest prefix found that could be linearized, the state it leads to, and the operations */
      /** (with the first return that forced backtracking) that could not go on from there. */
      readonly longestPrefix: readonly Operation<I, O>[];
      readonly stateAfterPrefix: S;
      readonly stuckAt: Operation<I, O> | undefined;
      readonly pendingAtStuck: readonly Operation<I, O>[];
    }
  | { readonly valid: 'unknown'; readonly explored: number; readonly ms: number; readonly reason: string };

interface Entry<I, O> {
  readonly op: Operation<I, O>;
  readonly index: number;
  readonly call: boolean;
  readonly time: number;
  /** For a call: its return entry. */
  match: Entry<I, O> | undefined;
  prev: Entry<I, O> | undefined;
  next: Entry<I, O> | undefined;
}

export interface CheckOptions {
  /** Give up (valid: 'unknown') after exploring this many configurations. Default 2,000,000. */
  readonly maxExplored?: number;
  /** Give up after this many milliseconds. Default 30,000. */
  readonly timeoutMs?: number;
}

/** Checks that `history` is linearizable with respect to `model`. */
export function checkLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], options: CheckOptions = {}): CheckResult<S, I, O> {
  const started = performance.now();
  const maxExplored = options.maxExplored ?? 2_000_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const ops = [...history];
  const ids = new Set<number>();
  for (const op of ops) {
    if (ids.has(op.id)) throw new Error(`duplicate operation id ${op.id}`);
    ids.add(op.id);
    if (op.complete !== undefined && op.complete < op.invoke) throw new Error(`operation ${op.id} completes before it is invoked`);
    if ((op.complete === undefined) !== (op.output === undefined)) throw new Error(`operation ${op.id}: complete and output must both be set or both be unset`);
  }

  // Completed operations: call and return entries in time order in a doubly linked list; at equal
  // times calls come first (the operations overlap).
  const entries: Entry<I, O>[] = [];
  // Operations with an unknown outcome have no return: they are kept apart, by call time, and
  // tried only after every completed candidate (they are rarely needed where they are pending,
  // and trying every subset of them first at every step would make the search exponential in
  // their number even on a linearizable history). Which operations are candidates is unchanged:
  // the search stays exhaustive.
  const unknown: Array<{ op: Operation<I, O>; index: number }> = [];
  ops.forEach((op, index) => {
    if (op.complete === undefined) {
      unknown.push({ op, index });
      return;
    }
    const ret: Entry<I, O> = { op, index, call: false, time: op.complete, match: undefined, prev: undefined, next: undefined };
    const call: Entry<I, O> = { op, index, call: true, time: op.invoke, match: ret, prev: undefined, next: undefined };
    entries.push(call, ret);
  });
  entries.sort((a, b) => a.time - b.time || (a.call === b.call ? a.index - b.index : a.call ? -1 : 1));
  unknown.sort((a, b) => a.op.invoke - b.op.invoke || a.index - b.index);
  // For each unknown operation, the previous one (by call time) with the same input, if any.
  const sameBefore: number[] = [];
  if (model.inputKey !== undefined) {
    const lastOf = new Map<string, number>();
    unknown.forEach((u, at) => {
      const k = model.inputKey!(u.op.input);
      sameBefore.push(lastOf.get(k) ?? -1);
      lastOf.set(k, at);
    });
  }
  const head: Entry<I, O> = { op: undefined as unknown as Operation<I, O>, index: -1, call: false, time: -Infinity, match: undefined, prev: undefined, next: undefined };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  const lift = (call: Entry<I, O>): void => {
    call.prev!.next = call.next;
    if (call.next !== undefined) call.next.prev = call.prev;
    const ret = call.match!;
    ret.prev!.next = ret.next;
    if (ret.next !== undefined) ret.next.prev = ret.prev;
  };
  const unlift = (call: Entry<I, O>): void => {
    const ret = call.match!;
    ret.prev!.next = ret;
    if (ret.next !== undefined) ret.next.prev = ret;
    call.prev!.next = call;
    if (call.next !== undefined) call.next.prev = call;
  };

  const words = new Uint32Array(Math.ceil(ops.length / 32) + 1);
  const setBit = (i: number) => (words[i >>> 5]! |= 1 << (i & 31));
  const clearBit = (i: number) => (words[i >>> 5]! &= ~(1 << (i & 31)));
  const hasBit = (i: number) => (words[i >>> 5]! & (1 << (i & 31))) !== 0;
  const bitsKey = (): string => {
    let s = '';
    for (let i = 0; i < words.length; i++) s += words[i]!.toString(36) + ',';
    return s;
  };

  /** Where the search is: scanning the completed list, or the unknown ones called by `limit` (the first pending return). */
  type Cursor = { readonly known: true; readonly entry: Entry<I, O> | undefined } | { readonly known: false; readonly at: number; readonly limit: Entry<I, O> };
  type Frame = { readonly state: S; readonly call: Entry<I, O> } | { readonly state: S; readonly unknownAt: number; readonly limit: Entry<I, O> };

  const cache = new Set<string>();
  const stack: Frame[] = [];
  let state = model.init;
  let remaining = entries.length / 2;
  let explored = 0;
  let best: { prefix: Operation<I, O>[]; state: S; stuckAt: Operation<I, O> | undefined; pending: Operation<I, O>[] } | undefined;
  let cursor: Cursor = { known: true, entry: head.next };

  const opOf = (f: Frame): Operation<I, O> => ('call' in f ? f.call.op : unknown[f.unknownAt]!.op);
  const snapshotPending = (stuck: Entry<I, O>): Operation<I, O>[] => {
    const pending: Operation<I, O>[] = [];
    for (let e = head.next; e !== undefined && e !== stuck; e = e.next) if (e.call) pending.push(e.op);
    for (const u of unknown) if (u.op.invoke <= stuck.time && !hasBit(u.index)) pending.push(u.op);
    return pending;
  };
  /** Linearizes `op` here if the model allows it and the configuration is new. */
  const tryStep = (op: Operation<I, O>, index: number): S | undefined => {
    const next = model.step(state, op.input, op.output);
    if (next === undefined) return undefined;
    setBit(index);
    const key = bitsKey() + '|' + model.key(next);
    if (cache.has(key)) {
      clearBit(index);
      return undefined;
    }
    cache.add(key);
    explored++;
    return next;
  };

  while (remaining > 0) {
    if (explored > maxExplored || (explored % 1024 === 0 && explored > 0 && performance.now() - started > timeoutMs)) {
      return { valid: 'unknown', explored, ms: performance.now() - started, reason: `gave up after ${explored} configurations` };
    }
    if (cursor.known) {
      const entry: Entry<I, O> | undefined = cursor.entry;
      if (entry === undefined) throw new Error('internal error: ran off the end of the history');
      if (entry.call) {
        const next = tryStep(entry.op, entry.index);
        if (next !== undefined) {
          stack.push({ state, call: entry });
          state = next;
          lift(entry);
          remaining--;
          cursor = { known: true, entry: head.next };
        } else {
          cursor = { known: true, entry: entry.next };
        }
      } else {
        // The first pending return: the completed candidates are exhausted; now the unknown ones.
        cursor = { known: false, at: 0, limit: entry };
      }
      continue;
    }
    const { limit } = cursor;
    let at = cursor.at;
    let stepped = false;
    for (; at < unknown.length && unknown[at]!.op.invoke <= limit.time; at++) {
      const u = unknown[at]!;
      if (hasBit(u.index)) continue;
      const twin = sameBefore[at] ?? -1;
      if (twin >= 0 && !hasBit(unknown[twin]!.index)) continue;
      const next = tryStep(u.op, u.index);
      if (next === undefined) continue;
      stack.push({ state, unknownAt: at, limit });
      state = next;
      cursor = { known: true, entry: head.next };
      stepped = true;
      break;
    }
    if (stepped) continue;
    // Nothing can go before the return of `limit`, which is not linearized: this branch is dead.
    if (best === undefined || stack.length > best.prefix.length) {
      best = { prefix: stack.map(opOf), state, stuckAt: limit.op, pending: snapshotPending(limit) };
    }
    const top = stack.pop();
    if (top === undefined) {
      return {
        valid: false,
        explored,
        ms: performance.now() - started,
        longestPrefix: best.prefix,
        stateAfterPrefix: best.state,
        stuckAt: best.stuckAt,
        pendingAtStuck: best.pending,
      };
    }
    state = top.state;
    if ('call' in top) {
      clearBit(top.call.index);
      unlift(top.call);
      remaining++;
      cursor = { known: true, entry: top.call.next };
    } else {
      clearBit(unknown[top.unknownAt]!.index);
      cursor = { known: false, at: top.unknownAt + 1, limit: top.limit };
    }
  }
  return { valid: true, linearization: stack.map(opOf), explored, ms: performance.now() - started };
}

/** Splits a history by key (independent objects) and checks each part on its own. */
export function checkLinearizablePerKey<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  keyOf: (op: Operation<I, O>) => string,
  options: CheckOptions = {},
): Map<string, CheckResult<S, I, O>> {
  const parts = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    const k = keyOf(op);
    let part = parts.get(k);
    if (part === undefined) parts.set(k, (part = []));
    part.push(op);
  }
  const results = new Map<string, CheckResult<S, I, O>>();
  for (const [k, part] of parts) results.set(k, checkLinearizable(model, part, options));
  return results;
}

// ---------------------------------------------------------------------------------------------
// A znode as a register: data plus its version, which every successful setData increments.

export interface RegisterState {
  readonly value: string;
  readonly version: number;
}

export type RegisterInput =
  | { readonly f: 'read' }
  /** setData(path, value, -1). */
  | { readonly f: 'write'; readonly value: string }
  /** setData(path, value, expectedVersion). */
  | { readonly f: 'cas'; readonly expected: number; readonly value: string };

export type RegisterOutput =
  /** A read's reply. */
  | { readonly type: 'read'; readonly value: string; readonly version: number }
  /** setData succeeded: the new version (Stat.version of its reply). */
  | { readonly type: 'written'; readonly version: number }
  /** setData failed with BADVERSION. */
  | { readonly type: 'badversion' };

export function registerModel(init: RegisterState): Model<RegisterState, RegisterInput, RegisterOutput> {
  return {
    init,
    key: (s) => `${s.version}:${s.value}`,
    inputKey: (i) => (i.f === 'read' ? 'read' : i.f === 'write' ? `write:${i.value}` : `cas:${i.expected}:${i.value}`),
    step(s, input, output) {
      switch (input.f) {
        case 'read':
          if (output === undefined) return s;
          return output.type === 'read' && output.value === s.value && output.version === s.version ? s : undefined;
        case 'write':
          if (output !== undefined && !(output.type === 'written' && output.version === s.version + 1)) return undefined;
          return { value: input.value, version: s.version + 1 };
        case 'cas':
          if (output === undefined) return s.version === input.expected ? { value: input.value, version: s.version + 1 } : s;
          if (output.type === 'badversion') return s.version !== input.expected ? s : undefined;
          if (output.type === 'written' && s.version === input.expected && output.version === s.version + 1) return { value: input.value, version: s.version + 1 };
          return undefined;
      }
    },
  };
}

/** The value `canonicalizeUnobserved` gives writes nobody read. */
export const UNOBSERVED = '\u0000unobserved';

/**
 * Renames the value of every unknown-outcome write or compare-and-set that no completed read
 * returned to one placeholder. The verdict cannot change (reads only ever match values they
 * returned, which the placeholder is not, and the renamed writes keep their effect on the
 * version), but such writes become interchangeable, so the search need not try every subset of
 * them (see Model.inputKey).
 */
export function canonicalizeUnobserved(history: readonly Operation<RegisterInput, RegisterOutput>[]): Operation<RegisterInput, RegisterOutput>[] {
  const observed = new Set<string>();
  for (const op of history) if (op.output?.type === 'read') observed.add(op.output.value);
  if (observed.has(UNOBSERVED)) throw new Error('a read returned the placeholder value');
  return history.map((op) => (op.complete === undefined && op.input.f !== 'read' && !observed.has(op.input.value) ? { ...op, input: { ...op.input, value: UNOBSERVED } } : op));
}

/** One line per operation, for failure reports. */
export function formatOperation(op: Operation<RegisterInput, RegisterOutput>): string {
  const i = op.input;
  const shown = (v: string) => (v === UNOBSERVED ? '<unobserved>' : v);
  const call = i.f === 'read' ? 'read()' : i.f === 'write' ? `write(${shown(i.value)})` : `cas(v${i.expected} -> ${shown(i.value)})`;
  const o = op.output;
  const reply = o === undefined ? 'UNKNOWN' : o.type === 'read' ? `${o.value}@v${o.version}` : o.type === 'written' ? `ok v${o.version}` : 'BADVERSION';
  const end = op.complete === undefined ? '        ?' : op.complete.toFixed(1).padStart(9);
  return `#${op.id} p${op.process} [${op.invoke.toFixed(1).padStart(9)} ${end}] ${call} => ${reply}`;
}
