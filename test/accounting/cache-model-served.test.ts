import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, type CreatedKey, startAdminGateway } from '../admin/admin-helpers.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { startFakeUpstream } from './harness.js';

/** A cached answer is about a model: it is served only while the model is, to a key allowed it. */
describe('the response cache and the models served', () => {
  let fake: FakeUpstream;
  let gw: AdminGateway;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startAdminGateway({ cache: { enabled: true, backend: 'memory', ttl_seconds: 600 } });
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  const ask = (key: string, model: string) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        temperature: 0,
        messages: [{ role: 'user', content: 'what is served?' }],
      }),
    });
  async function outcome(res: Response): Promise<{ status: number; cache: string | null; code?: string }> {
    const body = (await res.json()) as { error?: { code: string } };
    await gw.node.drainDeferred();
    return {
      status: res.status,
      cache: res.headers.get('x-switchboard-cache'),
      ...(body.error ? { code: body.error.code } : {}),
    };
  }

  // A model taken off every channel was still answered from the cache until the entry expired,
  // where every other request for it was a 404.
  it('a model no channel serves any more is not answered from the cache', async () => {
    await gw.adminJson('POST', '/channels', {
      name: 'served',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      keys: ['served-key-123456'],
      models: ['model-gone'],
    });
    expect(await outcome(await ask(gw.key, 'model-gone'))).toMatchObject({ status: 200, cache: 'miss' });
    expect(await outcome(await ask(gw.key, 'model-gone'))).toMatchObject({ status: 200, cache: 'hit' });

    await gw.adminJson('PATCH', '/channels/served', { enabled: false });
    expect(await outcome(await ask(gw.key, 'model-gone'))).toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    await gw.adminJson('PATCH', '/channels/served', { enabled: true, models: ['model-other'] });
    expect(await outcome(await ask(gw.key, 'model-gone'))).toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('a key no longer allowed the model is refused, not answered from the cache', async () => {
    await gw.adminJson('POST', '/channels', {
      name: 'scoped',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      keys: ['scoped-key-123456'],
      models: ['model-kept', 'model-next'],
    });
    const created = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'scoped' });
    expect(await outcome(await ask(created.key, 'model-kept'))).toMatchObject({ status: 200, cache: 'miss' });
    expect(await outcome(await ask(created.key, 'model-kept'))).toMatchObject({ status: 200, cache: 'hit' });

    await gw.adminJson('PATCH', `/keys/${created.id}`, { models: ['model-next'] });
    expect(await outcome(await ask(created.key, 'model-kept'))).toMatchObject({
      status: 403,
      code: 'model_not_allowed',
    });
  });
});
