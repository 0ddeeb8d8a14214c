import type { TestGateway } from './start-gateway.js';

/** POSTs a JSON body (an object, or exact text) to the gateway with the test key. */
export function postJson(
  gw: Pick<TestGateway, 'url' | 'key'>,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** An admin API call on the gateway at `baseUrl`: `/admin/api` + `path`, with the admin token. */
export function adminCall(
  baseUrl: string,
  adminToken: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${baseUrl}/admin/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The OpenAI error envelope of a response, asserting it is one. */
export async function errorOf(res: Response): Promise<{
  message: string;
  type: string;
  code: string;
  param: string | null;
  request_id?: string;
}> {
  const body = (await res.json()) as { error?: unknown };
  if (!body.error || typeof body.error !== 'object')
    throw new Error(`not an error envelope: ${JSON.stringify(body)}`);
  return body.error as Awaited<ReturnType<typeof errorOf>>;
}

/** Polls `check` (sync or async) until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The `data:` payloads of an SSE text, in order. */
export function sseData(text: string): string[] {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n\n')
    .flatMap((event) => event.split('\n').filter((line) => line.startsWith('data:')))
    .map((line) => line.slice(5).trim());
}
