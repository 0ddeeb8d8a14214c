import { cacheKey } from '../cache/cache-key.js';
import { decideCache } from '../cache/cache-policy.js';
import type { JsonObject } from '../spec/json.js';
import type { Principal } from '../spec/principal.js';
import type { Operation } from '../spec/provider.js';
import { DEFAULT_USER_ID } from '../storage/ports.js';
import type { RequestAccounting } from './request-accounting.js';

/** A complete answer to keep in the response cache (set on a miss the policy lets be written). */
export interface ResponseCapture {
  /** Larger answers are not captured. */
  readonly maxBytes: number;
  readonly store: (captured: {
    status: number;
    contentType: string;
    body: Uint8Array;
    stream: boolean;
  }) => void;
}

export type CacheLookup =
  | { readonly kind: 'hit'; readonly response: Response }
  | {
      readonly kind: 'miss';
      readonly write: ((entry: Parameters<ResponseCapture['store']>[0]) => Promise<void>) | null;
    }
  | { readonly kind: 'bypass' };

/**
 * Consults the response cache when the request allows it: a hit is the replayed answer; a
 * miss may come with the write to do once a complete answer has gone out.
 */
export async function lookupCache(
  acc: RequestAccounting,
  request: {
    readonly principal: Principal;
    readonly operation: Operation;
    readonly route: string;
    readonly json: JsonObject;
    /**
     * The model the request is routed to (after `model_aliases`), null when it names none. The
     * key is taken on it, not on the name the client sent: an alias that comes to name another
     * model must not answer from what the old one said, and an alias and the model it names are
     * the same request.
     */
    readonly model: string | null;
    /** The request's sampling temperature (where its format keeps it). */
    readonly temperature: unknown;
    /** How the request's format reads live tools (CallDescription.liveTools). */
    readonly liveTools?: (json: JsonObject) => boolean;
    readonly headers: Headers;
  },
): Promise<CacheLookup> {
  if (!acc.cache) return { kind: 'bypass' };
  const { principal, json } = request;
  const decision = decideCache(acc.cache.settings, {
    operation: request.operation,
    json,
    temperature: request.temperature,
    cacheControl: request.headers.get('cache-control'),
    optIn: request.headers.get('x-switchboard-cache'),
    keyId: principal.keyId,
    keyName: principal.keyName,
    ...(request.liveTools ? { liveTools: request.liveTools } : {}),
  });
  if (!decision.read && !decision.write) return { kind: 'bypass' };
  const { store, settings } = acc.cache;
  const routed =
    request.model !== null && json.model !== request.model ? { ...json, model: request.model } : json;
  const key = await cacheKey(cacheTenant(principal), request.route, routed, acc.cache.hashKey);
  if (decision.read) {
    const hit = await store.get(key, acc.now());
    if (hit) {
      const headers = new Headers({ 'content-type': hit.contentType, 'x-switchboard-cache': 'hit' });
      if (hit.stream) {
        headers.set('cache-control', 'no-cache');
        headers.set('x-accel-buffering', 'no');
      }
      // A fresh copy per reply: a body stream takes ownership of the bytes it is given.
      return { kind: 'hit', response: new Response(hit.body.slice(), { status: hit.status, headers }) };
    }
  }
  if (!decision.write) return { kind: 'miss', write: null };
  return {
    kind: 'miss',
    write: (captured) => {
      const createdAt = acc.now();
      return store.set(key, { ...captured, createdAt, expiresAt: createdAt + settings.ttlMs });
    },
  };
}

/**
 * Whose answers an entry may serve: one user's keys share them only when they would get the same
 * answer — the same purpose (a pipeline rewrites answers), the same channel binding, and no key
 * of its own upstream (BYOK answers belong to that key). Keys that belong to no user (the
 * `default` one) are each their own tenant, as for stored responses: nothing says whose they are.
 */
function cacheTenant(principal: Principal): string {
  const own = principal.byok || principal.userId === DEFAULT_USER_ID ? principal.keyId : '';
  return [principal.userId, principal.purpose, principal.channelId ?? '', own].join('\u0001');
}
