import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { createMemoryCacheStore } from '../../src/storage/memory/memory-response-cache.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { newRequestId, startFakeUpstream } from './harness.js';

/**
 * Two gateways on one shared response cache (as instances on one Redis cache, or one gateway
 * before and after its `model_aliases` changed), where the alias `fast` names another model.
 */
describe('the response cache and model aliases', () => {
  let fake: FakeUpstream;
  const gateways: TestGateway[] = [];
  const keys: string[] = [];
  const cacheStore = createMemoryCacheStore({ maxEntries: 100, maxBytes: 1 << 20 });

  beforeAll(async () => {
    fake = await startFakeUpstream();
    for (const target of ['model-a', 'model-b']) {
      const gw = await startTestGateway(
        {
          channels: [
            channel({ name: 'fake', base_url: fake.baseUrl, keys: ['up'], models: ['model-a', 'model-b'] }),
          ],
          model_aliases: { fast: target },
          cache: { enabled: true, backend: 'memory', ttl_seconds: 600 },
        },
        {},
        { cacheStore },
      );
      gateways.push(gw);
      // One user on both: the cache is shared between the keys of a user.
      const now = Date.now();
      await gw.node.storage.users.create({
        id: 'team-x',
        name: 'team-x',
        email: null,
        notes: null,
        enabled: true,
        createdAt: now,
        updatedAt: now,
      });
      keys.push((await createClientKey(gw.node.storage.keys, { name: 'k', userId: 'team-x' })).secret);
    }
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await fake.close();
  });

  const ask = async (index: number, model: string) => {
    const res = await fetch(`${gateways[index]?.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys[index]}`,
        'content-type': 'application/json',
        'x-request-id': newRequestId('alias'),
      },
      body: JSON.stringify({ model, temperature: 0, messages: [{ role: 'user', content: 'same question' }] }),
    });
    await res.text();
    return res.headers.get('x-switchboard-cache');
  };

  it('does not answer an alias from what another model answered under it', async () => {
    expect(await ask(0, 'fast')).toBe('miss');
    // The same model under the same alias: a hit, so the two gateways do share the cache.
    expect(await ask(0, 'fast')).toBe('hit');
    expect(fake.requests.map((r) => r.json?.model)).toEqual(['model-a']);

    // `fast` now means model-b: its answer must come from model-b.
    expect(await ask(1, 'fast')).toBe('miss');
    expect(fake.requests.map((r) => r.json?.model)).toEqual(['model-a', 'model-b']);
    // Naming the model the alias routes to is the same request as the alias.
    expect(await ask(1, 'model-b')).toBe('hit');
  });
});
