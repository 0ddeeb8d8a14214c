import type { ChangeFeed, ChangeListener } from '../change-feed.js';

/** The change feed of one process: notices reach this process's listeners only. */
export function createMemoryChangeFeed(): ChangeFeed {
  const listeners = new Set<ChangeListener>();
  return {
    async publish(notice) {
      // A snapshot of the set: a listener that unsubscribes another does not skip it this time.
      await Promise.allSettled([...listeners].map(async (listener) => listener(notice)));
    },
    subscribe(listener) {
      // A wrapper, so the same function subscribed twice is two subscriptions.
      const entry: ChangeListener = (notice) => listener(notice);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    async close() {
      listeners.clear();
    },
  };
}
