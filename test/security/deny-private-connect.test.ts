import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { resolveSettings } from '../../src/config/settings.js';
import { bootstrap } from '../../src/runtime/node/bootstrap.js';
import type { ResolveAll } from '../../src/runtime/node/public-only-lookup.js';
import { startServer } from '../../src/runtime/node/server.js';
import { createUpstreamFetch } from '../../src/runtime/node/undici-fetch.js';
import { silentLogger } from '../../src/spec/logger.js';
import { type Canary, startCanary } from './canary.js';

let canary: Canary;
beforeAll(async () => {
  canary = await startCanary();
});
afterAll(async () => {
  await canary?.close();
});

// Tests have no DNS of their own: this name "resolves" to the loopback canary, as a public name
// re-pointed at 127.0.0.1 (or a rebinding one) would.
const rebinding: ResolveAll = (hostname, _options, callback) => {
  if (hostname === 'upstream.example') callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(Object.assign(new Error(`no such name ${hostname}`), { code: 'ENOTFOUND' }), []);
};

const port = () => new URL(canary.url).port;

describe('the Node upstream fetch under upstreams.deny_private', () => {
  it('refuses to connect when a name resolves to a loopback address', async () => {
    const upstream = createUpstreamFetch({
      connectTimeoutMs: 2_000,
      connections: 1,
      denyPrivate: true,
      resolve: rebinding,
    });
    try {
      const sent = upstream.fetch(`http://upstream.example:${port()}/v1/chat/completions`, {
        method: 'POST',
        body: '{}',
        redirect: 'manual',
      });
      await expect(sent).rejects.toMatchObject({
        cause: {
          code: 'ERR_UPSTREAM_ADDRESS_DENIED',
          message: expect.stringContaining('resolves to 127.0.0.1'),
        },
      });
      expect(canary.requests).toHaveLength(0);
    } finally {
      await upstream.close();
    }
  });

  it('refuses an IP literal without any lookup, on both fetch paths', async () => {
    const upstream = createUpstreamFetch({ connectTimeoutMs: 2_000, connections: 1, denyPrivate: true });
    try {
      await expect(upstream.fetch(`${canary.url}/x`, { method: 'GET' })).rejects.toMatchObject({
        cause: { code: 'ERR_UPSTREAM_ADDRESS_DENIED' },
      });
      const streamed = new ReadableStream({ start: (c) => c.close() });
      await expect(
        upstream.fetch(`http://[::ffff:127.0.0.1]:${port()}/x`, {
          method: 'POST',
          body: streamed,
          duplex: 'half',
        } as RequestInit),
      ).rejects.toMatchObject({ cause: { code: 'ERR_UPSTREAM_ADDRESS_DENIED' } });
      expect(canary.requests).toHaveLength(0);
    } finally {
      await upstream.close();
    }
  });

  it('connects as before when deny_private is off (the default)', async () => {
    const upstream = createUpstreamFetch({ connectTimeoutMs: 2_000, connections: 1, resolve: rebinding });
    try {
      const res = await upstream.fetch(`${canary.url}/x`, { method: 'GET' });
      expect(res.status).toBe(200);
      await res.text();
      expect(canary.requests).toHaveLength(1);
      canary.requests.length = 0;
    } finally {
      await upstream.close();
    }
  });
});

describe('a gateway with upstreams.deny_private', () => {
  it('fails the attempt with a reason naming the name and the address, and never connects', async () => {
    const settings = resolveSettings({
      env: { DATABASE_URL: 'sqlite::memory:' },
      file: {
        path: 'deny.yaml',
        text: JSON.stringify({
          upstreams: { deny_private: true },
          routing: { max_attempts: 1 },
          channels: [
            {
              name: 'rebound',
              provider: 'openai-compatible',
              base_url: `http://upstream.example:${port()}/v1`,
              keys: ['up-k'],
              models: ['m'],
            },
          ],
        }),
      },
    });
    const upstream = createUpstreamFetch({
      connectTimeoutMs: 2_000,
      connections: 1,
      denyPrivate: true,
      resolve: rebinding,
    });
    const node = await bootstrap({
      settings,
      logger: silentLogger,
      fetch: upstream.fetch,
      usageSink: async () => {},
    });
    const { secret } = await createClientKey(node.storage.keys, { name: 't' });
    const server = await startServer(node, { port: 0, host: '127.0.0.1', logger: silentLogger });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('upstream_failed');
      expect(body.error.message).toContain(
        'upstream.example resolves to 127.0.0.1, a loopback or private address, which upstreams.deny_private refuses',
      );
      expect(canary.requests).toHaveLength(0);
    } finally {
      await server.shutdown(1_000);
      await upstream.close();
    }
  });
});
