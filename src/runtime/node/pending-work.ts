/**
 * Node's `defer`: work that runs after a response (usage write, limit settle, cache write) is
 * kept in a set that a graceful shutdown awaits, as Workers keep it alive with `ctx.waitUntil`.
 */
export interface PendingWork {
  defer(work: Promise<unknown>): void;
  /** Resolves when everything deferred so far (and anything it deferred in turn) has settled. */
  drain(): Promise<void>;
  readonly size: number;
}

export function createPendingWork(): PendingWork {
  const pending = new Set<Promise<unknown>>();
  return {
    defer(work) {
      pending.add(work);
      const forget = () => {
        pending.delete(work);
      };
      work.then(forget, forget);
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    get size() {
      return pending.size;
    },
  };
}
