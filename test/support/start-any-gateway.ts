import { it } from 'vitest';
import type { LogEntry } from '../../src/admin/usage-routes.js';
import { waitFor } from './http.js';
import { startTestGateway, type TestGateway } from './start-gateway.js';
import { gatewayRuntime, startWorkerGateway } from './start-worker-gateway.js';

/** The admin token of every runtime-neutral test gateway (Node and Worker alike). */
const ADMIN_TOKEN = 'admin-token-for-the-e2e-suites';

/**
 * What every runtime's test gateway offers: suites written against this run on both. Everything
 * here goes over HTTP (the client API, the admin API), as a user would see it.
 */
export interface GatewayUnderTest {
  readonly runtime: 'node' | 'workers';
  readonly url: string;
  /** A valid client key (all models). */
  readonly key: string;
  /** The admin API under /admin/api, with the admin token. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** A new client key made through the admin API (the body of POST /admin/api/keys); its secret. */
  createKey(fields: Record<string, unknown> & { name: string }): Promise<string>;
  /**
   * The request's one entry in the request log (GET /admin/api/logs/:requestId), waiting until
   * the deferred usage write has reached the database (fails when there are several).
   */
  logOf(requestId: string): Promise<LogEntry>;
  /** The Node gateway's internals, for checks only Node can make (null on the Worker). */
  readonly node: TestGateway | null;
  close(): Promise<void>;
}

/**
 * The gateway on the runtime GATEWAY_RUNTIME names: `node` (default: the Node server on an
 * in-memory SQLite) or `workers` (the Worker in workerd with local D1, KV and the Durable
 * Object). `GATEWAY_RUNTIME=workers npx vitest run test/e2e/core-errors.test.ts` runs a suite on
 * Workers; `npm run test:workers` runs every suite that supports both (vitest.workers.config.ts).
 */
export async function startGateway(
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<GatewayUnderTest> {
  const runtime = gatewayRuntime();
  const withToken = { ADMIN_TOKEN, ...env };
  let node: TestGateway | null = null;
  let base: { url: string; key: string; close(): Promise<void> };
  if (runtime === 'workers') base = await startWorkerGateway(config, withToken);
  else base = node = await startTestGateway(config, withToken);
  const token = withToken.ADMIN_TOKEN;
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${base.url}/admin/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    runtime,
    url: base.url,
    key: base.key,
    node,
    admin,
    async createKey(fields) {
      const made = await admin('POST', '/keys', fields);
      if (made.status !== 201)
        throw new Error(`creating key ${fields.name}: ${made.status} ${await made.text()}`);
      return ((await made.json()) as { key: string }).key;
    },
    async logOf(requestId) {
      const entries = await waitFor(
        async () => {
          const res = await admin('GET', `/logs/${encodeURIComponent(requestId)}`);
          if (res.status === 404) return null;
          if (res.status !== 200)
            throw new Error(`request log ${requestId}: ${res.status} ${await res.text()}`);
          return ((await res.json()) as { data: LogEntry[] }).data;
        },
        `the request log entry ${requestId}`,
        15_000,
      );
      if (entries.length !== 1)
        throw new Error(`expected one log entry for ${requestId}, got ${entries.length}`);
      return entries[0] as LogEntry;
    },
    close: () => base.close(),
  };
}

/**
 * A test that runs on Node only. On the Worker it is skipped, and the reason is printed (the
 * list of reasons is in docs/workers.md, "Tests that do not apply on Workers").
 */
export function itNode(name: string, reason: string, fn: () => Promise<void> | void, timeout?: number): void {
  if (gatewayRuntime() === 'workers') {
    it.skip(`${name} [not on Workers: ${reason}]`, () => {});
    console.info(`skipped on Workers: "${name}": ${reason}`);
    return;
  }
  it(name, fn, timeout);
}
