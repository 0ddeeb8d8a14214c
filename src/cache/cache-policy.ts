import type { JsonObject } from '../spec/json.js';
import type { Operation } from '../spec/provider.js';

export interface CacheSettings {
  readonly enabled: boolean;
  readonly ttlMs: number;
  /** Cache sampled requests (temperature absent or > 0) for every caller. */
  readonly sampled: boolean;
  /** Key ids or names whose traffic never uses the cache. */
  readonly disabledKeys: readonly string[];
}

export interface CacheDecision {
  /** Look for a stored answer. */
  readonly read: boolean;
  /** Store this answer if it completes. */
  readonly write: boolean;
}

const NONE: CacheDecision = { read: false, write: false };

export interface CacheRequest {
  /** What the request asks for: an embedding is not sampled, whatever its temperature. */
  readonly operation: Operation;
  readonly json: JsonObject | null;
  /** The sampling temperature (only 0 is deterministic; absent means the provider's default). */
  readonly temperature: unknown;
  /** The request's `Cache-Control` header. */
  readonly cacheControl: string | null;
  /** The request's `x-switchboard-cache` header (`on` asks for caching a sampled request). */
  readonly optIn: string | null;
  readonly keyId: string;
  readonly keyName: string;
  /** How the request's format says it has the provider run live tools (absent: it cannot). */
  readonly liveTools?: (json: JsonObject) => boolean;
}

/**
 * Whether a request may be answered from, and stored in, the cache. Only deterministic
 * requests qualify by default: embeddings, and generations at temperature 0. A generation
 * without a temperature gets the provider's default (1 for most), so it is sampled and a stored
 * answer would hide that; an embedding takes no temperature and samples nothing. A request that
 * has the provider search the web, fetch pages, run code or call MCP servers is cached only when
 * it asks for it (`x-switchboard-cache: on`), whatever its temperature: its answer is of the
 * moment, and `cache.sampled` speaks of sampling, not of freshness.
 */
export function decideCache(settings: CacheSettings, request: CacheRequest): CacheDecision {
  if (!settings.enabled || !request.json) return NONE;
  if (settings.disabledKeys.includes(request.keyId) || settings.disabledKeys.includes(request.keyName))
    return NONE;
  const directives = (request.cacheControl ?? '').toLowerCase();
  if (/\bno-store\b/.test(directives)) return NONE;
  const deterministic = request.operation === 'embeddings' || request.temperature === 0;
  const askedFor = request.optIn?.toLowerCase() === 'on';
  if (!deterministic && !settings.sampled && !askedFor) return NONE;
  if (!askedFor && request.liveTools?.(request.json)) return NONE;
  // `store: true` asks the upstream to keep this completion (read back by its id, used for evals):
  // an answer from the cache would keep nothing, and carry the id of another request.
  const keptUpstream = request.json.store === true;
  // no-cache: do not answer from the cache, but a fresh answer may refresh it.
  return { read: !/\bno-cache\b/.test(directives) && !keptUpstream, write: true };
}
