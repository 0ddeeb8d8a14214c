import type { CacheBounds, CachedResponse, CacheStore } from '../accounting-ports.js';

/** LRU in a Map: insertion order is recency order, so the first entry is evicted first. */
export function createMemoryCacheStore(bounds: CacheBounds): CacheStore {
  const entries = new Map<string, CachedResponse>();
  let bytes = 0;
  const remove = (key: string) => {
    const found = entries.get(key);
    if (!found) return;
    entries.delete(key);
    bytes -= found.body.byteLength;
  };
  return {
    async get(key, now) {
      const found = entries.get(key);
      if (!found) return null;
      if (found.expiresAt <= now) {
        remove(key);
        return null;
      }
      entries.delete(key);
      entries.set(key, found);
      return found;
    },
    async set(key, entry) {
      if (entry.body.byteLength > bounds.maxBytes) return;
      remove(key);
      entries.set(key, entry);
      bytes += entry.body.byteLength;
      for (const oldest of entries.keys()) {
        if (entries.size <= bounds.maxEntries && bytes <= bounds.maxBytes) break;
        remove(oldest);
      }
    },
    async delete(key) {
      remove(key);
    },
    async size() {
      return { entries: entries.size, bytes };
    },
  };
}
