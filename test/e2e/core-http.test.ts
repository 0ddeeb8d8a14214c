import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import type { HealthCheck } from '../../src/spec/health-check.js';
import { silentLogger } from '../../src/spec/logger.js';
import type { UsageRecord } from '../../src/spec/usage.js';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.js';
import { type BacklogDetail, backlogCheck } from '../../src/usage/journal-shipper.js';
import { createRequestJournal } from '../../src/usage/journal-writer.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf, postJson } from '../support/http.js';
import { type GatewayUnderTest, itNode, startGateway } from '../support/start-any-gateway.js';
import { channel } from '../support/start-gateway.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;
let restricted: GatewayUnderTest;

beforeAll(async () => {
  fake = await startFakeUpstream();
  const config = {
    channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['up-http'], models: ['gpt-fake'] })],
  };
  gw = await startGateway(config);
  restricted = await startGateway(config, { CORS_ORIGINS: 'https://app.example, https://other.example' });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await restricted?.close();
  await fake?.close();
});

const chatBody = { model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] };
const origin = 'https://somewhere.example';

describe('service routes', () => {
  it('GET / names the service, its version and endpoints', async () => {
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { name: string; version: string; endpoints: Record<string, string> };
    expect(body.name).toBe('switchboard');
    expect(body.version).toBe(VERSION);
    expect(body.endpoints.chat).toBe('/v1/chat/completions');
    expect(body.endpoints.messages).toBe('/v1/messages');
    expect(body.endpoints.api_reference).toBe('/docs');
  });

  itNode(
    'GET / links the admin panel',
    'the test Worker has no ASSETS binding (the panel build); the deployed Worker links it as Node does',
    async () => {
      const body = (await (await fetch(`${gw.url}/`)).json()) as { endpoints: Record<string, string> };
      expect(body.endpoints.admin_panel).toBe('/admin/');
    },
  );

  it('GET /health reports liveness and storage readiness', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', storage: 'ok' });
  });

  /** A gateway whose database does not answer (refuses, or never answers), with the given /health parts. */
  const withoutDatabase = (
    healthChecks: HealthCheck[],
    ping: () => Promise<void> = () => Promise.reject(new Error('database is gone')),
  ) =>
    createGateway({
      storage: { ...createMemoryStorage(), ping },
      providers: createProviderRegistry({ name: 'test' }),
      channels: () => [],
      fetch: () => Promise.reject(new Error('no network')),
      logger: silentLogger,
      usageSink: async () => {},
      healthChecks,
      options: { version: 'test', bodyLimitBytes: 1024, corsOrigins: ['*'], maxAttempts: 1 },
    });

  it('GET /health answers 503 when storage does not answer', async () => {
    const gateway = withoutDatabase([]);
    const res = await gateway.fetch(new Request('http://gateway.test/health'));
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ storage: 'unavailable' });
    expect(text).not.toContain('database is gone');
  });

  it('GET /health says storage unavailable when the database never answers, instead of hanging', async () => {
    // A Postgres behind a dropped network: the connection neither succeeds nor fails.
    const gateway = withoutDatabase([], () => new Promise<void>(() => {}));
    const res = await gateway.fetch(new Request('http://gateway.test/health'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'degraded', storage: 'unavailable' });
  });

  it('GET /health stays 200, degraded, when a usage buffer keeps the instance serving without its database', async () => {
    // The Postgres usage buffer's part: records wait in it until the database is back.
    const backlog: BacklogDetail = {
      buffer: 'file',
      backlog: 3,
      oldest_age_ms: 900,
      max_records: 10,
      last_error: 'database unreachable',
    };
    const gateway = withoutDatabase([
      backlogCheck(() => backlog),
      { name: 'shared_state', check: () => ({ degraded: false, detail: 'per-process' }) },
    ]);
    const res = await gateway.fetch(new Request('http://gateway.test/health'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'degraded',
      degraded: true,
      storage: 'unavailable',
      usage: { backlog: 3, last_error: 'database unreachable' },
    });
    // Parts that do not buffer usage do not keep an instance without its database in service.
    const plain = withoutDatabase([
      { name: 'shared_state', check: () => ({ degraded: false, detail: 'per-process' }) },
    ]);
    expect((await plain.fetch(new Request('http://gateway.test/health'))).status).toBe(503);
  });

  it('GET /health shows the usage journal: degraded while writes fail, 503 once it is full and model requests are refused', async () => {
    // The default install (SQLite) has no usage buffer: its journal's failed writes wait in memory.
    let down = true;
    const journal = createRequestJournal(
      {
        open: () => {},
        append: async () => {
          if (down) throw new Error('SQLITE_FULL: database or disk is full');
        },
        rollUp: async () => 0,
        recover: async () => 0,
      },
      silentLogger,
      2,
    );
    const gateway = createGateway({
      storage: createMemoryStorage(),
      providers: createProviderRegistry({ name: 'test' }),
      channels: () => [],
      fetch: () => Promise.reject(new Error('no network')),
      logger: silentLogger,
      usageSink: async () => {},
      journal,
      options: { version: 'test', bodyLimitBytes: 1024, corsOrigins: ['*'], maxAttempts: 1 },
    });
    const health = () => gateway.fetch(new Request('http://gateway.test/health'));
    const record = (id: string) => ({ requestId: id, status: 200, attempts: [] }) as unknown as UsageRecord;
    await journal.append('a', record('a'));
    const one = await health();
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ status: 'degraded', usage: { backlog: 1, full: false } });
    await journal.append('b', record('b'));
    // Full: every model request gets 503 usage_backlog_full, so a balancer should send none here.
    const full = await health();
    expect(full.status).toBe(503);
    expect(await full.json()).toMatchObject({
      status: 'degraded',
      storage: 'ok',
      usage: { backlog: 2, full: true },
    });
    down = false;
    await journal.retry();
    const recovered = await health();
    expect(recovered.status).toBe(200);
    expect(await recovered.json()).toMatchObject({ status: 'ok', usage: { backlog: 0, full: false } });
  });

  it('unknown routes get the error envelope', async () => {
    const res = await fetch(`${gw.url}/nope`);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('route_not_found');
  });
});

describe('CORS', () => {
  it('answers preflight on the client API', async () => {
    for (const path of ['/v1/chat/completions', '/api/v1/embeddings', '/v1/audio/speech']) {
      const res = await fetch(`${gw.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, x-api-key',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      const allowed = res.headers.get('access-control-allow-headers')?.toLowerCase() ?? '';
      for (const header of ['authorization', 'content-type', 'x-api-key']) expect(allowed).toContain(header);
    }
  });

  it('puts CORS headers on successes, errors, streams and service routes', async () => {
    const responses = [
      await fetch(`${gw.url}/`, { headers: { origin } }),
      await fetch(`${gw.url}/health`, { headers: { origin } }),
      await fetch(`${gw.url}/v1/models`, { headers: { origin, authorization: `Bearer ${gw.key}` } }),
      await postJson(gw, '/v1/chat/completions', chatBody, { origin }),
      await postJson(gw, '/v1/chat/completions', { ...chatBody, stream: true }, { origin }),
      await postJson(gw, '/v1/chat/completions', chatBody, { origin, authorization: 'Bearer wrong' }),
      await postJson(gw, '/v1/chat/completions', '{oops', { origin }),
      await fetch(`${gw.url}/nope`, { headers: { origin } }),
    ];
    for (const res of responses) {
      await res.arrayBuffer();
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('x-request-id');
    }
  });

  it('allows only the configured origins when CORS_ORIGINS is set', async () => {
    const preflight = (from: string) =>
      fetch(`${restricted.url}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: { origin: from, 'access-control-request-method': 'POST' },
      });
    expect((await preflight('https://app.example')).headers.get('access-control-allow-origin')).toBe(
      'https://app.example',
    );
    expect((await preflight('https://other.example')).headers.get('access-control-allow-origin')).toBe(
      'https://other.example',
    );
    const stranger = (await preflight('https://evil.example')).headers.get('access-control-allow-origin');
    expect(stranger).not.toBe('https://evil.example');
    expect(stranger).not.toBe('*');
    const res = await postJson(restricted, '/v1/chat/completions', chatBody, {
      origin: 'https://app.example',
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});

describe('x-content-type-options', () => {
  it('serves a pass-through answer the upstream labels text/html with nosniff', async () => {
    fake.enqueue({
      kind: 'raw-pieces',
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      pieces: ['<script>alert(document.cookie)</script>'],
    });
    const res = await postJson(gw, '/v1/audio/speech', { model: 'gpt-fake', input: 'hi', voice: 'alloy' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<script>');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends nosniff on every answer: successes, streams, errors, preflights, service routes', async () => {
    const responses = [
      await fetch(`${gw.url}/`),
      await fetch(`${gw.url}/health`),
      await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${gw.key}` } }),
      await postJson(gw, '/v1/chat/completions', chatBody),
      await postJson(gw, '/v1/chat/completions', { ...chatBody, stream: true }),
      await postJson(gw, '/v1/chat/completions', chatBody, { authorization: 'Bearer wrong' }),
      await postJson(gw, '/v1/chat/completions', '{oops'),
      await fetch(`${gw.url}/nope`),
      await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      }),
      await fetch(`${gw.url}/admin/api/users`),
    ];
    for (const res of responses) {
      await res.arrayBuffer();
      expect(res.headers.get('x-content-type-options'), res.url).toBe('nosniff');
    }
  });
});

describe('x-request-id', () => {
  it('echoes the client’s id on success, on streams and on errors (also in the error body)', async () => {
    const ok = await postJson(gw, '/v1/chat/completions', chatBody, { 'x-request-id': 'req-ok-1' });
    expect(ok.headers.get('x-request-id')).toBe('req-ok-1');
    const stream = await postJson(
      gw,
      '/v1/chat/completions',
      { ...chatBody, stream: true },
      { 'x-request-id': 'req-s-1' },
    );
    await stream.text();
    expect(stream.headers.get('x-request-id')).toBe('req-s-1');
    const bad = await postJson(gw, '/v1/chat/completions', { messages: [] }, { 'x-request-id': 'req-err-1' });
    expect(bad.headers.get('x-request-id')).toBe('req-err-1');
    expect((await errorOf(bad)).request_id).toBe('req-err-1');
    const unauthorized = await fetch(`${gw.url}/v1/models`, { headers: { 'x-request-id': 'req-401' } });
    expect(unauthorized.headers.get('x-request-id')).toBe('req-401');
    expect((await errorOf(unauthorized)).request_id).toBe('req-401');
  });

  it('generates a fresh id when the client sends none or an unusable one', async () => {
    const seen = new Set<string>();
    const variants: Record<string, string>[] = [
      {},
      {},
      { 'x-request-id': 'has spaces and <html>' },
      { 'x-request-id': 'x'.repeat(300) },
    ];
    for (const headers of variants) {
      const res = await postJson(gw, '/v1/chat/completions', chatBody, headers);
      const id = res.headers.get('x-request-id') ?? '';
      expect(id).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(4);
  });

  itNode(
    'puts a fresh id on a 413 for an upload over the default body limit',
    'workerd run locally resets the connection when it answers before reading a large upload (413 on Workers: core-errors)',
    async () => {
      const tooBig = await postJson(gw, '/v1/chat/completions', 'x'.repeat(5 * 1024 * 1024));
      expect(tooBig.status).toBe(413);
      const id = tooBig.headers.get('x-request-id');
      expect(id).toBeTruthy();
      expect((await errorOf(tooBig)).request_id).toBe(id);
    },
  );

  it('is on the service routes too', async () => {
    expect(
      (await fetch(`${gw.url}/health`, { headers: { 'x-request-id': 'h-1' } })).headers.get('x-request-id'),
    ).toBe('h-1');
    expect((await fetch(`${gw.url}/`)).headers.get('x-request-id')).toBeTruthy();
  });
});
