import type { EdgeKeyAnswer } from '../../../edge/edge-protocol.js';
import type { KVNamespace } from '../cloudflare-types.js';
import { KV_MIN_TTL_S } from '../kv-limits.js';

/**
 * The origin's answers to key lookups, kept `ttlMs` (EDGE_KEY_TTL_S) so the origin is asked at
 * most once per key per TTL per location, not on every request. Negative answers are kept too:
 * a flood of made-up keys reaches the origin once per key per TTL, not once per request.
 */
export interface EdgeKeyCache {
  get(hash: string, now: number): Promise<EdgeKeyAnswer | null>;
  set(hash: string, answer: EdgeKeyAnswer, now: number): Promise<void>;
}

interface Entry {
  readonly answer: EdgeKeyAnswer;
  readonly expiresAt: number;
}

const PREFIX = 'edge-key:';
const MAX_MEMORY = 10_000;

/**
 * In this isolate's memory, and in Workers KV when the CACHE binding exists (shared by every
 * isolate of a location). KV's eventual consistency cannot stretch the bound: every entry
 * carries its expiry, and a copy read late is still refused past it. KV failing (its write rate
 * limits, an outage) costs only an origin lookup: it never fails the request.
 */
export function createEdgeKeyCache(
  kv: KVNamespace | undefined,
  ttlMs: number,
  onKvError: (err: unknown) => void = () => {},
): EdgeKeyCache {
  const memory = new Map<string, Entry>();
  const remember = (hash: string, entry: Entry) => {
    if (memory.size >= MAX_MEMORY) memory.delete(memory.keys().next().value as string);
    memory.set(hash, entry);
  };
  return {
    async get(hash, now) {
      let entry: Entry | null = memory.get(hash) ?? null;
      if ((!entry || entry.expiresAt <= now) && kv) {
        try {
          const { value } = await kv.getWithMetadata<null>(PREFIX + hash, 'arrayBuffer');
          entry = value ? (JSON.parse(new TextDecoder().decode(value)) as Entry) : null;
          if (entry && entry.expiresAt > now) remember(hash, entry);
        } catch (err) {
          onKvError(err);
          entry = null;
        }
      }
      if (!entry || entry.expiresAt <= now) return null;
      return entry.answer;
    },
    async set(hash, answer, now) {
      const entry: Entry = { answer, expiresAt: now + ttlMs };
      remember(hash, entry);
      if (!kv) return;
      try {
        await kv.put(PREFIX + hash, JSON.stringify(entry), {
          expirationTtl: Math.max(KV_MIN_TTL_S, Math.ceil(ttlMs / 1000)),
        });
      } catch (err) {
        onKvError(err);
      }
    },
  };
}
