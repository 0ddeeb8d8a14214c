import type { Hono } from 'hono';
import type { HealthCheck, HealthCheckResult } from '../spec/health-check.js';
import type { JsonValue } from '../spec/json.js';
import type { Storage } from '../storage/ports.js';
import type { GatewayEnv } from './context.js';

/**
 * How long `/health` waits for the database. A Postgres behind a dropped network does not refuse
 * the connection, it lets it hang (minutes, until TCP gives up): without a bound the health check
 * would hang with it instead of saying `"storage": "unavailable"`.
 */
const PING_TIMEOUT_MS = 2_000;

/** `GET /` describes the service; `GET /health` reports liveness and storage readiness. */
export function mountServiceRoutes(
  app: Hono<GatewayEnv>,
  deps: {
    version: string;
    storage: Storage;
    endpoints?: Readonly<Record<string, string>>;
    /** Parts reported beside the storage (shared state, usage backlog); see spec/health-check.ts. */
    checks?: readonly HealthCheck[];
  },
): void {
  app.get('/', (c) =>
    c.json({
      name: 'switchboard',
      version: deps.version,
      endpoints: {
        chat: '/v1/chat/completions',
        completions: '/v1/completions',
        embeddings: '/v1/embeddings',
        models: '/v1/models',
        passthrough: '/v1/*',
        alias: '/api/v1/*',
        health: '/health',
        ...deps.endpoints,
      },
    }),
  );
  const checks = deps.checks ?? [];
  app.get('/health', async (c) => {
    const storageUp = await answersWithin(deps.storage.ping(), PING_TIMEOUT_MS);
    const parts: Record<string, JsonValue> = {};
    let degraded = !storageUp;
    let refusing = false;
    for (const check of checks) {
      const result: HealthCheckResult = await Promise.resolve()
        .then(() => check.check())
        .catch((err: unknown) => ({ degraded: true, detail: { error: String(err) } }));
      parts[check.name] = result.detail;
      degraded ||= result.degraded;
      refusing ||= result.refusing === true;
    }
    const body = {
      status: degraded ? 'degraded' : 'ok',
      storage: storageUp ? 'ok' : 'unavailable',
      ...(checks.length > 0 ? { degraded } : {}),
      ...parts,
    };
    // Without its storage the instance cannot serve, unless a durable usage buffer lets it go on
    // with the keys it knows: then 200, so a balancer does not drop every instance at once
    // during a database outage. Degraded shared state still serves (200).
    const serving = storageUp || checks.some((check) => check.servesWithoutStorage === true);
    return c.json(body, serving && !refusing ? 200 : 503);
  });
}

/** Whether `ping` resolves within `ms`; a rejection or no answer in time is false. */
async function answersWithin(ping: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      ping.then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
