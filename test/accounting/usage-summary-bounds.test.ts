import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { chat, newRequestId, startFakeUpstream } from './harness.js';

const ADMIN = 'usage-bounds-admin-token-0123456789';
const T10 = Date.UTC(2026, 0, 5, 10);

/** GET /admin/api/usage counts exactly the requests of the range it reports, as /logs lists them. */
describe('the bounds of an hourly usage summary', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let clock = T10;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startTestGateway(
      {
        channels: [
          channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k-0001'], models: ['gpt-4o-mini'] }),
        ],
        routing: { max_attempts: 1 },
        usage: { flush_interval_ms: 20 },
      },
      { ADMIN_TOKEN: ADMIN },
      { now: () => clock },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  const get = async (path: string) =>
    (await (await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
      from: string;
      to: string;
      totals: { requests: number };
      data: unknown[];
    };

  it('a range inside hours reports the whole hours it counted, and their requests are the log of that range', async () => {
    for (const minute of [10, 50, 70]) {
      clock = T10 + minute * 60_000;
      await (await chat(gw, newRequestId(`bounds-${minute}`))).text();
    }
    await waitFor(() => gw.usage.length >= 3, 'records');
    await gw.node.drainDeferred();
    const asked = `from=${new Date(T10 + 5 * 60_000).toISOString()}&to=${new Date(T10 + 30 * 60_000).toISOString()}`;
    const usage = await get(`/admin/api/usage?${asked}`);
    // Rollups are hourly: the report says it covers 10:00–11:00, and counts what that hour holds.
    expect({ from: usage.from, to: usage.to }).toEqual({
      from: new Date(T10).toISOString(),
      to: new Date(T10 + 60 * 60_000).toISOString(),
    });
    const logs = await get(`/admin/api/logs?from=${usage.from}&to=${usage.to}`);
    expect(usage.totals.requests).toBe(logs.data.length);
    expect(usage.totals.requests).toBe(2);
  });
});
