import { pageInputItems, type ResponseStore, type StoredResponse } from '../response-store.js';

/** Responses kept in this process (tests, and runs without a database). */
export function createMemoryResponseStore(): ResponseStore {
  // Keyed by owner and id: an id one tenant's upstream reuses never reaches another tenant.
  const entries = new Map<string, StoredResponse>();
  const keyOf = (owner: string, id: string) => JSON.stringify([owner, id]);
  const live = (owner: string, id: string, now: number): StoredResponse | null => {
    const entry = entries.get(keyOf(owner, id));
    if (!entry) return null;
    if (entry.expiresAt <= now) {
      entries.delete(keyOf(owner, id));
      return null;
    }
    return entry;
  };
  return {
    async put(entry) {
      entries.set(keyOf(entry.owner, entry.id), structuredClone(entry));
    },
    async get(owner, id, now) {
      const entry = live(owner, id, now);
      return entry ? structuredClone(entry) : null;
    },
    async delete(owner, id, now) {
      return live(owner, id, now) !== null && entries.delete(keyOf(owner, id));
    },
    async listInputItems(owner, id, query, now) {
      const entry = live(owner, id, now);
      return entry ? structuredClone(pageInputItems(entry.inputItems, query)) : null;
    },
    async pruneExpired(now) {
      let count = 0;
      for (const [key, entry] of entries) {
        if (entry.expiresAt <= now) {
          entries.delete(key);
          count++;
        }
      }
      return count;
    },
  };
}
