import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { newRequestId, recordOf } from './harness.js';

/**
 * One OpenAI-format upstream answer that reports prompt-cache writes
 * (`prompt_tokens_details.cache_write_tokens`, which the gateway's own OpenAI codec reads and
 * writes), priced through a channel override. The same answer must cost the same whichever front
 * door the client used.
 */
let fake: FakeUpstream;
let gw: TestGateway;
const BODY = {
  id: 'chatcmpl-x',
  object: 'chat.completion',
  created: 0,
  model: 'my-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: {
    prompt_tokens: 1000,
    completion_tokens: 10,
    total_tokens: 1010,
    prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 900 },
  },
};
beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    channels: [
      {
        ...channel({
          name: 'or',
          provider: 'openai',
          base_url: fake.baseUrl,
          keys: ['sk-or-1'],
          models: ['my-model'],
        }),
        prices: { 'my-model': { input: 1, output: 2, cache_write: 10, currency: 'USD' } },
      },
    ],
    routing: { max_attempts: 1 },
    usage: { flush_interval_ms: 20 },
  });
});
afterAll(async () => {
  await gw.close();
  await fake.close();
});

describe('OpenAI-format cache writes', () => {
  it('are priced the same on /v1/chat/completions (relayed) as on /v1/messages (translated)', async () => {
    fake.enqueue({ kind: 'status', status: 200, body: BODY });
    const a = newRequestId('cw-chat');
    const r1 = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'x-request-id': a },
      body: JSON.stringify({ model: 'my-model', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r1.status).toBe(200);
    await r1.text();
    fake.enqueue({ kind: 'status', status: 200, body: BODY });
    const b = newRequestId('cw-msg');
    const r2 = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gw.key, 'content-type': 'application/json', 'x-request-id': b },
      body: JSON.stringify({
        model: 'my-model',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(r2.status).toBe(200);
    await r2.text();
    const chat = await recordOf(gw, a);
    const msg = await recordOf(gw, b);
    // 100 fresh x 1 + 900 written x 10 + 10 out x 2 = 9,120 per 1M
    expect(msg.cost).toBeCloseTo(0.00912, 9);
    expect(chat.usage?.cacheWriteTokens).toBe(900);
    expect(chat.cost).toBeCloseTo(0.00912, 9);
  });
});
