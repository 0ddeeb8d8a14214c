import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, type CreatedKey, channel, startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';

// Two bring-your-own-key tenants on one channel: one tenant's upstream key being rejected must
// never take the other tenant's traffic out (issue 12, item 7).

const BAD_UPSTREAM = 'byok-tenant-a-rejected-0123456789';
const GOOD_UPSTREAM = 'byok-tenant-b-working-0123456789';

let fake: FakeUpstream;
let gw: AdminGateway;
let tenantA: CreatedKey;
let tenantB: CreatedKey;

async function byokKey(name: string, upstreamKey: string): Promise<CreatedKey> {
  const user = await gw.adminJson<{ id: string }>('POST', '/users', { name: `${name}-tenant` });
  return gw.adminJson<CreatedKey>('POST', '/keys', {
    name,
    user_id: user.id,
    byok: { provider: 'openai-compatible', key: upstreamKey },
  });
}

beforeAll(async () => {
  fake = await startFakeUpstream();
  fake.onKey(BAD_UPSTREAM, { kind: 'status', status: 401, body: { error: { message: 'invalid api key' } } });
  gw = await startAdminGateway({
    channels: [
      channel({ name: 'fake', base_url: fake.baseUrl, keys: ['upstream-shared-key-1'], models: ['m'] }),
    ],
  });
  tenantA = await byokKey('tenant-a', BAD_UPSTREAM);
  tenantB = await byokKey('tenant-b', GOOD_UPSTREAM);
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const sentWith = (key: string) => fake.requests.filter((r) => r.headers.authorization === `Bearer ${key}`);

describe('bring-your-own-key tenants are isolated in health', () => {
  it("one tenant's rejected upstream key never refuses the other tenant", async () => {
    expect((await gw.chat(tenantB.key, 'm')).status).toBe(200);

    const refused = await gw.chat(tenantA.key, 'm');
    expect(refused.status).toBe(502);
    expect(sentWith(BAD_UPSTREAM)).toHaveLength(1);

    for (let i = 0; i < 3; i++) expect((await gw.chat(tenantB.key, 'm')).status).toBe(200);
    expect(sentWith(GOOD_UPSTREAM)).toHaveLength(4);

    // The bad tenant's key is flagged for its own copy only: it stays refused, without a new call.
    expect((await gw.chat(tenantA.key, 'm')).status).toBeGreaterThanOrEqual(500);
    expect(sentWith(BAD_UPSTREAM)).toHaveLength(1);
    expect((await gw.chat(tenantB.key, 'm')).status).toBe(200);
  });

  it("keeps each tenant's copy apart in health, its key masked", async () => {
    const { entries } = await gw.node.gateway.health.snapshot();
    expect(entries).toEqual([
      expect.objectContaining({ channel: `fake+byok:${tenantA.id}`, state: 'disabled', model: null }),
    ]);
    const stats = await (await gw.admin('GET', '/stats')).text();
    expect(stats).not.toContain(BAD_UPSTREAM);
    expect(stats).not.toContain(GOOD_UPSTREAM);
  });
});
