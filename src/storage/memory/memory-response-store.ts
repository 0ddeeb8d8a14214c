import { pageInputItems, type ResponseStore, type StoredResponse } from '../response-store.js';

const encoder = new TextEncoder();

/**
 * Responses kept in this process (tests, runs without a database, an edge Worker without KV).
 * With `maxBytes`, the oldest entries are dropped when the entries' JSON would pass it: a Worker
 * isolate that outgrows its memory is killed, with the requests it was serving.
 */
export function createMemoryResponseStore(options: { readonly maxBytes?: number } = {}): ResponseStore {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  // Keyed by owner and id: an id one tenant's upstream reuses never reaches another tenant.
  const entries = new Map<string, { readonly entry: StoredResponse; readonly bytes: number }>();
  let held = 0;
  const keyOf = (owner: string, id: string) => JSON.stringify([owner, id]);
  const drop = (key: string) => {
    const kept = entries.get(key);
    if (!kept) return false;
    held -= kept.bytes;
    return entries.delete(key);
  };
  const live = (owner: string, id: string, now: number): StoredResponse | null => {
    const kept = entries.get(keyOf(owner, id));
    if (!kept) return null;
    if (kept.entry.expiresAt <= now) {
      drop(keyOf(owner, id));
      return null;
    }
    return kept.entry;
  };
  return {
    async put(entry) {
      const key = keyOf(entry.owner, entry.id);
      const bytes = Number.isFinite(maxBytes) ? encoder.encode(JSON.stringify(entry)).byteLength : 0;
      if (bytes > maxBytes)
        throw new Error(`stored response ${entry.id} is larger than the store (${maxBytes} bytes)`);
      drop(key);
      // Oldest first: a Map iterates in insertion order.
      for (const oldest of entries.keys()) {
        if (held + bytes <= maxBytes) break;
        drop(oldest);
      }
      entries.set(key, { entry: structuredClone(entry), bytes });
      held += bytes;
    },
    async get(owner, id, now) {
      const entry = live(owner, id, now);
      return entry ? structuredClone(entry) : null;
    },
    async delete(owner, id, now) {
      return live(owner, id, now) !== null && drop(keyOf(owner, id));
    },
    async listInputItems(owner, id, query, now) {
      const entry = live(owner, id, now);
      return entry ? structuredClone(pageInputItems(entry.inputItems, query)) : null;
    },
    async pruneExpired(now) {
      let count = 0;
      for (const [key, kept] of entries) {
        if (kept.entry.expiresAt <= now) {
          drop(key);
          count++;
        }
      }
      return count;
    },
  };
}
