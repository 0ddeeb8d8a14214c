import { ConfigError } from '../../../config/settings.js';
import type { WorkerEnv } from '../worker-env.js';

export interface EdgeSettings {
  readonly originUrl: string;
  readonly secret: string;
  /** How long the origin's answer about a key is kept (KV, else isolate memory). */
  readonly keyTtlMs: number;
}

/** EDGE_KEY_TTL_S default: with the key check's own 5-second cache, a revocation reaches the edge within 30 s. */
export const DEFAULT_KEY_TTL_S = 25;

/** Edge mode's settings, or null when ORIGIN_URL is unset (the D1 Worker). */
export function edgeSettings(env: WorkerEnv): EdgeSettings | null {
  const url = env.ORIGIN_URL?.trim();
  if (!url) return null;
  if (!/^https?:\/\/[^/]/i.test(url)) throw new ConfigError('ORIGIN_URL: must be an http(s) URL');
  const secret = env.EDGE_SECRET;
  if (!secret || secret.length < 32)
    throw new ConfigError(
      'EDGE_SECRET is not set (or shorter than 32 characters): `wrangler secret put EDGE_SECRET`, the same value as the origin (docs/workers.md)',
    );
  const ttlText = env.EDGE_KEY_TTL_S?.trim();
  const ttlS = ttlText ? Number(ttlText) : DEFAULT_KEY_TTL_S;
  if (!Number.isFinite(ttlS) || ttlS < 1 || ttlS > 3_600)
    throw new ConfigError('EDGE_KEY_TTL_S: a number of seconds from 1 to 3600');
  return { originUrl: url, secret, keyTtlMs: Math.round(ttlS * 1000) };
}
