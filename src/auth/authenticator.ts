import { GatewayError } from '../errors/gateway-error.js';
import type { Principal } from '../spec/principal.js';
import type { ChangeFeed } from '../storage/change-feed.js';
import { withDeadline } from '../storage/deadline.js';
import type { KeyStore, UserStore } from '../storage/ports.js';
import { compileIpAllowlist } from './ip-allowlist.js';
import { keyHint, sha256Hex } from './key-secret.js';
import { compileModelScope } from './model-scope.js';

export interface AuthenticatorOptions {
  /** How long a lookup (found or not) is trusted before asking the store again. */
  readonly cacheTtlMs: number;
  readonly maxEntries: number;
  readonly now: () => number;
  /** Opens a sealed "bring your own key" upstream key. */
  readonly openSecret?: (sealed: string) => Promise<string>;
  /** SHA-256 hex of a key (default: crypto.subtle); the runtime may supply a faster one. */
  readonly hashKey?: (secret: string) => string | Promise<string>;
  /** Admin change notices: a changed key, or any key of a changed user, is looked up afresh. */
  readonly changes?: ChangeFeed;
  /**
   * How long a request waits on the lookup of a key it has a last answer for before it takes that
   * answer (default 1 000 ms): a database that hangs rather than refuses holds no request longer.
   */
  readonly staleAfterMs?: number;
  /**
   * How long a request waits on the lookup of a key it has no last answer for (never checked
   * here, or dropped by a change notice) before it is refused with `storage_unavailable` (default
   * 10 000 ms): a query on a connection that hangs (a dropped network) may never settle.
   */
  readonly firstLookupMs?: number;
}

/**
 * Client key (+ caller address) → principal, or a GatewayError saying exactly why not:
 * unknown, revoked, expired, key disabled, user disabled, or address not allowed.
 */
export type Authenticator = (secret: string, clientAddress: string | null) => Promise<Principal>;

/** What a lookup learned, kept so time- and address-dependent checks run on every request. */
interface Resolved {
  readonly principal: Principal;
  readonly revoked: boolean;
  readonly expiresAt: number | null;
  readonly keyEnabled: boolean;
  readonly userEnabled: boolean;
  readonly allowsAddress: (address: string | null) => boolean;
}

/** What the cache holds per key hash. */
interface Entry {
  resolved: Resolved | null;
  expires: number;
  /**
   * The last lookup failed or was slower than `staleAfterMs` (the database is away or hangs):
   * requests wait at most `FAILING_WAIT_MS` for the next one before they take this answer.
   */
  failing: boolean;
  /** Which lookup found it: an answer is never replaced by one a lookup that began earlier found. */
  readonly lookup: number;
  /** A change notice named it: its answer no longer stands, even as the last one. */
  dropped?: boolean;
}

/** Default `staleAfterMs`. */
const STALE_AFTER_MS = 1_000;
/** Default `firstLookupMs`. */
const FIRST_LOOKUP_MS = 10_000;
/**
 * While lookups of a key fail, how long a request waits on the next one: enough for a database
 * that is back (or refuses at once) to answer, little for one that hangs.
 */
const FAILING_WAIT_MS = 50;

/**
 * Lookups are cached by the key's hash (never the key), negative results included, so a flood
 * of bad keys does not reach the database on every request. Changes published on the change
 * feed (the admin API of this or, with a shared feed, any instance) drop the entries they name at
 * once; changes nobody published (the CLI writing the same database file) are seen within
 * `cacheTtlMs`.
 *
 * One lookup per key runs at a time; requests for a key whose entry expired share it. While the
 * database cannot answer (an error, or no answer within `staleAfterMs`), a key this process has
 * checked keeps its last answer, without each request waiting on the database again.
 */
export function createAuthenticator(
  stores: { readonly keys: KeyStore; readonly users: UserStore },
  options: AuthenticatorOptions,
): Authenticator {
  const cache = new Map<string, Entry>();
  /** Lookups running, by key hash, with when each began. */
  const lookups = new Map<string, { readonly lookup: Promise<Resolved | null>; readonly since: number }>();
  /** Counts change notices, so a lookup that overlapped one is not cached. */
  let notices = 0;
  /** Numbers lookups in the order they begin. */
  let lookupsBegun = 0;
  const staleAfterMs = options.staleAfterMs ?? STALE_AFTER_MS;
  const firstLookupMs = options.firstLookupMs ?? FIRST_LOOKUP_MS;

  const resolve = async (hash: string): Promise<Resolved | null> => {
    const record = await stores.keys.findByHash(hash);
    if (!record) return null;
    const user = await stores.users.get(record.userId);
    // A key whose owner no longer exists is treated as unknown.
    if (!user) return null;
    const byok = record.byok
      ? {
          provider: record.byok.provider,
          apiKey: options.openSecret
            ? await options.openSecret(record.byok.sealedKey)
            : record.byok.sealedKey,
        }
      : null;
    return {
      principal: {
        keyId: record.id,
        keyName: record.name,
        keyHint: keyHint(record.prefix, record.last4),
        models: record.models,
        allowsModel: compileModelScope(record.models),
        purpose: record.purpose,
        userId: record.userId,
        userName: user.name,
        limits: record.limits,
        channelId: record.channelId,
        byok,
      },
      revoked: record.revokedAt !== null,
      expiresAt: record.expiresAt,
      keyEnabled: record.enabled,
      userEnabled: user.enabled,
      allowsAddress: compileIpAllowlist(record.ipAllowlist),
    };
  };

  /** The key's lookup: the one running, or a new one that caches what it finds. */
  const lookUp = (hash: string): Promise<Resolved | null> => {
    // A lookup running longer than `staleAfterMs` is not joined: a new one starts. It may never
    // settle (a half-open connection; on Workers, I/O cut off with the request that started it).
    const running = lookups.get(hash);
    if (running && options.now() - running.since < staleAfterMs) return running.lookup;
    const seen = notices;
    const number = ++lookupsBegun;
    const lookup = resolve(hash).then(
      (resolved) => {
        // A change noticed while this lookup ran may have made it stale: use it once, keep it not.
        // Nor is an answer a later lookup found replaced (it may have read a change this one missed).
        const cached = cache.get(hash);
        if (seen === notices && (!cached || cached.lookup < number)) {
          if (!cached && cache.size >= options.maxEntries) cache.delete(cache.keys().next().value as string);
          cache.set(hash, {
            resolved,
            expires: options.now() + options.cacheTtlMs,
            failing: false,
            lookup: number,
          });
        }
        return resolved;
      },
      (err: unknown) => {
        // The database is unreachable: a key this process has checked keeps its last answer
        // until it answers again (a change announced on the feed still drops it), so an outage
        // of a network database does not stop the traffic of known keys.
        const stale = cache.get(hash);
        if (stale) stale.failing = true;
        throw err;
      },
    );
    lookups.set(hash, { lookup, since: options.now() });
    const done = () => {
      if (lookups.get(hash)?.lookup === lookup) lookups.delete(hash);
    };
    lookup.then(done, done);
    return lookup;
  };

  const authenticate = async (secret: string, clientAddress: string | null): Promise<Principal> => {
    const hash = await (options.hashKey ?? sha256Hex)(secret);
    const now = options.now();
    const entry = cache.get(hash);
    if (entry && entry.expires > now) return check(entry.resolved, now, clientAddress);
    if (!entry) {
      // No last answer to fall back on: the lookup's, its failure, or a refusal once it is late.
      const first = await answerWithin(lookUp(hash), firstLookupMs);
      if (first.late) throw unavailable();
      return check(first.value, now, clientAddress);
    }
    const answer = await waitAtMost(lookUp(hash), entry.failing ? FAILING_WAIT_MS : staleAfterMs);
    if (answer.settled) return check(answer.value, now, clientAddress);
    if (!entry.dropped) {
      // A newer answer arrived meanwhile (another request's lookup), else the last one stands.
      const current = cache.get(hash);
      if (current && current !== entry) return check(current.resolved, now, clientAddress);
      entry.failing = true;
      return check(entry.resolved, now, clientAddress);
    }
    // A change notice dropped it while this request waited: a fresh answer, or none at all.
    const fresh = await waitAtMost(lookUp(hash), staleAfterMs);
    if (fresh.settled) return check(fresh.value, now, clientAddress);
    throw unavailable();
  };
  /** A change notice named the key: its answer no longer stands, even as the last one. */
  const drop = (hash: string) => {
    const entry = cache.get(hash);
    if (entry) entry.dropped = true;
    cache.delete(hash);
  };
  options.changes?.subscribe((notice) => {
    notices++;
    // A lookup that began before the notice may have read what it changed: none is joined.
    if (notice.kind === 'key') {
      lookups.delete(notice.hash);
      drop(notice.hash);
      return;
    }
    lookups.clear();
    // Notices may have been missed: every cached answer is asked of the database again, but
    // kept as the last answer while it cannot say (Redis often comes back before the database
    // after a blip that cut both; dropping them would refuse every key until it does).
    if (notice.kind === 'resync')
      for (const entry of cache.values()) {
        entry.expires = Number.NEGATIVE_INFINITY;
        entry.failing = false;
      }
    if (notice.kind !== 'user') return;
    for (const [hash, entry] of cache) {
      if (entry.resolved?.principal.userId === notice.id) drop(hash);
    }
  });
  return authenticate;
}

function unavailable(): GatewayError {
  return new GatewayError('storage_unavailable', 'the key cannot be checked right now; try again');
}

/**
 * The refusal of a key that exists (revoked, expired, disabled, its user disabled, or a wrong
 * address): the request's usage record still names the key and the user, so an operator can see
 * who keeps using a key they stopped.
 */
export class KeyRefused extends GatewayError {
  constructor(
    code: 'key_revoked' | 'key_expired' | 'key_disabled' | 'user_disabled' | 'ip_not_allowed',
    message: string,
    readonly principal: Principal,
  ) {
    super(code, message);
  }
}

function check(resolved: Resolved | null, now: number, clientAddress: string | null): Principal {
  if (!resolved) throw new GatewayError('invalid_api_key', 'the API key is not valid');
  const { principal } = resolved;
  if (resolved.revoked) throw new KeyRefused('key_revoked', 'this API key has been revoked', principal);
  if (resolved.expiresAt !== null && resolved.expiresAt <= now) {
    throw new KeyRefused(
      'key_expired',
      `this API key expired at ${new Date(resolved.expiresAt).toISOString()}`,
      principal,
    );
  }
  if (!resolved.keyEnabled) throw new KeyRefused('key_disabled', 'this API key is disabled', principal);
  if (!resolved.userEnabled) {
    throw new KeyRefused('user_disabled', "this API key's user is disabled", principal);
  }
  if (!resolved.allowsAddress(clientAddress)) {
    throw new KeyRefused('ip_not_allowed', 'this API key may not be used from this address', principal);
  }
  return principal;
}

/**
 * The lookup's answer if it comes within `ms`; else (or if it fails) that it did not. A late
 * lookup still runs on and caches what it finds.
 */
function waitAtMost<T>(
  lookup: Promise<T>,
  ms: number,
): Promise<{ settled: true; value: T } | { settled: false }> {
  return withDeadline(lookup, ms, 'late').then(
    (value) => ({ settled: true as const, value }),
    () => ({ settled: false as const }),
  );
}

/** The lookup's answer within `ms` (its failure rejects as it comes), else that it is late. */
function answerWithin<T>(
  lookup: Promise<T>,
  ms: number,
): Promise<{ late: false; value: T } | { late: true }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve({ late: true }), ms);
    lookup.then(
      (value) => {
        clearTimeout(timer);
        resolve({ late: false, value });
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
