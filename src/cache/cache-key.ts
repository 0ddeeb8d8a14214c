import { sha256Hex } from '../auth/key-secret.js';
import type { JsonObject, JsonValue } from '../spec/json.js';

/** Fields that identify or bill the caller without changing the answer, so not part of the key. */
const IGNORED_FIELDS = new Set(['user', 'metadata', 'store', 'safety_identifier', 'prompt_cache_key']);

/**
 * The cache key: SHA-256 over the tenant, the route and the request body with its object keys
 * sorted, so two requests that differ only in field order or in the fields above share an
 * entry, and two tenants never do.
 */
export async function cacheKey(
  tenant: string,
  route: string,
  body: JsonObject,
  /** SHA-256 hex (default: crypto.subtle); a runtime may supply a faster, synchronous one. */
  hash: (text: string) => string | Promise<string> = sha256Hex,
): Promise<string> {
  const kept: JsonObject = {};
  for (const [name, value] of Object.entries(body)) if (!IGNORED_FIELDS.has(name)) kept[name] = value;
  const canonical = `${tenant}\u0000${route}\u0000${canonicalJson(kept)}`;
  return hash(canonical);
}

export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
