import type { Scope } from './health-events.js';

/**
 * One place a request can go, as health sees it: the channel, a fingerprint of the upstream key
 * (never the key, never its index, which shifts when the key list is edited) and the model.
 */
export interface HealthTarget {
  readonly channel: string;
  readonly key: string;
  readonly model: string;
}

/** What a record id names; `key` is null for a channel+model record, `model` for a key record. */
export interface HealthSubject {
  readonly scope: Scope;
  readonly channel: string;
  readonly key: string | null;
  readonly model: string | null;
}

/**
 * Record ids are JSON arrays: unambiguous whatever a channel or model name holds, and readable in
 * Redis. Every request asks for the ids of its targets: they are made once per target and kept
 * (three JSON encodings a request otherwise), up to a bound past which the cache starts over.
 */
export function healthIds(target: HealthTarget): Readonly<Record<Scope, string>> {
  // Unambiguous: a channel name (letters, digits, `._-`, a BYOK copy's `+byok:<key id>`) and a
  // key fingerprint (hex) never hold a NUL, so the first two NULs end them and the model is the rest.
  const cacheKey = `${target.channel}\u0000${target.key}\u0000${target.model}`;
  let ids = idsCache.get(cacheKey);
  if (ids === undefined) {
    if (idsCache.size >= IDS_CACHE_MAX) idsCache.clear();
    ids = {
      target: JSON.stringify(['t', target.channel, target.key, target.model]),
      key: keyHealthId(target.channel, target.key),
      model: JSON.stringify(['m', target.channel, target.model]),
    };
    idsCache.set(cacheKey, ids);
  }
  return ids;
}

/** Targets (channel, key fingerprint, model) whose ids are kept: far more than any deployment routes to. */
const IDS_CACHE_MAX = 10_000;
const idsCache = new Map<string, Readonly<Record<Scope, string>>>();

export const keyHealthId = (channel: string, key: string) => JSON.stringify(['k', channel, key]);

/** The subject of a record id; null for an id this module did not make. */
export function parseHealthId(id: string): HealthSubject | null {
  let parts: unknown;
  try {
    parts = JSON.parse(id);
  } catch {
    return null;
  }
  if (!Array.isArray(parts) || !parts.every((p) => typeof p === 'string')) return null;
  const [tag, channel, a, b] = parts as string[];
  if (channel === undefined || a === undefined) return null;
  if (tag === 't' && b !== undefined) return { scope: 'target', channel, key: a, model: b };
  if (tag === 'k') return { scope: 'key', channel, key: a, model: null };
  if (tag === 'm') return { scope: 'model', channel, key: null, model: a };
  return null;
}
