import type { Hono } from 'hono';
import { secretMatchesDigest } from '../auth/constant-time.js';
import { extractClientKey } from '../auth/extract-key.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Exposition } from '../telemetry/telemetry.js';
import type { GatewayEnv } from './context.js';

export interface MetricsRouteDeps {
  readonly exposition: () => Promise<Exposition>;
  /** SHA-256 of the admin token, which may always scrape; null when there is no admin API. */
  readonly adminDigest: Uint8Array | null;
  /** A scrape-only token (`METRICS_TOKEN`), so Prometheus need not hold the admin token. */
  readonly metricsToken: string | null;
}

/**
 * `GET /metrics` in the Prometheus text format, for the admin token or the metrics token. The
 * series name channels, models and allowlisted users, which is operator information.
 */
export function mountMetricsRoute(app: Hono<GatewayEnv>, deps: MetricsRouteDeps): void {
  const metricsDigest = deps.metricsToken === null ? null : sha256(deps.metricsToken);
  app.get('/metrics', async (c) => {
    const presented = extractClientKey(c.req.raw.headers);
    if (!presented)
      throw new GatewayError(
        'missing_admin_token',
        '/metrics needs "Authorization: Bearer <metrics token or admin token>"',
      );
    const digests = [deps.adminDigest, metricsDigest ? await metricsDigest : null];
    let allowed = false;
    // Both are compared every time: which token matched never shows in the time taken.
    for (const digest of digests)
      if (digest && (await secretMatchesDigest(presented, digest))) allowed = true;
    if (!allowed) throw new GatewayError('invalid_admin_token', 'the metrics token is not valid');
    const { contentType, body } = await deps.exposition();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}
