import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamFetch } from '../../src/runtime/node/undici-fetch.js';
import { UpstreamTransportError } from '../../src/spec/transport-error.js';

// The Node upstream fetch reads a buffered answer straight from the socket's stream; these are
// the outcomes fetch gives, which the router and the answer step rely on.
const ANSWER = JSON.stringify({ id: 'chatcmpl-1', choices: [{ message: { content: 'héllo' } }] });

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(ANSWER);
    } else if (req.url === '/gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(ANSWER));
    } else if (req.url === '/chunks') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => res.end('data: 2\n\n'), 20);
    } else if (req.url === '/cut') {
      // Promises more than it sends, then drops the connection mid-body.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write(ANSWER.slice(0, 10));
      setTimeout(() => res.socket?.destroy(), 20);
    } else if (req.url === '/slow') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

const withFetch = async (run: (fetch: ReturnType<typeof createUpstreamFetch>['fetch']) => Promise<void>) => {
  const upstream = createUpstreamFetch({ connectTimeoutMs: 2_000, connections: 4 });
  try {
    await run(upstream.fetch);
  } finally {
    await upstream.close();
  }
};

describe('the Node upstream fetch reading an answer whole', () => {
  it('gives the bytes, text and JSON of the answer, once', async () => {
    await withFetch(async (fetch) => {
      const res = await fetch(`${base}/json`, { method: 'POST', body: '{}' });
      expect(res).toBeInstanceOf(Response);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(new TextDecoder().decode(await res.arrayBuffer())).toBe(ANSWER);
      expect(res.bodyUsed).toBe(true);
      await expect(res.text()).rejects.toBeInstanceOf(TypeError);
      expect(await (await fetch(`${base}/json`, { method: 'GET' })).json()).toEqual(JSON.parse(ANSWER));
      expect(await (await fetch(`${base}/json`, { method: 'GET' })).text()).toBe(ANSWER);
    });
  });

  it('decodes a compressed answer', async () => {
    await withFetch(async (fetch) => {
      const res = await fetch(`${base}/gzip`, { method: 'GET' });
      expect(await res.text()).toBe(ANSWER);
    });
  });

  it('still relays a body read as a stream, chunk by chunk', async () => {
    await withFetch(async (fetch) => {
      const res = await fetch(`${base}/chunks`, { method: 'GET' });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const seen: string[] = [];
      for (let r = await reader.read(); !r.done; r = await reader.read())
        seen.push(new TextDecoder().decode(r.value));
      expect(seen.join('')).toBe('data: 1\n\ndata: 2\n\n');
      expect(seen.length).toBeGreaterThanOrEqual(2);
      // Looked at first, then read whole: the same bytes.
      const looked = await fetch(`${base}/json`, { method: 'GET' });
      expect(looked.body).not.toBeNull();
      expect(await looked.text()).toBe(ANSWER);
    });
  });

  it('fails a body cut mid-way as `terminated`, a transport error', async () => {
    await withFetch(async (fetch) => {
      const res = await fetch(`${base}/cut`, { method: 'GET' });
      const failed = await res.arrayBuffer().then(
        () => null,
        (err: unknown) => err,
      );
      expect(failed).toBeInstanceOf(UpstreamTransportError);
      expect((failed as Error).message).toMatch(/^terminated/);
    });
  });

  it('fails a body read when the request is aborted with the abort reason', async () => {
    await withFetch(async (fetch) => {
      const controller = new AbortController();
      const res = await fetch(`${base}/slow`, { method: 'GET', signal: controller.signal });
      const reading = res.arrayBuffer();
      const reason = new Error('time-out waiting for upstream');
      controller.abort(reason);
      await expect(reading).rejects.toBe(reason);
    });
  });
});
