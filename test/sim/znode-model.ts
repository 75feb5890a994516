// A znode as a sequential object, for the linearizability search of test/support/linearizability.ts:
// it exists or not; when it exists it holds a value and a version (0 at create, +1 per setData).
// create, setData (plain or conditional on a version), delete and reads, with ZooKeeper's
// error outcomes (NODEEXISTS, NONODE, BADVERSION). An unknown outcome takes effect as it would
// succeed, or not at all (the search tries both).
import type { Model } from '../support/linearizability.js';

export type ZnodeState = { readonly exists: false } | { readonly exists: true; readonly value: string; readonly version: number };

export type ZnodeInput =
  | { readonly f: 'create'; readonly value: string }
  | { readonly f: 'set'; readonly value: string }
  | { readonly f: 'cas'; readonly expected: number; readonly value: string }
  | { readonly f: 'delete' }
  | { readonly f: 'read' };

export type ZnodeOutput =
  | { readonly type: 'created' }
  | { readonly type: 'nodeexists' }
  | { readonly type: 'written'; readonly version: number }
  | { readonly type: 'badversion' }
  | { readonly type: 'nonode' }
  | { readonly type: 'deleted' }
  /** A read that found the node; `value` undefined for exists(), which returns only the Stat. */
  | { readonly type: 'found'; readonly value: string | undefined; readonly version: number }
  | { readonly type: 'absent' };

const ABSENT: ZnodeState = { exists: false };

export const znodeModel: Model<ZnodeState, ZnodeInput, ZnodeOutput> = {
  init: ABSENT,
  key: (s) => (s.exists ? `${s.version}:${s.value}` : '-'),
  inputKey: (i) => (i.f === 'create' || i.f === 'set' ? `${i.f}:${i.value}` : i.f === 'cas' ? `cas:${i.expected}:${i.value}` : i.f),
  step(s, input, output) {
    switch (input.f) {
      case 'create':
        if (output === undefined) return s.exists ? s : { exists: true, value: input.value, version: 0 };
        if (output.type === 'created') return s.exists ? undefined : { exists: true, value: input.value, version: 0 };
        return output.type === 'nodeexists' && s.exists ? s : undefined;
      case 'set':
        if (output === undefined) return s.exists ? { exists: true, value: input.value, version: s.version + 1 } : s;
        if (output.type === 'written') return s.exists && output.version === s.version + 1 ? { exists: true, value: input.value, version: output.version } : undefined;
        return output.type === 'nonode' && !s.exists ? s : undefined;
      case 'cas':
        if (output === undefined) return s.exists && s.version === input.expected ? { exists: true, value: input.value, version: s.version + 1 } : s;
        if (output.type === 'written') return s.exists && s.version === input.expected && output.version === s.version + 1 ? { exists: true, value: input.value, version: output.version } : undefined;
        if (output.type === 'badversion') return s.exists && s.version !== input.expected ? s : undefined;
        return output.type === 'nonode' && !s.exists ? s : undefined;
      case 'delete':
        if (output === undefined) return ABSENT;
        if (output.type === 'deleted') return s.exists ? ABSENT : undefined;
        return output.type === 'nonode' && !s.exists ? s : undefined;
      case 'read':
        if (output === undefined) return s;
        if (output.type === 'absent') return s.exists ? undefined : s;
        return output.type === 'found' && s.exists && s.version === output.version && (output.value === undefined || output.value === s.value) ? s : undefined;
    }
  },
};
