import type { ConnectionChange } from './connection-changed.js';
import type { ModelGroup, StrategyName } from './strategies/index.js';

/**
 * The router's health as the admin API and `GET /stats` read it: `createGateway(...).health`.
 *
 *   const snap = await gateway.health.snapshot();
 *   snap.entries   // only targets that are NOT fully healthy; anything absent is healthy
 *   snap.channels  // every configured channel: in-flight count and latency EWMA
 *   await gateway.health.reset({ channel: 'openai', keyIndex: 1 })  // put a fixed key back in rotation
 *
 * Upstream keys never appear: health stores a key's fingerprint, and the snapshot names it by
 * its current index in the channel's key list and a masked hint (`…abcd`). Times are epoch
 * milliseconds from the gateway's clock. Asynchronous: the health store may be shared.
 */
export interface GatewayHealth {
  snapshot(): Promise<HealthSnapshot>;
  /** Clears health entries (all, one channel, or one key of a channel). Returns how many were cleared. */
  reset(filter?: HealthFilter): Promise<number>;
  /** Puts a key the upstream rejected back into rotation now; false when it was not flagged. */
  reenableKey(channel: string, keyIndex: number): Promise<boolean>;
  /**
   * Forgets what health learnt of a channel (by id) before an edit changed how it connects
   * (router/connection-changed.ts): every record, or for a new key list every record but those
   * of the keys it still has. Returns how many were cleared.
   */
  forgetConnection(channelId: string, change: ConnectionChange): Promise<number>;
}

export interface HealthFilter {
  readonly channel?: string;
  readonly keyIndex?: number;
}

/**
 * - `degraded`: failures counted but the breaker is still closed (still tried);
 * - `open`: circuit breaker tripped by 5xx / time-outs / connect errors, not tried until `until`;
 * - `half_open`: cooldown over, the next request sends exactly one probe to decide;
 * - `rate_limited`: the upstream answered 429; skipped until `until` (its Retry-After);
 * - `disabled`: the upstream rejected the key (401/403); out of rotation until `until`, when one
 *   request re-checks it (the wait doubles per rejection), or until re-enabled;
 * - `model_unavailable`: the channel answered 404 for this model; skipped for it until `until`.
 */
export type HealthState =
  | 'degraded'
  | 'open'
  | 'half_open'
  | 'rate_limited'
  | 'disabled'
  | 'model_unavailable';

export interface HealthEntry {
  readonly channel: string;
  /**
   * null when the entry covers every key of the channel (`model_unavailable`), or when the
   * channel is not a configured one (a bring-your-own-key tenant's copy, `<channel>+byok:<key id>`).
   */
  readonly keyIndex: number | null;
  readonly keyHint: string | null;
  /** Upstream model; null when the entry covers every model of the key (`disabled`). */
  readonly model: string | null;
  readonly state: HealthState;
  readonly reason: string;
  /** When the current state began. */
  readonly since: number;
  /** When it ends on its own (for `disabled`: when the key is re-checked); null = half-open. */
  readonly until: number | null;
  readonly consecutiveFailures: number;
  /** How many times the breaker opened (`disabled`: the key was rejected) in a row; each doubles the wait. */
  readonly trips: number;
}

export interface ChannelLoad {
  readonly channel: string;
  readonly inFlight: number;
  /** EWMA of time to first byte, ms; null before the first success. */
  readonly latencyMs: number | null;
}

export interface RouterCounters {
  /** Client requests routed. */
  readonly requests: number;
  /** Upstream attempts sent (first tries and retries). */
  readonly attempts: number;
  readonly retries: number;
  /** Retries not made because the retry budget was empty. */
  readonly retriesDenied: number;
  /** Requests whose client went away before the answer finished (upstream aborted). */
  readonly clientAborts: number;
}

export interface HealthSnapshot {
  readonly at: number;
  readonly strategy: { readonly default: StrategyName; readonly groups: readonly ModelGroup[] };
  readonly entries: readonly HealthEntry[];
  readonly channels: readonly ChannelLoad[];
  readonly counters: RouterCounters;
  readonly retryBudget: { readonly tokens: number; readonly ratio: number; readonly burst: number };
}

/** `sk-…abcd`-style hint: enough to tell keys apart, useless to an attacker. */
export function maskKey(key: string): string | null {
  if (!key) return null;
  return key.length >= 12 ? `…${key.slice(-4)}` : '…';
}
