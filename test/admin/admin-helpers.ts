import { startGateway } from '../support/start-any-gateway.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const SECRET_KEY = 'test-encryption-key-0123456789abcdef';

/** The admin helpers, on a gateway of any runtime. */
export interface AdminHelpers {
  /** Calls the admin API with the admin token; `body` is sent as JSON. */
  admin(method: string, path: string, body?: unknown, token?: string): Promise<Response>;
  /** Same, parsing the JSON answer and asserting the status. */
  adminJson<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    status?: number,
  ): Promise<T>;
  /** A chat request with `key` (Bearer by default, or x-api-key). */
  chat(key: string, model: string, header?: 'bearer' | 'x-api-key'): Promise<Response>;
}

export interface AdminGateway extends TestGateway, AdminHelpers {}

/** An admin-enabled gateway on the runtime GATEWAY_RUNTIME names (test/support/start-any-gateway.ts). */
export interface AdminGatewayUnderTest extends AdminHelpers {
  readonly runtime: 'node' | 'workers';
  readonly url: string;
  readonly key: string;
  close(): Promise<void>;
}

/** The real server with an admin token and the upstream-key encryption key set. */
export async function startAdminGateway(
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<AdminGateway> {
  const gw = await startTestGateway(config, { ADMIN_TOKEN, SWITCHBOARD_SECRET_KEY: SECRET_KEY, ...env });
  return { ...gw, ...adminHelpers(gw.url) };
}

/**
 * The same on Node or on the Worker (GATEWAY_RUNTIME=workers): suites written against this run
 * on both. (The Worker is given the same admin token; its sealing key is its own test secret.)
 */
export async function startAdminGatewayUnderTest(
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<AdminGatewayUnderTest> {
  const gw = await startGateway(config, { ADMIN_TOKEN, SWITCHBOARD_SECRET_KEY: SECRET_KEY, ...env });
  return { runtime: gw.runtime, url: gw.url, key: gw.key, close: () => gw.close(), ...adminHelpers(gw.url) };
}

function adminHelpers(url: string): AdminHelpers {
  const gw = { url };
  const admin = (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) =>
    fetch(
      `${gw.url}${path.startsWith('/') && !path.startsWith('/admin') && path !== '/stats' ? `/admin/api${path}` : path}`,
      {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
    );
  return {
    admin,
    async adminJson<T>(method: string, path: string, body?: unknown, status = method === 'POST' ? 201 : 200) {
      const res = await admin(method, path, body);
      const json = (await res.json()) as T;
      if (res.status !== status) {
        throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${JSON.stringify(json)}`);
      }
      return json;
    },
    chat(key: string, model: string, header: 'bearer' | 'x-api-key' = 'bearer') {
      return fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          ...(header === 'bearer' ? { authorization: `Bearer ${key}` } : { 'x-api-key': key }),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
    },
  };
}

export { channel };

export interface CreatedKey {
  id: string;
  key: string;
  name: string;
  user_id: string;
  [field: string]: unknown;
}
