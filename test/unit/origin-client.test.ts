import { describe, expect, it } from 'vitest';
import { createOriginClient } from '../../src/runtime/workers/edge/origin-client.js';

// A usage batch sent from a Worker's waitUntil must end before Cloudflare cuts that work off (30 s
// after the response): cut off, the writer never hears, and its records wait minutes to go again.
// Three attempts of 10 s each, plus the waits between them, took longer than that.
describe('origin client: a deadline for all attempts of one call', () => {
  it('gives up by `until`, without starting an attempt or a wait that would end after it', async () => {
    let calls = 0;
    const slept: number[] = [];
    const client = createOriginClient({
      url: 'http://127.0.0.1:9',
      secret: 'edge-secret-for-the-origin-client-test-0123',
      // An origin that never answers: each attempt ends when its time-out aborts it.
      fetch: (_url, init) => {
        calls++;
        return new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        });
      },
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    const until = Date.now() + 200;
    await expect(
      client.post('/internal/edge/usage', { records: [] }, { attempts: 3, until }),
    ).rejects.toThrow(/origin \/internal\/edge\/usage/);
    expect(calls).toBe(1);
    expect(slept).toEqual([]);
  });

  it('still retries a failed attempt when there is time for it', async () => {
    let calls = 0;
    const client = createOriginClient({
      url: 'http://127.0.0.1:9',
      secret: 'edge-secret-for-the-origin-client-test-0123',
      fetch: async () => {
        calls++;
        return calls === 1 ? new Response('busy', { status: 503 }) : Response.json({ ok: true });
      },
      sleep: async () => {},
    });
    const answer = await client.post<{ ok: boolean }>(
      '/internal/edge/usage',
      {},
      {
        attempts: 3,
        until: Date.now() + 20_000,
      },
    );
    expect(answer).toEqual({ ok: true });
    expect(calls).toBe(2);
  });
});

describe('origin client: an origin that redirects', () => {
  it('sends the signed batch nowhere else, and says where ORIGIN_URL should point', async () => {
    const { createServer } = await import('node:http');
    const elsewhere: string[] = [];
    const other = createServer((req, res) => {
      elsewhere.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((done) => other.listen(0, '127.0.0.1', done));
    const otherPort = (other.address() as { port: number }).port;
    const origin = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: `http://127.0.0.1:${otherPort}${req.url}` }).end();
    });
    await new Promise<void>((done) => origin.listen(0, '127.0.0.1', done));
    try {
      const client = createOriginClient({
        url: `http://127.0.0.1:${(origin.address() as { port: number }).port}`,
        secret: 'edge-secret-for-the-origin-client-test-0123',
        fetch: (url, init) => fetch(url, init),
      });
      await expect(client.post('/internal/edge/usage', { records: [] })).rejects.toThrow(
        /answered 307.*redirect/,
      );
      expect(elsewhere).toEqual([]);
    } finally {
      origin.close();
      other.close();
    }
  });
});

describe('origin client: an origin that refuses the request (4xx)', () => {
  it("gives the origin's reason in the error (for the edge's log), and does not try again", async () => {
    let calls = 0;
    const client = createOriginClient({
      url: 'http://127.0.0.1:9',
      secret: 'edge-secret-for-the-origin-client-test-0123',
      fetch: async () => {
        calls++;
        return Response.json(
          {
            error: {
              message: 'this usage batch is priced in EUR but the origin prices in USD',
              type: 'invalid_request_error',
              code: 'currency_mismatch',
              param: null,
            },
          },
          { status: 409 },
        );
      },
      sleep: async () => {},
    });
    const refused = client.post('/internal/edge/usage', { records: [] }, { attempts: 3 });
    await expect(refused).rejects.toThrow(
      /answered 409: currency_mismatch: this usage batch is priced in EUR but the origin prices in USD/,
    );
    await expect(refused).rejects.toMatchObject({ retryable: false });
    expect(calls).toBe(1);
  });
});
