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
  const full = () => entries.size > bounds.maxEntries || bytes > bounds.maxBytes;
  /** No entry expires before this (a lower bound): a full cache of live answers is not scanned. */
  let firstExpiry = Number.POSITIVE_INFINITY;
  const dropExpired = (now: number) => {
    if (firstExpiry > now) return;
    firstExpiry = Number.POSITIVE_INFINITY;
    for (const [key, found] of entries) {
      if (found.expiresAt <= now) remove(key);
      else firstExpiry = Math.min(firstExpiry, found.expiresAt);
    }
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
      firstExpiry = Math.min(firstExpiry, entry.expiresAt);
      // Expired entries make room first: one used recently may sit behind live ones in recency.
      if (full()) dropExpired(entry.createdAt);
      for (const oldest of entries.keys()) {
        if (!full()) break;
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
