import { GatewayError } from '../../../errors/gateway-error.js';
import { pageInputItems, type ResponseStore, type StoredResponse } from '../../../storage/response-store.js';
import type { KVNamespace } from '../cloudflare-types.js';
import { KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES, KV_MIN_TTL_S } from '../kv-limits.js';

const PREFIX = 'response:';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Stored responses (`previous_response_id`, `GET /v1/responses/{id}`) at the edge, in the
 * Worker's KV namespace (the `CACHE` binding): every isolate and location reads the same entries,
 * where an isolate's memory would answer 404 to the next turn of a conversation that lands on
 * another isolate. KV is eventually consistent: a turn is read at once where it was written,
 * and within about a minute at other locations. Entries expire through KV's own TTL; a
 * conversation whose JSON is over KV's 25 MiB is not stored (its `put` rejects, which the
 * Responses front door logs).
 *
 * A KV failure is `503 storage_unavailable` for the request that needed the entry.
 */
export function createKvResponseStore(kv: KVNamespace): ResponseStore {
  // The owner is part of the name: an id one tenant's upstream reuses never reaches another.
  // The id comes from the client: one too long for a KV key names no stored response (null).
  const keyOf = (owner: string, id: string): string | null => {
    const key = `${PREFIX}${encodeURIComponent(owner)}:${encodeURIComponent(id)}`;
    return encoder.encode(key).byteLength <= KV_MAX_KEY_BYTES ? key : null;
  };
  const unavailable = (err: unknown): never => {
    throw new GatewayError(
      'storage_unavailable',
      `stored responses are unavailable right now (KV: ${err instanceof Error ? err.message : String(err)})`,
    );
  };
  const live = async (owner: string, id: string, now: number): Promise<StoredResponse | null> => {
    const key = keyOf(owner, id);
    if (key === null) return null;
    const { value } = await kv
      .getWithMetadata<null>(key, 'arrayBuffer')
      .catch((err: unknown) => unavailable(err));
    if (value === null) return null;
    const entry = JSON.parse(decoder.decode(value)) as StoredResponse;
    return entry.owner === owner && entry.id === id && entry.expiresAt > now ? entry : null;
  };
  return {
    async put(entry) {
      const key = keyOf(entry.owner, entry.id);
      if (key === null)
        throw new Error(`stored response id ${entry.id.slice(0, 64)}… is too long for a KV key`);
      const bytes = encoder.encode(JSON.stringify(entry));
      if (bytes.byteLength > KV_MAX_VALUE_BYTES)
        throw new Error(`stored response ${entry.id} is ${bytes.byteLength} bytes: over KV's 25 MiB a value`);
      const ttlS = Math.max(KV_MIN_TTL_S, Math.ceil((entry.expiresAt - Date.now()) / 1000));
      await kv.put(key, bytes, { expirationTtl: ttlS });
    },
    get: live,
    async delete(owner, id, now) {
      const key = keyOf(owner, id);
      if (key === null || !(await live(owner, id, now))) return false;
      await kv.delete(key).catch((err: unknown) => unavailable(err));
      return true;
    },
    async listInputItems(owner, id, query, now) {
      const entry = await live(owner, id, now);
      return entry ? pageInputItems(entry.inputItems, query) : null;
    },
    // KV drops each entry at its TTL.
    pruneExpired: async () => 0,
  };
}
