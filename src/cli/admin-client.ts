import { Hono } from 'hono';
import { requireAdmin } from '../admin/admin-auth.js';
import { CLIENT_HEADER, createAuditLog } from '../admin/audit/audit-log.js';
import type { AdminContext } from '../admin/context.js';
import { mountAdminRoutes } from '../admin/mount-admin.js';
import { createTrafficStats } from '../admin/traffic-stats.js';
import { hexToBytes } from '../auth/constant-time.js';
import { generateKeySecret, sha256Hex } from '../auth/key-secret.js';
import type { Settings } from '../config/settings.js';
import type { GatewayEnv } from '../http/context.js';
import { createErrorHandler } from '../http/error-handler.js';
import { requestId } from '../http/request-id.js';
import { createProviderRegistry } from '../providers/registry.js';
import { openSecretBox } from '../runtime/node/open-secret-box.js';
import { openStorage } from '../runtime/node/open-storage.js';
import { createUpstreamFetch } from '../runtime/node/undici-fetch.js';
import { VERSION } from '../runtime/node/version.js';
import { silentLogger } from '../spec/logger.js';
import { createMemoryChangeFeed } from '../storage/memory/memory-change-feed.js';

/** One admin API call as the CLI makes it: the same JSON in and out in both modes. */
export interface AdminClient {
  request(method: string, path: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** An admin API error, carrying the envelope's code. */
export class AdminCallError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Remote mode (`--url`): calls a running gateway's admin API, so changes apply to its next
 * request at once.
 */
export function remoteAdminClient(baseUrl: string, token: string): AdminClient {
  const root = baseUrl.replace(/\/+$/, '');
  return {
    async request(method, path, body) {
      let res: Response;
      try {
        res = await fetch(`${root}/admin/api${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            [CLIENT_HEADER]: 'cli',
            'user-agent': `switchboard-cli/${VERSION}`,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (err) {
        throw new AdminCallError(`cannot reach ${root}: ${(err as Error).message}`, 'unreachable', 0);
      }
      return answer(res);
    },
    async close() {},
  };
}

/**
 * Local mode (the default): the very same admin routes and services, run in this process over
 * the local database. A gateway running on the same file sees key and channel changes within
 * its cache time (5 s), not at once; use --url for that.
 */
export async function localAdminClient(settings: Settings): Promise<AdminClient> {
  const { storage } = await openStorage(settings.databaseUrl, {
    poolSize: 2,
    connectTimeoutMs: settings.database.connectTimeoutMs,
    queryTimeoutMs: settings.database.queryTimeoutMs,
    migrate: settings.database.migrate,
  });
  const { box } = await openSecretBox(settings, storage).catch(async (err: unknown) => {
    await storage.close();
    throw err;
  });
  const upstream = createUpstreamFetch({
    connectTimeoutMs: 10_000,
    connections: 4,
    denyPrivate: settings.denyPrivateUpstreams,
  });
  const ctx: AdminContext = {
    storage,
    box,
    providers: createProviderRegistry(settings.app),
    fetch: upstream.fetch,
    now: Date.now,
    denyPrivateUpstreams: settings.denyPrivateUpstreams,
    // Nobody in this process listens; a gateway on the same file sees the change by its poll.
    changes: createMemoryChangeFeed(),
  };
  // A one-off token for this process: the local file itself is the authority here.
  const token = generateKeySecret('local');
  const app = new Hono<GatewayEnv>();
  app.use('*', requestId());
  mountAdminRoutes(app, {
    ctx,
    requireAdmin: requireAdmin(hexToBytes(await sha256Hex(token)), null, Date.now),
    traffic: createTrafficStats(Date.now()),
    channels: () => [],
    bodyLimit: async (_c, next) => next(),
    version: VERSION,
    // No address: the change was made on this machine, straight on its database.
    audit: createAuditLog({ store: storage.audit, now: Date.now }),
    currency: settings.accounting.currency,
  });
  app.onError(createErrorHandler(silentLogger));
  return {
    async request(method, path, body) {
      const res = await app.fetch(
        new Request(`http://local/admin/api${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            [CLIENT_HEADER]: 'cli',
            'user-agent': `switchboard-cli/${VERSION}`,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
      return answer(res);
    },
    async close() {
      await upstream.close();
      await storage.close();
    },
  };
}

async function answer(res: Response): Promise<unknown> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new AdminCallError(
      `unexpected answer (HTTP ${res.status}): ${text.slice(0, 200)}`,
      'bad_answer',
      res.status,
    );
  }
  if (!res.ok) {
    const error = (json as { error?: { message?: string; code?: string } } | null)?.error;
    throw new AdminCallError(error?.message ?? `HTTP ${res.status}`, error?.code ?? 'error', res.status);
  }
  return json;
}
