import type { SecretBox } from '../auth/secret-box.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { FetchLike } from '../spec/provider.js';
import type { ChangeFeed } from '../storage/change-feed.js';
import type { Storage } from '../storage/ports.js';

/**
 * What the admin services need. The admin API (inside the gateway) and the CLI's local mode
 * build one each; `changes` is how a change reaches the next request of every running gateway.
 */
export interface AdminContext {
  readonly storage: Storage;
  readonly box: SecretBox;
  readonly providers: ProviderRegistry;
  /** Upstream fetch, for the channel test action. */
  readonly fetch: FetchLike;
  readonly now: () => number;
  /** `upstreams.deny_private`: refuse base URLs naming loopback or private addresses. */
  readonly denyPrivateUpstreams?: boolean;
  /**
   * Every write publishes what it changed here; the key cache and the channel registry of each
   * instance subscribed drop or rebuild what the notice names.
   */
  readonly changes: ChangeFeed;
}

/** Offset pagination over an already ordered list (admin lists are small). */
export function page<T, V>(
  items: readonly T[],
  query: { limit: number; offset: number },
  view: (item: T) => V,
) {
  return {
    object: 'list' as const,
    data: items.slice(query.offset, query.offset + query.limit).map(view),
    total: items.length,
    limit: query.limit,
    offset: query.offset,
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
