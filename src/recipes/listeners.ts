/**
 * Typed event listeners for the recipes: `on(name, fn)` returns the function that stops
 * listening, as the client's own `on` does. A throwing listener cannot break a recipe's state
 * machine: its error is rethrown from a microtask, where the process sees it.
 */

/** Calls a listener; a throw is rethrown from a microtask so the recipe's own state stays sound. */
function callListener<A extends unknown[]>(listener: (...args: A) => void, ...args: A): void {
  try {
    listener(...args);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

/** Maps an event name to its listener's signature. */
export type EventMap = { [name: string]: (...args: never[]) => void };

/** Listeners of a recipe's events. */
export class Listeners<Events extends EventMap> {
  private readonly byName = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** Registers `listener` for `name`; returns a function that removes it. */
  on<K extends keyof Events>(name: K, listener: Events[K]): () => void {
    let set = this.byName.get(name);
    if (set === undefined) {
      set = new Set();
      this.byName.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Calls every listener of `name` (a snapshot: a listener may unsubscribe while called). */
  emit<K extends keyof Events>(name: K, ...args: Parameters<Events[K]>): void {
    for (const listener of [...(this.byName.get(name) ?? [])]) {
      callListener(listener as unknown as (...a: Parameters<Events[K]>) => void, ...args);
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.byName.clear();
  }
}
