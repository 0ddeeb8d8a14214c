import type { Logger } from '../../spec/logger.js';
import type { CachedResponse, CacheStore } from '../../storage/accounting-ports.js';
import type { KVNamespace } from './cloudflare-types.js';
import { KV_MAX_VALUE_BYTES, KV_MIN_TTL_S } from './kv-limits.js';

/** What each KV entry carries beside its body (KV metadata is limited to 1 KiB: small fields only). */
interface EntryMeta {
  readonly status: number;
  readonly contentType: string;
  readonly stream: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly bytes: number;
}

const PREFIX = 'cache:';

/**
 * The response cache in Workers KV. KV is eventually consistent (a write reaches other
 * locations within about a minute), which a cache tolerates: a miss only costs an upstream
 * call. Entries expire through KV's own TTL instead of LRU eviction, so the cache's
 * max_entries/max_bytes bounds do not apply here; an entry is still refused above max_bytes,
 * and above KV's own limit of 25 MiB a value (such answers are not even captured).
 *
 * A lookup KV fails (an outage, the plan's daily reads used up: 429) is a miss, with a warning
 * in the log at the first failure of a run of them: the request goes upstream as if caching
 * were off. A failed write is the deferred work's failure (logged and counted in /stats).
 */
export function createKvCacheStore(kv: KVNamespace, maxBytes: number, logger: Logger): CacheStore {
  const maxEntryBytes = Math.min(maxBytes, KV_MAX_VALUE_BYTES);
  let failing = false;
  const read = async (key: string) => {
    try {
      const entry = await kv.getWithMetadata<EntryMeta>(PREFIX + key, 'arrayBuffer');
      if (failing) logger.info({}, 'response cache (KV) answers again');
      failing = false;
      return entry;
    } catch (err) {
      if (!failing)
        logger.warn({ err: String(err) }, 'response cache (KV) failed: lookups are misses until it answers');
      failing = true;
      return { value: null, metadata: null };
    }
  };
  return {
    maxEntryBytes,
    async get(key, now) {
      const { value, metadata } = await read(key);
      if (value === null || metadata === null || metadata.expiresAt <= now) return null;
      return {
        status: metadata.status,
        contentType: metadata.contentType,
        stream: metadata.stream,
        createdAt: metadata.createdAt,
        expiresAt: metadata.expiresAt,
        body: new Uint8Array(value),
      } satisfies CachedResponse;
    },
    async set(key, entry) {
      if (entry.body.byteLength > maxEntryBytes) return;
      const ttlS = Math.max(KV_MIN_TTL_S, Math.ceil((entry.expiresAt - entry.createdAt) / 1000));
      const metadata: EntryMeta = {
        status: entry.status,
        contentType: entry.contentType,
        stream: entry.stream,
        createdAt: entry.createdAt,
        expiresAt: entry.expiresAt,
        bytes: entry.body.byteLength,
      };
      await kv.put(PREFIX + key, entry.body, { expirationTtl: ttlS, metadata });
    },
    async delete(key) {
      await kv.delete(PREFIX + key);
    },
    async size() {
      // A listing (1,000 keys a page): fine for stats, not for every request.
      let entries = 0;
      let bytes = 0;
      let cursor: string | undefined;
      do {
        const page = await kv.list<EntryMeta>({ prefix: PREFIX, ...(cursor ? { cursor } : {}) });
        for (const key of page.keys) {
          entries++;
          bytes += key.metadata?.bytes ?? 0;
        }
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return { entries, bytes };
    },
  };
}
