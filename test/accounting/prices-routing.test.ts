import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { chat, newRequestId, recordOf, startFakeUpstream } from './harness.js';

/** Which price a request is billed, and reserved, at when routing renames its model. */
const answer = (prompt: number, completion: number) => ({
  kind: 'status' as const,
  status: 200,
  body: {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'served',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  },
});

describe('prices of renamed models', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startTestGateway({
      channels: [
        // docs/providers.md's Azure example: the deployment name is not a model name.
        channel({
          name: 'azure',
          provider: 'azure',
          base_url: fake.url,
          keys: ['azure-key-0001'],
          models: ['gpt-4o'],
          model_map: { 'gpt-4o': 'my-gpt4o-deployment' },
        }),
        // $0.05 a token, priced on the channel only, under the name its models list uses.
        channel({
          name: 'priced',
          base_url: fake.baseUrl,
          keys: ['priced-key-0001'],
          models: ['house-model'],
          model_map: { 'house-model': 'vendor-7b-instruct' },
          prices: { 'house-model': { input: 50_000, output: 50_000 } },
        }),
      ],
      model_aliases: { fast: 'gpt-4o' },
      limits: { keys: { budget: 1.5 } },
      routing: { max_attempts: 1 },
      usage: { flush_interval_ms: 20 },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('a model served under a deployment name is billed at the model asked for, an alias too', async () => {
    for (const model of ['gpt-4o', 'fast']) {
      fake.enqueue(answer(100_000, 10_000));
      const id = newRequestId('azure-price');
      expect((await chat(gw, id, { model })).status).toBe(200);
      const record = await recordOf(gw, id);
      expect(record.modelServed).toBe('my-gpt4o-deployment');
      // 0.1M input at $2.5 + 0.01M output at $10 = $0.35 (the built-in gpt-4o price).
      expect(record.cost).toBeCloseTo(0.35, 9);
    }
  });

  it("a budget reserves a request at its channel's price, as the record is billed", async () => {
    // Each request costs $1.00 (10 + 10 tokens at $0.05); a fresh key's budget is $1.50.
    const { secret } = await createClientKey(gw.node.storage.keys, { name: 'budgeted' });
    fake.enqueue(answer(10, 10), answer(10, 10));
    const statuses: number[] = [];
    const costs: (number | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const id = newRequestId(`budget-${i}`);
      const res = await chat({ ...gw, key: secret }, id, {
        model: 'house-model',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
      });
      statuses.push(res.status);
      await res.text();
      costs.push((await recordOf(gw, id)).cost);
    }
    expect(costs[0]).toBeCloseTo(1, 9);
    expect(statuses).toEqual([200, 429]);
  });
});
