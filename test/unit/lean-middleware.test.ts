import { Hono } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { cors as honoCors } from 'hono/cors';
import { describe, expect, it } from 'vitest';
import { bodyLimit } from '../../src/http/body-limit.js';
import { cors } from '../../src/http/cors.js';

// src/http/cors.ts and body-limit.ts replace Hono's middleware on the hot path; a client must not
// be able to tell them apart, so each request here goes to both and the answers are compared.

function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name.startsWith('access-control-') || name === 'vary' || name === 'content-type') out[name] = value;
  });
  return out;
}

describe('cors answers as hono/cors', () => {
  const build = (origin: '*' | string[], mine: boolean) => {
    const app = new Hono();
    const options = { origin, exposeHeaders: ['x-request-id', 'x-extra'], maxAge: 600 };
    app.use('*', mine ? cors(options) : honoCors(options));
    app.post('/ok', (c) => c.json({ ok: true }));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.onError((_err, c) => c.json({ error: 'x' }, 500));
    return app;
  };
  const requests: [string, RequestInit][] = [
    ['/ok', { method: 'POST', body: '{}', headers: { origin: 'https://app.example' } }],
    ['/ok', { method: 'POST', body: '{}', headers: { origin: 'https://evil.example' } }],
    ['/ok', { method: 'POST', body: '{}' }],
    ['/boom', { headers: { origin: 'https://app.example' } }],
    ['/missing', { headers: { origin: 'https://app.example' } }],
    [
      '/ok',
      {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,  content-type',
        },
      },
    ],
    ['/ok', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } }],
  ];
  for (const origin of ['*', ['https://app.example', 'https://b.example']] as const) {
    it(`origin ${JSON.stringify(origin)}`, async () => {
      const theirs = build(origin === '*' ? '*' : [...origin], false);
      const ours = build(origin === '*' ? '*' : [...origin], true);
      for (const [path, init] of requests) {
        const a = await theirs.request(path, init);
        const b = await ours.request(path, init);
        expect({ path, status: b.status, headers: headersOf(b), body: await b.text() }).toEqual({
          path,
          status: a.status,
          headers: headersOf(a),
          body: await a.text(),
        });
      }
    });
  }
});

describe('bodyLimit answers as hono/body-limit', () => {
  const build = (mine: boolean) => {
    const app = new Hono();
    const onError = () => new Response('too large', { status: 413 });
    app.use('*', mine ? bodyLimit({ maxSize: 10, onError }) : honoBodyLimit({ maxSize: 10, onError }));
    app.all('/echo', async (c) => c.text(await c.req.text()));
    return app;
  };
  const chunked = (text: string) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    });
  const cases: [string, () => RequestInit][] = [
    ['small', () => ({ method: 'POST', body: 'hello' })],
    ['exactly the limit', () => ({ method: 'POST', body: '0123456789' })],
    ['over the limit', () => ({ method: 'POST', body: '0123456789!' })],
    ['declared length over', () => ({ method: 'POST', body: 'x', headers: { 'content-length': '99' } })],
    ['streamed small', () => ({ method: 'POST', body: chunked('hi'), duplex: 'half' }) as RequestInit],
    [
      'streamed over',
      () => ({ method: 'POST', body: chunked('0123456789ab'), duplex: 'half' }) as RequestInit,
    ],
    ['get', () => ({ method: 'GET' })],
  ];
  for (const [name, init] of cases) {
    it(name, async () => {
      const a = await build(false).request('/echo', init());
      const b = await build(true).request('/echo', init());
      expect({ status: b.status, body: await b.text() }).toEqual({ status: a.status, body: await a.text() });
    });
  }
});
