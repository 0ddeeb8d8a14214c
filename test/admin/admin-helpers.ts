import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const SECRET_KEY = 'test-encryption-key-0123456789abcdef';

export interface AdminGateway extends TestGateway {
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

/** The real server with an admin token and the upstream-key encryption key set. */
export async function startAdminGateway(
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<AdminGateway> {
  const gw = await startTestGateway(config, { ADMIN_TOKEN, SWITCHBOARD_SECRET_KEY: SECRET_KEY, ...env });
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
    ...gw,
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
