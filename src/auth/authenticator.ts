import type { Principal } from '../spec/principal.js';
import type { KeyStore } from '../storage/ports.js';
import { keyHint, sha256Hex } from './key-secret.js';
import { compileModelScope } from './model-scope.js';

export interface AuthenticatorOptions {
  /** How long a lookup (found or not) is trusted before asking the store again. */
  readonly cacheTtlMs: number;
  readonly maxEntries: number;
  readonly now: () => number;
}

export type Authenticator = (secret: string) => Promise<Principal | null>;

/**
 * Client key → principal. Lookups are cached by the key's hash (never the key), negative
 * results included, so a flood of bad keys does not reach the database on every request.
 */
export function createAuthenticator(store: KeyStore, options: AuthenticatorOptions): Authenticator {
  const cache = new Map<string, { principal: Principal | null; expires: number }>();
  return async (secret) => {
    const hash = await sha256Hex(secret);
    const now = options.now();
    const cached = cache.get(hash);
    if (cached && cached.expires > now) return cached.principal;
    const record = await store.findByHash(hash);
    const principal: Principal | null =
      record && record.revokedAt === null
        ? {
            keyId: record.id,
            keyName: record.name,
            keyHint: keyHint(record.prefix, record.last4),
            models: record.models,
            allowsModel: compileModelScope(record.models),
            purpose: record.purpose,
          }
        : null;
    if (cache.size >= options.maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(hash, { principal, expires: now + options.cacheTtlMs });
    return principal;
  };
}
