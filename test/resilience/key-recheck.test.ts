import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { byKey, chat, FAST_ROUTING } from './support.js';

// A key the upstream rejects (401) is skipped, re-checked on real traffic after a minute (the
// gateway's clock is injected and moved, never waited for), and can be re-enabled by the admin.

const ADMIN_TOKEN = 'test-admin-token-key-recheck-0123456789';
const BAD = 'sk-rejected-key-0001';
const GOOD = 'sk-working-key-0002';
const MINUTE = 60_000;

const clock = { t: Date.parse('2026-12-01T10:00:00Z') };
let fake: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  fake.onKey(BAD, { kind: 'status', status: 401, body: { error: { message: 'invalid api key' } } });
  gw = await startTestGateway(
    {
      channels: [channel({ name: 'one', base_url: fake.baseUrl, keys: [BAD, GOOD], models: ['m'] })],
      routing: FAST_ROUTING,
    },
    { ADMIN_TOKEN },
    { now: () => clock.t },
  );
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const admin = (method: string, path: string) =>
  fetch(`${gw.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

interface KeyView {
  index: number;
  key: string | null;
  health: { state: string; reason: string; retry_at?: string | null; rejections?: number }[];
}

async function keysOfOne(): Promise<KeyView[]> {
  const res = await admin('GET', '/stats/routing');
  const text = await res.text();
  expect(text).not.toContain(BAD);
  const stats = JSON.parse(text) as { channels: { channel: string; keys: KeyView[] }[] };
  return stats.channels.find((c) => c.channel === 'one')?.keys ?? [];
}

async function serveThree(): Promise<void> {
  for (let i = 0; i < 3; i++) expect((await chat(gw)).status).toBe(200);
}

describe('a rejected key is re-checked with backoff', () => {
  it('skips the key after its 401, and shows it flagged with the reason and the retry time', async () => {
    await serveThree();
    expect(byKey(fake.requests, BAD)).toHaveLength(1);
    const [bad, good] = await keysOfOne();
    expect(bad?.key).toBe('sk-…0001');
    expect(bad?.health).toEqual([
      expect.objectContaining({
        state: 'disabled',
        reason: 'upstream rejected the key (HTTP 401)',
        retry_at: new Date(clock.t + MINUTE).toISOString(),
        rejections: 1,
      }),
    ]);
    expect(good?.health).toEqual([]);
  });

  it('tries the key again once a minute has passed on the gateway clock, then waits twice as long', async () => {
    clock.t += MINUTE - 1;
    await serveThree();
    expect(byKey(fake.requests, BAD)).toHaveLength(1);
    clock.t += 1;
    await serveThree();
    // Re-checked by exactly one request, which still got its answer from the other key.
    expect(byKey(fake.requests, BAD)).toHaveLength(2);
    const [bad] = await keysOfOne();
    expect(bad?.health[0]).toMatchObject({
      rejections: 2,
      retry_at: new Date(clock.t + 2 * MINUTE).toISOString(),
    });
    clock.t += MINUTE;
    await serveThree();
    expect(byKey(fake.requests, BAD)).toHaveLength(2);
  });

  it('the admin re-enable puts the key back at once', async () => {
    fake.onKey(BAD, { kind: 'ok' });
    const res = await admin('POST', '/channels/one/keys/0/reenable');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ channel: 'one', key_index: 0, key: 'sk-…0001', reenabled: true });
    await serveThree();
    expect(byKey(fake.requests, BAD).length).toBeGreaterThan(2);
    expect((await keysOfOne()).every((k) => k.health.length === 0)).toBe(true);
  });

  it('answers 404 for an unknown channel or key index, and 400 for an index that is not a number', async () => {
    expect((await admin('POST', '/channels/nope/keys/0/reenable')).status).toBe(404);
    expect((await admin('POST', '/channels/one/keys/7/reenable')).status).toBe(404);
    expect((await admin('POST', '/channels/one/keys/x/reenable')).status).toBe(400);
    const idle = await admin('POST', '/channels/one/keys/1/reenable');
    expect(await idle.json()).toMatchObject({ key_index: 1, reenabled: false });
  });
});
