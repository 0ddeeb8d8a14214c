import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolveAll } from '../../src/runtime/node/public-only-lookup.js';
import { createUpstreamFetch } from '../../src/runtime/node/undici-fetch.js';
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
