/**
 * Listener plumbing shared by the session layer: state-transition listeners, and a safe way to
 * call user callbacks from inside frame processing.
 */
import type { StateEventName, StateListener } from './types.js';

/** Calls a listener; a throwing listener must not break the connection, so it is rethrown later. */
export function callListener<A extends unknown[]>(listener: (...args: A) => void, ...args: A): void {
  try {
    listener(...args);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

/** Listeners of state transitions, by event name. */
export class StateListeners {
  private readonly listeners = new Map<StateEventName, Set<StateListener>>();

  /** Registers a listener; returns a function that removes it. */
  on(name: StateEventName, listener: StateListener): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Calls every listener of `name` (a snapshot: listeners may unsubscribe while called). */
  emit(name: StateEventName): void {
    for (const listener of [...(this.listeners.get(name) ?? [])]) callListener(listener);
  }
}
