/**
 * What changed in the admin stores, by id: enough for every cache to drop or reload exactly the
 * entries it holds for it. A key notice carries the key's hash because the key cache is keyed by
 * hash (never by the secret). `resync` says notices may have been lost (a shared feed's
 * subscriber was cut off, or a publish failed): every cache drops or reloads everything.
 */
export type ChangeNotice =
  | { readonly kind: 'key'; readonly id: string; readonly hash: string }
  | { readonly kind: 'channel'; readonly id: string }
  | { readonly kind: 'user'; readonly id: string }
  | { readonly kind: 'resync' };

export type ChangeListener = (notice: ChangeNotice) => void | Promise<void>;

/**
 * Publish/subscribe for admin changes, so that a revoked key or an edited channel leaves every
 * cache of every instance. The memory feed serves one process; a shared one (Redis pub/sub, a
 * Durable Object) delivers to every instance subscribed.
 *
 * - `publish` resolves once this instance's listeners have handled the notice (so the admin
 *   call that published returns after its own change applies); other instances get it as soon
 *   as their backend delivers it (aim: within a second).
 * - Every listener gets every notice published after it subscribed, in publish order per
 *   publisher; there is no replay. Caches that must not miss one also expire or poll (the key
 *   cache's TTL, the channel registry's poll).
 * - A listener that throws does not stop the others, nor fail the publish.
 */
export interface ChangeFeed {
  publish(notice: ChangeNotice): Promise<void>;
  /** Returns a function that stops this listener. */
  subscribe(listener: ChangeListener): () => void;
  close(): Promise<void>;
}
