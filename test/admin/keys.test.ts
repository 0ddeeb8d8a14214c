import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { startTestGateway } from '../support/start-gateway.js';
import {
  ADMIN_TOKEN,
  type AdminGateway,
  type CreatedKey,
  channel,
  startAdminGateway,
} from './admin-helpers.js';

let fake: FakeUpstream;
let gw: AdminGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startAdminGateway({
    channels: [
      channel({
        name: 'fake',
        base_url: fake.baseUrl,
        keys: ['upstream-shared-key-1'],
        models: ['gpt-fake'],
      }),
      channel({
        name: 'other',
        base_url: fake.baseUrl,
        keys: ['upstream-other-key-2'],
        models: ['gpt-other'],
      }),
    ],
  });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

async function expectRefused(key: string, status: number, code: string, model = 'gpt-fake') {
  for (const header of ['bearer', 'x-api-key'] as const) {
    const res = await gw.chat(key, model, header);
    expect(res.status, `${code} via ${header}`).toBe(status);
    const error = await errorOf(res);
    expect(error.code).toBe(code);
    expect(error.message).not.toContain(key);
  }
}

describe('client keys', () => {
  it('creates a key with every setting, shows the secret once, and lists it masked', async () => {
    const created = await gw.adminJson<CreatedKey>('POST', '/keys', {
      name: 'scoped',
      prefix: 'pk',
      purpose: 'cursor',
      models: ['gpt-*'],
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      ip_allowlist: ['127.0.0.0/8', '::1/128'],
      limits: { rpm: 60, rph: 1000, tpm: 50_000, concurrent: 4, budget: 12.5 },
    });
    expect(created.key).toMatch(/^pk-[A-Za-z0-9]{40}$/);
    expect(created).toMatchObject({
      purpose: 'cursor',
      models: ['gpt-*'],
      limits: { rpm: 60, rph: 1000, tpm: 50_000, concurrent: 4, budget: 12.5 },
      status: 'active',
      enabled: true,
    });
    const listed = await gw.admin('GET', '/keys?limit=500');
    const text = await listed.text();
    expect(text).not.toContain(created.key);
    const got = await gw.adminJson<Record<string, unknown>>('GET', `/keys/${created.id}`);
    expect(got.key).toBe(`pk-…${created.key.slice(-4)}`);
    expect(got.limits).toEqual({ rpm: 60, rph: 1000, tpm: 50_000, concurrent: 4, budget: 12.5 });
    expect((await gw.chat(created.key, 'gpt-fake')).status).toBe(200);
  });

  it('validates purpose, prefix, CIDRs, expiry and unknown fields', async () => {
    const bad: Record<string, unknown>[] = [
      { name: 'x', purpose: 'nonsense' },
      { name: 'x', prefix: '9bad' },
      { name: 'x', ip_allowlist: ['10.0.0.0/33'] },
      { name: 'x', expires_at: new Date(Date.now() - 1000).toISOString() },
      { name: 'x', limits: { rpm: -1 } },
      // 0 would refuse everything: disabling the key is how to stop it.
      { name: 'x', limits: { concurrent: 0 } },
      { name: 'x', owner: 'root' },
      {},
    ];
    for (const body of bad) {
      const res = await gw.admin('POST', '/keys', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await errorOf(res)).code).toBe('invalid_request');
    }
    expect((await gw.admin('POST', '/keys', { name: 'x', user_id: 'nobody' })).status).toBe(404);
    expect((await gw.admin('POST', '/keys', { name: 'x', channel_id: 'nochannel' })).status).toBe(404);
  });

  it('refuses a budget too small to count (under a millionth), which would refuse every request as spent', async () => {
    const res = await gw.admin('POST', '/keys', { name: 'tiny-budget', limits: { budget: 1e-9 } });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.param).toBe('limits.budget');
    expect(error.message).toContain('0.000001');
    // 0 still means nothing may be spent; a millionth is the smallest budget that counts.
    for (const budget of [0, 0.000001]) {
      const made = await gw.admin('POST', '/keys', { name: `budget-${budget}`, limits: { budget } });
      expect(made.status, String(budget)).toBe(201);
    }
  });

  it('gives each refusal its own status and code, whichever header carries the key', async () => {
    const make = async (body: Record<string, unknown>) =>
      (await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'refusal', ...body })).key;

    await expectRefused('sk-doesnotexist0000000000000000000000000000', 401, 'invalid_api_key');

    const revoked = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'to-revoke' });
    expect((await gw.chat(revoked.key, 'gpt-fake')).status).toBe(200);
    const after = await gw.adminJson<Record<string, unknown>>('DELETE', `/keys/${revoked.id}`);
    expect(after.status).toBe('revoked');
    await expectRefused(revoked.key, 401, 'key_revoked');
    // The refused request is still logged under the key and its user; an unknown key is not.
    const refusedRecords = gw.usage.filter((r) => r.errorCode === 'key_revoked');
    expect(refusedRecords.length).toBeGreaterThan(0);
    expect(refusedRecords.every((r) => r.keyId === revoked.id && r.userId === revoked.user_id)).toBe(true);
    expect(gw.usage.filter((r) => r.errorCode === 'invalid_api_key').every((r) => r.keyId === null)).toBe(
      true,
    );

    // Expiry is checked on every request; set it in the past directly (the API refuses past times).
    const expiring = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'expiring' });
    await gw.node.storage.keys.update(expiring.id, { expiresAt: Date.now() - 1_000 });
    await expectRefused(expiring.key, 401, 'key_expired');
    expect((await gw.adminJson<Record<string, unknown>>('GET', `/keys/${expiring.id}`)).status).toBe(
      'expired',
    );

    const disabled = await make({ enabled: false });
    await expectRefused(disabled, 403, 'key_disabled');

    await expectRefused(await make({ ip_allowlist: ['10.0.0.0/8', '2001:db8::/32'] }), 403, 'ip_not_allowed');
    expect((await gw.chat(await make({ ip_allowlist: ['127.0.0.1/32', '::1'] }), 'gpt-fake')).status).toBe(
      200,
    );

    const scoped = await make({ models: ['gpt-other'] });
    await expectRefused(scoped, 403, 'model_not_allowed', 'gpt-fake');
    expect((await gw.chat(scoped, 'gpt-other')).status).toBe(200);
  });

  it('applies PATCH on the next request: disable, enable, narrow the models', async () => {
    const key = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'patched' });
    expect((await gw.chat(key.key, 'gpt-fake')).status).toBe(200);
    await gw.adminJson('PATCH', `/keys/${key.id}`, { enabled: false });
    await expectRefused(key.key, 403, 'key_disabled');
    await gw.adminJson('PATCH', `/keys/${key.id}`, { enabled: true, models: ['gpt-other'] });
    await expectRefused(key.key, 403, 'model_not_allowed');
    expect((await gw.chat(key.key, 'gpt-other')).status).toBe(200);
    const res = await gw.admin('PATCH', `/keys/${key.id}`, { user_id: 'default' });
    expect(res.status).toBe(400);
  });

  it("trims the spaces pasted around a key's model names, which would otherwise refuse that model", async () => {
    const key = await gw.adminJson<CreatedKey & { models: string[] }>('POST', '/keys', {
      name: 'pasted-models',
      models: [' gpt-fake ', 'gpt-other\t'],
    });
    expect(key.models).toEqual(['gpt-fake', 'gpt-other']);
    expect((await gw.chat(key.key, 'gpt-fake')).status).toBe(200);
    const patched = await gw.adminJson<{ models: string[] }>('PATCH', `/keys/${key.id}`, {
      models: [' gpt-other'],
    });
    expect(patched.models).toEqual(['gpt-other']);
    expect((await gw.chat(key.key, 'gpt-other')).status).toBe(200);
    expect((await gw.admin('PATCH', `/keys/${key.id}`, { models: ['  '] })).status).toBe(400);
  });

  it('says a name two revoked keys share is ambiguous, not that no key has it', async () => {
    for (let i = 0; i < 2; i++) {
      const key = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'retired' });
      await gw.adminJson('DELETE', `/keys/${key.id}`);
    }
    const res = await gw.admin('GET', '/keys/retired');
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toContain('2 keys are named "retired"');
  });

  it('rotates: the new secret works at once for the same key, the old one is refused at once', async () => {
    const old = await gw.adminJson<CreatedKey>('POST', '/keys', {
      name: 'rotating',
      prefix: 'rk',
      models: ['gpt-fake'],
      limits: { rpm: 5 },
    });
    const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client(old.key).chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'a' }],
    });

    const rotated = await gw.adminJson<CreatedKey & { replaces: string }>('POST', `/keys/${old.id}/rotate`);
    expect(rotated.key).toMatch(/^rk-/);
    expect(rotated.key).not.toBe(old.key);
    // The same key, with a new secret: its id, settings and last use stay.
    expect(rotated).toMatchObject({
      id: old.id,
      replaces: old.id,
      name: 'rotating',
      key: rotated.key,
      models: ['gpt-fake'],
      limits: { rpm: 5 },
      user_id: old.user_id,
      status: 'active',
    });
    expect(rotated.last_used_at).not.toBeNull();
    const shown = await gw.adminJson<Record<string, unknown>>('GET', `/keys/${old.id}`);
    expect(shown.key).toBe(`rk-…${rotated.key.slice(-4)}`);

    const answer = await client(rotated.key).chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'b' }],
    });
    expect(answer.choices[0]?.message.content).toContain('fake answer');
    await expect(
      client(old.key).chat.completions.create({
        model: 'gpt-fake',
        messages: [{ role: 'user', content: 'c' }],
      }),
    ).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });

    // Rotated again, the secret before is refused too; a revoked key does not rotate.
    const again = await gw.adminJson<CreatedKey>('POST', `/keys/${old.id}/rotate`);
    expect((await gw.chat(again.key, 'gpt-fake')).status).toBe(200);
    expect((await gw.chat(rotated.key, 'gpt-fake')).status).toBe(401);
    await gw.adminJson('DELETE', `/keys/${old.id}`);
    expect((await gw.admin('POST', `/keys/${old.id}/rotate`)).status).toBe(409);
    expect((await gw.admin('POST', '/keys/nokey/rotate')).status).toBe(404);
  });

  it('binds a key to one channel', async () => {
    const key = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'bound', channel_id: 'other' });
    expect((await gw.chat(key.key, 'gpt-other')).status).toBe(200);
    const res = await gw.chat(key.key, 'gpt-fake');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('model_not_found');
  });

  it("sends a bring-your-own-key key's upstream key, never another tenant's, and never shows it", async () => {
    const byokSecret = 'byok-upstream-secret-abcdef123456';
    const own = await gw.adminJson<CreatedKey>('POST', '/keys', {
      name: 'byok',
      user_id: (await gw.adminJson<{ id: string }>('POST', '/users', { name: 'byok-tenant' })).id,
      byok: { provider: 'openai-compatible', key: byokSecret },
    });
    expect(JSON.stringify(own)).not.toContain(byokSecret);
    expect(own.byok).toEqual({ provider: 'openai-compatible', key: `byo…3456` });

    fake.requests.length = 0;
    expect((await gw.chat(own.key, 'gpt-fake')).status).toBe(200);
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${byokSecret}`);

    // Another tenant's key on the same channel still uses the channel's own key.
    expect((await gw.chat(gw.key, 'gpt-fake')).status).toBe(200);
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer upstream-shared-key-1');

    const shown = await (await gw.admin('GET', `/keys/${own.id}`)).text();
    expect(shown).not.toContain(byokSecret);
    const unknown = await gw.admin('POST', '/keys', { name: 'b', byok: { provider: 'nope', key: 'k' } });
    expect(unknown.status).toBe(400);
  });

  it('refuses a bring-your-own-key key no HTTP header can carry, as it refuses such a channel key', async () => {
    const secret = 'byok-pasted-with-newline-0123456789';
    for (const key of [`${secret}\n`, `${secret} `, 'byok-ключ-0123456789']) {
      const res = await gw.admin('POST', '/keys', {
        name: 'bad-byok',
        byok: { provider: 'openai-compatible', key },
      });
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect([error.code, error.param]).toEqual(['invalid_request', 'byok.key']);
      expect(error.message).not.toContain(secret);
    }
    const made = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'later-byok' });
    const patched = await gw.admin('PATCH', `/keys/${made.id}`, {
      byok: { provider: 'openai-compatible', key: `${secret}\r\n` },
    });
    expect(patched.status).toBe(400);
    expect((await errorOf(patched)).param).toBe('byok.key');
    expect((await gw.adminJson<{ byok: unknown }>('GET', `/keys/${made.id}`)).byok).toBeNull();
  });

  it('takes bring-your-own-key without SWITCHBOARD_SECRET_KEY: the gateway seals with its own key', async () => {
    const plain = await startTestGateway({}, { ADMIN_TOKEN });
    try {
      const res = await fetch(`${plain.url}/admin/api/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ name: 'b', byok: { provider: 'openai', key: 'sk-upstream-0123456789' } }),
      });
      expect(res.status).toBe(201);
      expect(await res.text()).not.toContain('sk-upstream-0123456789');
      const stored = (await plain.node.storage.keys.list()).find((k) => k.name === 'b');
      expect(stored?.byok?.sealedKey).toMatch(/^enc:v1:/);
    } finally {
      await plain.close();
    }
  });
});
