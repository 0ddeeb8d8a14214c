import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamFetch } from '../../src/runtime/node/undici-fetch.js';
import { UpstreamTransportError } from '../../src/spec/transport-error.js';
import { type ChunkReader, chunkReaderOf } from '../../src/streaming/chunk-reader.js';

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

/** Everything a reader gives until its end, as text, and how many chunks it took. */
const readAll = async (reader: ChunkReader) => {
  const seen: string[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read())
    seen.push(new TextDecoder().decode(r.value));
  return { text: seen.join(''), chunks: seen.length };
};

const settled = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (err: unknown) => err,
  );

// The relay reads a streamed answer through the Node body's own reader (no Web stream).
describe('the Node upstream fetch relaying a streamed answer', () => {
  it('reads the chunks as they arrive, then the end', async () => {
    await withFetch(async (fetch) => {
      const reader = chunkReaderOf(await fetch(`${base}/chunks`, { method: 'GET' }));
      if (!reader) throw new Error('no reader');
      const first = await reader.read();
      // The second event is sent 20 ms after the first: the first read does not wait for it.
      expect(new TextDecoder().decode(first.value)).toBe('data: 1\n\n');
      expect(await readAll(reader)).toEqual({ text: 'data: 2\n\n', chunks: 1 });
      expect((await reader.read()).done).toBe(true);
    });
  });

  it('decodes a compressed stream', async () => {
    await withFetch(async (fetch) => {
      const reader = chunkReaderOf(await fetch(`${base}/gzip`, { method: 'GET' }));
      if (!reader) throw new Error('no reader');
      expect((await readAll(reader)).text).toBe(ANSWER);
    });
  });

  it('gives the Web stream reader once the body was looked at, and none twice', async () => {
    await withFetch(async (fetch) => {
      const looked = await fetch(`${base}/chunks`, { method: 'GET' });
      expect(looked.body).not.toBeNull();
      const reader = chunkReaderOf(looked);
      if (!reader) throw new Error('no reader');
      expect((await readAll(reader)).text).toBe('data: 1\n\ndata: 2\n\n');
      const res = await fetch(`${base}/json`, { method: 'GET' });
      expect(chunkReaderOf(res)).not.toBeNull();
      expect(res.bodyUsed).toBe(true);
      await expect(res.text()).rejects.toBeInstanceOf(TypeError);
    });
  });

  it('fails a stream cut mid-way as `terminated`, a transport error, on every later read too', async () => {
    await withFetch(async (fetch) => {
      const reader = chunkReaderOf(await fetch(`${base}/cut`, { method: 'GET' }));
      if (!reader) throw new Error('no reader');
      const failed = await settled(readAll(reader));
      expect(failed).toBeInstanceOf(UpstreamTransportError);
      expect((failed as Error).message).toMatch(/^terminated/);
      expect(await settled(reader.read())).toBe(failed);
    });
  });

  it('fails a pending read with the abort reason when the request is aborted', async () => {
    await withFetch(async (fetch) => {
      const controller = new AbortController();
      const reader = chunkReaderOf(await fetch(`${base}/slow`, { method: 'GET', signal: controller.signal }));
      if (!reader) throw new Error('no reader');
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('{"partial":');
      const pending = reader.read();
      const reason = new Error('client disconnected');
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
    });
  });

  it('ends a pending read when cancelled, and every read after it', async () => {
    await withFetch(async (fetch) => {
      const reader = chunkReaderOf(await fetch(`${base}/slow`, { method: 'GET' }));
      if (!reader) throw new Error('no reader');
      await reader.read();
      const pending = reader.read();
      await reader.cancel();
      expect((await pending).done).toBe(true);
      expect((await reader.read()).done).toBe(true);
    });
  });
});
