import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';

// Health names an upstream key by its fingerprint, not its place in the list: editing a
// channel's keys keeps each key's health with that key (issue 12, item 5).

const BAD = 'sk-rejected-key-edit-0001';
const GOOD = 'sk-working-key-edit-0002';
const ADDED = 'sk-added-key-edit-0003';

let fake: FakeUpstream;
let gw: AdminGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  fake.onKey(BAD, { kind: 'status', status: 401, body: { error: { message: 'invalid api key' } } });
  gw = await startAdminGateway({ routing: { backoff: { base_ms: 1, max_ms: 1 } } });
  await gw.adminJson('POST', '/channels', {
    name: 'live',
    provider: 'openai-compatible',
    base_url: fake.baseUrl,
    keys: [BAD, GOOD],
    models: ['m'],
  });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const sentWith = (key: string) => fake.requests.filter((r) => r.headers.authorization === `Bearer ${key}`);

async function keyStates(): Promise<{ key: string | null; states: string[] }[]> {
  const text = await (await gw.admin('GET', '/stats')).text();
  expect(text).not.toContain(BAD);
  const stats = JSON.parse(text) as {
    channels: { channel: string; keys: { key: string | null; health: { state: string }[] }[] }[];
  };
  const keys = stats.channels.find((c) => c.channel === 'live')?.keys ?? [];
  return keys.map((k) => ({ key: k.key, states: k.health.map((h) => h.state) }));
}

describe('a key keeps its health when the key list is edited', () => {
  it('a rejected key stays flagged at its new index, and the key now in its old place is healthy', async () => {
    for (let i = 0; i < 3; i++) expect((await gw.chat(gw.key, 'm')).status).toBe(200);
    expect(sentWith(BAD)).toHaveLength(1);
    expect((await keyStates()).map((k) => k.states)).toEqual([['disabled'], []]);

    await gw.adminJson('PATCH', '/channels/live', { keys: [ADDED, BAD, GOOD] });
    expect(await keyStates()).toEqual([
      { key: 'sk-…0003', states: [] },
      { key: 'sk-…0001', states: ['disabled'] },
      { key: 'sk-…0002', states: [] },
    ]);
    for (let i = 0; i < 4; i++) expect((await gw.chat(gw.key, 'm')).status).toBe(200);
    expect(sentWith(BAD)).toHaveLength(1);
    expect(sentWith(ADDED).length).toBeGreaterThan(0);
  });

  it('the re-enable route maps the index it is given to that key', async () => {
    const wrong = await gw.adminJson<{ reenabled: boolean }>(
      'POST',
      '/channels/live/keys/0/reenable',
      undefined,
      200,
    );
    expect(wrong.reenabled).toBe(false);
    const right = await gw.adminJson('POST', '/channels/live/keys/1/reenable', undefined, 200);
    expect(right).toEqual({ channel: 'live', key_index: 1, key: 'sk-…0001', reenabled: true });
    expect((await keyStates()).every((k) => k.states.length === 0)).toBe(true);
  });
});
