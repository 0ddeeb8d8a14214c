import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { type GatewayUnderTest, startGateway } from '../support/start-any-gateway.js';
import { channel } from '../support/start-gateway.js';

let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startGateway({
    channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['up-1'], models: ['gpt-fake'] })],
  });
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

describe('smoke', () => {
  it('answers a chat completion through the openai client', async () => {
    const client = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1` });
    const res = await client.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.choices[0]?.message.content).toBe('fake answer from gpt-fake');
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer up-1');
  });

  it('runs on the runtime GATEWAY_RUNTIME asked for (npm run test:workers must reach the Worker)', async () => {
    // A user-visible difference: Node serves Prometheus /metrics behind the admin token; a Worker
    // has none (docs/workers.md). A Worker run that quietly fell back to Node fails here.
    const metrics = await fetch(`${gw.url}/metrics`);
    expect(metrics.status).toBe(process.env.GATEWAY_RUNTIME === 'workers' ? 404 : 401);
  });
});
