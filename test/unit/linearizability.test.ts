// Proves the linearizability checker the ensemble consistency test relies on: small hand-made
// register histories that are linearizable are accepted and ones that are not (stale reads,
// reads that go back, two winners of one compare-and-set, a value seen before it was written, a
// BADVERSION nothing explains) are rejected; unknown outcomes may take effect or not, but not
// before their call; and on hundreds of random small histories its verdict equals a brute-force
// enumeration of every order and every subset of unknown operations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalizeUnobserved,
  checkLinearizable,
  checkLinearizablePerKey,
  formatOperation,
  registerModel,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  type RegisterState,
} from '../support/linearizability.js';
import { seededRandom } from '../support/seeded-random.js';

type Op = Operation<RegisterInput, RegisterOutput>;
const model = registerModel({ value: 'init', version: 0 });

let nextId = 0;
function op(process: number, invoke: number, complete: number | undefined, input: RegisterInput, output?: RegisterOutput): Op {
  return { id: nextId++, process, invoke, complete, input, output: complete === undefined ? undefined : output };
}
const read = (p: number, a: number, b: number | undefined, value?: string, version?: number): Op =>
  op(p, a, b, { f: 'read' }, value === undefined ? undefined : { type: 'read', value, version: version! });
const write = (p: number, a: number, b: number | undefined, value: string, version?: number): Op =>
  op(p, a, b, { f: 'write', value }, version === undefined ? undefined : { type: 'written', version });
const cas = (p: number, a: number, b: number | undefined, expected: number, value: string, result?: number | 'badversion'): Op =>
  op(p, a, b, { f: 'cas', expected, value }, result === undefined ? undefined : result === 'badversion' ? { type: 'badversion' } : { type: 'written', version: result });

const valid = (history: Op[]) => {
  const r = checkLinearizable(model, history);
  assert.equal(r.valid, true, `expected linearizable:\n${history.map(formatOperation).join('\n')}`);
  return r;
};
const invalid = (history: Op[]) => {
  const r = checkLinearizable(model, history);
  assert.equal(r.valid, false, `expected NOT linearizable:\n${history.map(formatOperation).join('\n')}`);
  return r;
};

test('sequential histories: reads see the last write', () => {
  valid([]);
  valid([read(1, 0, 1, 'init', 0)]);
  valid([write(1, 0, 1, 'a', 1), read(2, 2, 3, 'a', 1), write(2, 4, 5, 'b', 2), read(1, 6, 7, 'b', 2)]);
  invalid([read(1, 0, 1, 'x', 0)]);
  invalid([read(1, 0, 1, 'init', 1)]);
  // A write's reply carries the new version: it must be one more than the one it replaced.
  invalid([write(1, 0, 1, 'a', 2)]);
  invalid([write(1, 0, 1, 'a', 1), write(1, 2, 3, 'b', 1)]);
});

test('a stale read after a completed write is rejected; a concurrent read may see either', () => {
  invalid([write(1, 0, 10, 'a', 1), read(2, 11, 12, 'init', 0)]);
  valid([write(1, 0, 10, 'a', 1), read(2, 5, 12, 'init', 0)]);
  valid([write(1, 0, 10, 'a', 1), read(2, 5, 12, 'a', 1)]);
  // A read that sees a write which had not been called yet.
  invalid([read(2, 0, 4, 'a', 1), write(1, 5, 10, 'a', 1)]);
});

test('reads may not go back: two concurrent writes, then sequential reads in the wrong order', () => {
  const writes = () => [write(1, 0, 10, 'a', 1), write(2, 0, 10, 'b', 2)];
  valid([...writes(), read(3, 1, 2, 'a', 1), read(3, 3, 4, 'b', 2)]);
  invalid([...writes(), read(3, 1, 2, 'b', 2), read(3, 3, 4, 'a', 1)]);
  // Even from two different clients, if the reads do not overlap.
  invalid([...writes(), read(3, 1, 2, 'b', 2), read(4, 3, 4, 'a', 1)]);
  valid([...writes(), read(3, 1, 4, 'b', 2), read(4, 3, 5, 'a', 1)]);
});

test('compare-and-set: one winner per version, BADVERSION only when the version had moved', () => {
  valid([cas(1, 0, 10, 0, 'a', 1), cas(2, 0, 10, 0, 'b', 'badversion')]);
  invalid([cas(1, 0, 10, 0, 'a', 1), cas(2, 0, 10, 0, 'b', 1)]);
  valid([cas(1, 0, 10, 0, 'a', 1), cas(2, 0, 10, 1, 'b', 2), read(3, 11, 12, 'b', 2)]);
  // Nothing changed the version, so a BADVERSION for the current one is impossible.
  invalid([read(1, 0, 1, 'init', 0), cas(1, 2, 3, 0, 'a', 'badversion')]);
  valid([read(1, 0, 1, 'init', 0), write(2, 1.5, 2.5, 'w', 1), cas(1, 2, 3, 0, 'a', 'badversion')]);
  // BADVERSION after the write completed, yet a later read sees the CAS's value.
  invalid([write(2, 0, 1, 'w', 1), cas(1, 2, 3, 0, 'a', 'badversion'), read(1, 4, 5, 'a', 2)]);
});

test('unknown outcomes may take effect, later or never, but not before they are called', () => {
  valid([write(1, 0, undefined, 'x'), read(2, 5, 6, 'x', 1)]);
  valid([write(1, 0, undefined, 'x'), read(2, 5, 6, 'init', 0)]);
  // ...it can even take effect long after: first invisible, later visible.
  valid([write(1, 0, undefined, 'x'), read(2, 5, 6, 'init', 0), read(2, 100, 101, 'x', 1)]);
  // ...but once seen it stays (and the version says how many writes came first).
  invalid([write(1, 0, undefined, 'x'), read(2, 5, 6, 'x', 1), read(2, 7, 8, 'init', 0)]);
  invalid([read(2, 0, 1, 'x', 1), write(1, 2, undefined, 'x')]);
  // Two unknown writes, both applied, in the order the versions say.
  valid([write(1, 0, undefined, 'x'), write(2, 0, undefined, 'y'), read(3, 5, 6, 'y', 1), read(3, 7, 8, 'x', 2)]);
  invalid([write(1, 0, undefined, 'x'), write(2, 0, undefined, 'y'), read(3, 5, 6, 'y', 1), read(3, 7, 8, 'y', 2)]);
  // An unknown CAS applies only at its expected version.
  valid([cas(1, 0, undefined, 0, 'c'), read(2, 5, 6, 'c', 1)]);
  invalid([write(3, 0, 1, 'w', 1), cas(1, 2, undefined, 0, 'c'), read(2, 5, 6, 'c', 2)]);
  // An unknown read constrains nothing.
  valid([read(1, 0, undefined), write(2, 1, 2, 'a', 1)]);
});

test('unread unknown writes are interchangeable: they still count for the version', () => {
  // Three unknown writes nobody read; the version says exactly two of them happened, and the
  // second of those could only have been called after the first read.
  const history = [
    write(1, 0, undefined, 'x'),
    write(2, 0, undefined, 'y'),
    read(3, 1, 2, 'init', 0),
    write(4, 3, undefined, 'z'),
    write(5, 10, 11, 'a', 3),
    read(3, 12, 13, 'a', 3),
  ];
  const c = canonicalizeUnobserved(history);
  assert.deepEqual(c.map((o) => (o.input.f === 'read' ? 'r' : o.input.value === 'a' ? 'a' : o.input.value === '\u0000unobserved' ? '?' : o.input.value)), ['?', '?', 'r', '?', 'a', 'r']);
  assert.equal(checkLinearizable(model, c).valid, true);
  assert.equal(checkLinearizable(model, history).valid, true);
  // Version 4 takes all three; version 5 would take four.
  assert.equal(checkLinearizable(model, canonicalizeUnobserved([...history.slice(0, 4), write(5, 10, 11, 'a', 4)])).valid, true);
  const tooMany = [...history.slice(0, 4), write(5, 10, 11, 'a', 5)];
  assert.equal(checkLinearizable(model, canonicalizeUnobserved(tooMany)).valid, false);
  assert.equal(checkLinearizable(model, tooMany).valid, false);
  // A value that was read is kept, and must then be the last write before the read.
  const seen = [write(1, 0, undefined, 'x'), write(2, 0, undefined, 'y'), read(3, 5, 6, 'x', 2)];
  assert.equal(canonicalizeUnobserved(seen)[0]!.input.f === 'write' && (canonicalizeUnobserved(seen)[0]!.input as { value: string }).value, 'x');
  assert.equal(checkLinearizable(model, canonicalizeUnobserved(seen)).valid, true);
  assert.equal(checkLinearizable(model, canonicalizeUnobserved([...seen.slice(0, 2), read(3, 5, 6, 'x', 3)])).valid, false);
});

test('a failure reports the longest linearizable prefix and the operation that could not follow', () => {
  const history = [write(1, 0, 1, 'a', 1), write(1, 2, 3, 'b', 2), read(2, 4, 5, 'a', 1)];
  const r = invalid(history);
  assert.ok(r.valid === false);
  assert.deepEqual(r.longestPrefix.map((o) => o.id), [history[0]!.id, history[1]!.id]);
  assert.deepEqual(r.stateAfterPrefix, { value: 'b', version: 2 });
  assert.equal(r.stuckAt?.id, history[2]!.id);
});

test('the search gives up (valid: unknown) rather than run past its budget', () => {
  // Many concurrent unknown writes that nothing pins down, then an impossible read.
  const history: Op[] = [];
  for (let i = 0; i < 14; i++) history.push(write(i, 0, undefined, `u${i}`));
  history.push(read(99, 1, 2, 'never', 99));
  const r = checkLinearizable(model, history, { maxExplored: 1000 });
  assert.equal(r.valid, 'unknown');
});

test('per-key partitioning checks each key on its own', () => {
  const a = [write(1, 0, 1, 'a', 1), read(2, 2, 3, 'a', 1)];
  const b = [write(1, 0, 1, 'b', 1), read(2, 2, 3, 'init', 0)];
  const keyOf = (o: Op) => (a.includes(o) ? 'a' : 'b');
  const results = checkLinearizablePerKey(model, [...a, ...b], keyOf);
  assert.equal(results.get('a')?.valid, true);
  assert.equal(results.get('b')?.valid, false);
});

// ---------------------------------------------------------------------------------------------
// Brute force: every interleaving consistent with real time, every subset of unknown operations.

function bruteForce(history: Op[]): boolean {
  const mustPrecede = (a: Op, b: Op) => a.complete !== undefined && a.complete < b.invoke;
  const search = (state: RegisterState, done: Set<Op>): boolean => {
    if (history.every((o) => o.complete === undefined || done.has(o))) return true;
    for (const o of history) {
      if (done.has(o)) continue;
      // o can go next only if no other remaining op must precede it.
      if (history.some((p) => p !== o && !done.has(p) && mustPrecede(p, o))) continue;
      const next = model.step(state, o.input, o.output);
      if (next === undefined) continue;
      done.add(o);
      if (search(next, done)) return true;
      done.delete(o);
    }
    // Unknown operations may also never happen: dropping one is the same as never choosing it,
    // which the loop covers since only completed operations are required.
    return false;
  };
  return search(model.init, new Set());
}

/** A random small history: plausible-looking but often not linearizable. */
function randomHistory(rand: () => number, size: number): Op[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const values = ['init', 'a', 'b', 'c'];
  const history: Op[] = [];
  for (let i = 0; i < size; i++) {
    const invoke = Math.floor(rand() * 10);
    const unknown = rand() < 0.2;
    const complete = unknown ? undefined : invoke + 1 + Math.floor(rand() * 4);
    const kind = pick(['read', 'write', 'cas'] as const);
    const version = Math.floor(rand() * 3);
    const value = pick(values.slice(1));
    if (kind === 'read') history.push(read(i, invoke, complete, unknown ? undefined : pick(values), version));
    else if (kind === 'write') history.push(write(i, invoke, complete, `${value}`, unknown ? undefined : version + 1));
    else history.push(cas(i, invoke, complete, version, value, unknown ? undefined : rand() < 0.5 ? 'badversion' : version + 1));
  }
  return history;
}

/** A history produced by a real (atomic) register with random overlapping operations: always linearizable. */
function generatedHistory(rand: () => number, size: number): Op[] {
  let state: RegisterState = model.init;
  const history: Op[] = [];
  let t = 0;
  for (let i = 0; i < size; i++) {
    // Each op takes effect at time t; its call is a bit before and its return a bit after.
    t += 1 + rand() * 3;
    const invoke = t - rand() * 6;
    const after = t + rand() * 6;
    const unknown = rand() < 0.15;
    const kind = rand();
    let input: RegisterInput;
    let output: RegisterOutput;
    if (kind < 0.4) {
      input = { f: 'read' };
      output = { type: 'read', ...state };
    } else if (kind < 0.7) {
      input = { f: 'write', value: `w${i}` };
      state = { value: `w${i}`, version: state.version + 1 };
      output = { type: 'written', version: state.version };
    } else {
      const expected = rand() < 0.6 ? state.version : Math.max(0, state.version - 1);
      input = { f: 'cas', expected, value: `c${i}` };
      if (expected === state.version) {
        state = { value: `c${i}`, version: state.version + 1 };
        output = { type: 'written', version: state.version };
      } else {
        output = { type: 'badversion' };
      }
    }
    // An unknown-outcome op here did take effect (it was applied above); one that did not is a read with no reply.
    history.push(op(i % 5, invoke, unknown ? undefined : after, input, output));
  }
  return history;
}

test('agrees with a brute-force enumeration on random small histories', () => {
  const rand = seededRandom(20240617);
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < 600; i++) {
    const history = randomHistory(rand, 2 + Math.floor(rand() * 5));
    const expected = bruteForce(history);
    const r = checkLinearizable(model, history);
    assert.equal(r.valid, expected, `disagrees with brute force:\n${history.map(formatOperation).join('\n')}`);
    const c = checkLinearizable(model, canonicalizeUnobserved(history));
    assert.equal(c.valid, expected, `canonicalized, disagrees with brute force:\n${history.map(formatOperation).join('\n')}`);
    if (expected) accepted++;
    else rejected++;
  }
  // The sample covers both verdicts well.
  assert.ok(accepted > 50 && rejected > 50, `accepted ${accepted}, rejected ${rejected}`);
});

test('accepts generated linearizable histories, and rejects them once a read is made stale', () => {
  const rand = seededRandom(7);
  let mutatedRejected = 0;
  for (let i = 0; i < 40; i++) {
    const history = generatedHistory(rand, 60 + Math.floor(rand() * 60));
    const r = checkLinearizable(model, history);
    assert.equal(r.valid, true, `generated history rejected:\n${history.map(formatOperation).join('\n')}`);
    // Make one completed read that saw version >= 2 report the value of two versions earlier,
    // with its call moved after the write that replaced that value completed: never linearizable.
    const reads = history.filter((o) => o.input.f === 'read' && o.output?.type === 'read' && o.output.version >= 2);
    const victim = reads[Math.floor(rand() * reads.length)];
    if (victim === undefined) continue;
    const seen = victim.output as { value: string; version: number };
    const writes = history.filter((o) => o.output?.type === 'written');
    const older = writes.find((o) => (o.output as { version: number }).version === seen.version - 1);
    const newer = writes.find((o) => (o.output as { version: number }).version === seen.version);
    if (older === undefined || newer === undefined || newer.complete === undefined) continue;
    const staleValue = (older.input as { value: string }).value;
    const mutated = history.map((o) =>
      o === victim ? { ...o, invoke: newer.complete! + 0.01, complete: newer.complete! + 0.02, output: { type: 'read' as const, value: staleValue, version: seen.version - 1 } } : o,
    );
    const m = checkLinearizable(model, mutated);
    assert.equal(m.valid, false, `stale read accepted:\n${mutated.map(formatOperation).join('\n')}`);
    mutatedRejected++;
  }
  assert.ok(mutatedRejected >= 20, `only ${mutatedRejected} mutated histories`);
});
