import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf, postJson } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { type Canary, rawRequest, rawSocketRequest, startCanary } from './canary.js';

let fake: FakeUpstream;
let canary: Canary;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  canary = await startCanary();
  gw = await startTestGateway({
    // Every redirect test meets a redirecting channel again: keep the breaker from cooling it.
    routing: { max_attempts: 2, backoff: { base_ms: 0 }, breaker: { failure_threshold: 1000 } },
    channels: [
      channel({ name: 'openai', base_url: fake.baseUrl, keys: ['up-openai'], models: ['gpt-fake'] }),
      channel({
        name: 'claude',
        provider: 'anthropic',
        base_url: fake.baseUrl,
        keys: ['up-anthropic'],
        models: ['claude-fake'],
      }),
    ],
  });
});
afterEach(() => {
  fake.reset();
  canary.requests.length = 0;
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
  await canary?.close();
});

const auth = () => ({ authorization: `Bearer ${gw.key}` });
const outsideBase = () => fake.requests.filter((r) => !r.path.startsWith('/v1/'));

describe('the pass-through path stays under the base path', () => {
  it('refuses `..%5c` segments (the reported repro) and sends nothing upstream', async () => {
    const res = await rawRequest(
      gw.url,
      'POST',
      '/v1/x/..%5c..%5cinternal',
      {
        ...auth(),
        'content-type': 'application/json',
      },
      '{"model":"gpt-fake"}',
    );
    expect(outsideBase().map((r) => r.path)).toEqual([]);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_request',
    });
    expect(fake.requests).toHaveLength(0);
  });
});

// Every encoded way out of the base path, as the client sent it (not normalised by a client).
const REFUSED_PATHS = [
  '/v1/x/..%2finternal',
  '/v1/x/..%2F..%2Finternal',
  '/v1/x/%5c..%5cinternal',
  '/v1/x/..%5C..%5Cinternal',
  '/v1/x/%252e%252e/%252e%252e/internal',
  '/v1/x/%25252e%25252e/internal',
  '/v1/x/..%252finternal',
  '/v1/x/..;/..;/internal',
  '/v1/x/%2e%2e;jsessionid=1/internal',
  '/v1/x/..%3b/internal',
  '/v1/x%00/y',
  '/v1/x%0d%0aHost:%20canary/y',
  '/v1/x%09y',
  '/v1/x%7f',
  '/v1/x%2500',
  '/v1//CANARY/x',
  '/v1/http://CANARY/x',
  '/v1/http:%2f%2fCANARY%2fx',
  '/v1/x/..\\..\\internal',
  '/v1/x/\\CANARY/y',
];

describe('client paths that try to leave the base path', () => {
  for (const template of REFUSED_PATHS) {
    it(`${JSON.stringify(template)}: 400, nothing reaches the canary or leaves /v1/`, async () => {
      const path = template.replace('CANARY', canary.host);
      const res = await rawRequest(
        gw.url,
        'POST',
        path,
        { ...auth(), 'content-type': 'application/json' },
        '{}',
      );
      expect(res.status).toBe(400);
      expect(canary.requests).toHaveLength(0);
      expect(outsideBase()).toEqual([]);
      expect(fake.requests).toHaveLength(0);
    });
  }

  // The server's URL parser treats `%2e` as `.` and resolves these before routing: what is left
  // either matches no route or is an ordinary path under /v1.
  const RESOLVED: [string, number, string | null][] = [
    ['/v1/x/%2e%2e/%2e%2e/internal', 404, null],
    ['/v1/%2e%2e/internal', 404, null],
    ['/v1/x/.%2e/internal', 200, '/v1/internal'],
    ['/v1/%2e/files', 200, '/v1/files'],
  ];
  for (const [path, status, upstreamPath] of RESOLVED) {
    it(`${JSON.stringify(path)}: resolved before routing, ${status}, never outside /v1/`, async () => {
      const res = await rawRequest(
        gw.url,
        'POST',
        path,
        { ...auth(), 'content-type': 'application/json' },
        '{}',
      );
      expect(res.status).toBe(status);
      expect(fake.requests.map((r) => r.path)).toEqual(upstreamPath ? [upstreamPath] : []);
      expect(canary.requests).toHaveLength(0);
    });
  }

  it('a raw control character in the path is refused before routing', async () => {
    const status = await rawSocketRequest(
      gw.url,
      `GET /v1/a\x01b HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${gw.key}\r\n\r\n`,
    );
    expect(status).toBe(400);
    expect(fake.requests).toHaveLength(0);
    expect(canary.requests).toHaveLength(0);
  });

  it('`@host` stays a path segment under the base path', async () => {
    const res = await rawRequest(gw.url, 'GET', `/v1/@${canary.host}/x`, auth());
    expect(res.status).toBe(200);
    expect(fake.requests.map((r) => r.path)).toEqual([`/v1/@${canary.host}/x`]);
    expect(canary.requests).toHaveLength(0);
  });

  it('an absolute-form request target does not choose the upstream', async () => {
    const res = await rawRequest(gw.url, 'GET', `http://${canary.host}/v1/files`, auth());
    expect(res.status).toBe(200);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/files']);
    expect(canary.requests).toHaveLength(0);
  });

  it('the query string is forwarded as the query only', async () => {
    const query = `?next=http://${canary.host}/&p=..%2f..%2finternal&h=%23frag&at=@${canary.host}`;
    const res = await rawRequest(gw.url, 'GET', `/v1/files${query}`, auth());
    expect(res.status).toBe(200);
    expect(fake.requests.map((r) => r.path)).toEqual([`/v1/files${query}`]);
    expect(canary.requests).toHaveLength(0);
  });

  it('ordinary encoded characters in a segment still pass through unchanged', async () => {
    const res = await rawRequest(gw.url, 'GET', '/v1/files/a%20b%3Fc', auth());
    expect(res.status).toBe(200);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/files/a%20b%3Fc']);
  });
});

describe('upstream redirects are not followed', () => {
  // By upstream key, so that retries and failover meet the same redirect.
  const redirectTo = (status: number) => {
    for (const key of ['up-openai', 'up-anthropic'])
      fake.onKey(key, { kind: 'status', status, headers: { location: `${canary.url}/stolen?token=secret` } });
  };

  for (const status of [301, 302, 307]) {
    it(`non-stream chat: a ${status} is a failed attempt, not followed`, async () => {
      redirectTo(status);
      const res = await postJson(gw, '/v1/chat/completions', {
        model: 'gpt-fake',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.status).toBe(502);
      const error = await errorOf(res);
      expect(error.code).toBe('upstream_failed');
      expect(error.message).toContain(`redirect (HTTP ${status}) to ${canary.host}`);
      expect(error.message).not.toContain('token=secret');
      expect(canary.requests).toHaveLength(0);
    });
  }

  it('stream chat: a 307 is not followed', async () => {
    redirectTo(307);
    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'gpt-fake',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe('upstream_failed');
    expect(canary.requests).toHaveLength(0);
  });

  it('Anthropic channel: the x-api-key never goes to the redirect target', async () => {
    redirectTo(307);
    const res = await postJson(
      gw,
      '/v1/messages',
      {
        model: 'claude-fake',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
      },
      { 'anthropic-version': '2023-06-01' },
    );
    expect(res.status).toBe(502);
    expect(canary.requests).toHaveLength(0);
  });

  it('pass-through: a 302 is not relayed to the client', async () => {
    redirectTo(302);
    const res = await fetch(`${gw.url}/v1/files`, { headers: auth(), redirect: 'manual' });
    expect(res.status).toBe(502);
    expect(res.headers.get('location')).toBeNull();
    expect(canary.requests).toHaveLength(0);
  });
});

describe('the channel test does not follow redirects', () => {
  it('reports a 302 as a failed test naming the redirect host, and sends nothing there', async () => {
    const admin = await startAdminGateway({
      channels: [
        channel({ name: 'redirecting', base_url: fake.baseUrl, keys: ['up-test'], models: ['gpt-fake'] }),
      ],
    });
    try {
      fake.enqueue({ kind: 'status', status: 302, headers: { location: `${canary.url}/x?token=secret` } });
      const result = await admin.adminJson<{ ok: boolean; status: number | null; error: string | null }>(
        'POST',
        '/channels/redirecting/test',
        {},
        200,
      );
      expect(result.ok).toBe(false);
      expect(result.status).toBe(302);
      expect(result.error).toContain(`redirect (HTTP 302) to ${canary.host}`);
      expect(result.error).not.toContain('token=secret');
      expect(canary.requests).toHaveLength(0);
    } finally {
      await admin.close();
    }
  });
});
