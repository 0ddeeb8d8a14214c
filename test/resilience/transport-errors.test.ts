import { afterAll, describe, expect, it } from 'vitest';
import { type TransportErrorKind, UpstreamTransportError } from '../../src/spec/transport-error.js';
import { errorOf, postJson } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

const gateways: TestGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
});

/** A runtime whose fetch fails the way the runtime describes it (no undici codes anywhere). */
async function gatewayFailingWith(kind: TransportErrorKind, seen: RequestInit[] = []) {
  const gw = await startTestGateway(
    {
      channels: [
        channel({
          name: 'far',
          base_url: 'http://127.0.0.1:9/v1',
          keys: ['k'],
          models: ['m'],
          timeout: { connect_ms: 300 },
        }),
      ],
      routing: { max_attempts: 1 },
    },
    {},
    {
      fetch: async (_url, init) => {
        seen.push(init);
        throw new UpstreamTransportError(kind, `fetch failed (${kind})`);
      },
    },
  );
  gateways.push(gw);
  return gw;
}

const chat = (gw: TestGateway) =>
  postJson(gw, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] });

describe("transport errors as the runtime's fetch classifies them", () => {
  it('a connect time-out from any runtime is a 504 naming the connect time-out', async () => {
    const seen: RequestInit[] = [];
    const gw = await gatewayFailingWith('connect-timeout', seen);
    const res = await chat(gw);
    expect(res.status).toBe(504);
    const error = await errorOf(res);
    expect(error.code).toBe('upstream_timeout');
    expect(error.message).toContain('connect time-out (300 ms)');
    // The channel's connect time-out reaches the runtime as a hint it may honour.
    expect(seen[0]).toMatchObject({ connectTimeoutMs: 300 });
  });

  it('a refused connection is a 502 that says so, not a time-out', async () => {
    const gw = await gatewayFailingWith('connect-refused');
    const res = await chat(gw);
    expect(res.status).toBe(502);
    const error = await errorOf(res);
    expect(error.code).toBe('upstream_failed');
    expect(error.message).toContain('fetch failed (connect-refused)');
  });
});
