import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayUnderTest, startGateway } from '../support/start-any-gateway.js';

// With no channels configured the gateway serves the built-in mock provider: what a user gets
// from `npm start` on a fresh machine.
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;
let client: OpenAI;

beforeAll(async () => {
  gw = await startGateway();
  client = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
});

describe('the built-in mock provider, out of the box', () => {
  it('lists the demo models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(['mock-1', 'mock-embedding']);
  });

  it('answers a chat completion deterministically', async () => {
    const ask = () =>
      client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: 'ping' }] });
    const [a, b] = [await ask(), await ask()];
    expect(a.choices[0]?.message.content).toBe(`Hello from Switchboard's mock provider. You said: "ping"`);
    expect(b).toEqual(a);
    expect(a.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('streams the same text the non-stream answer has', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock-1',
      messages: [{ role: 'user', content: 'ping' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(`Hello from Switchboard's mock provider. You said: "ping"`);
  });

  it('embeds with the openai client default (base64) and with float encoding alike', async () => {
    const float = await client.embeddings.create({
      model: 'mock-embedding',
      input: 'hello',
      encoding_format: 'float',
    });
    const vector = float.data[0]?.embedding ?? [];
    expect(vector).toHaveLength(8);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 4);
    const base64 = await client.embeddings.create({ model: 'mock-embedding', input: 'hello' });
    expect(base64.data[0]?.embedding).toEqual(vector.map(Math.fround));
  });

  it('answers a legacy completion', async () => {
    const res = await client.completions.create({ model: 'mock-1', prompt: 'ping' });
    expect(res.choices[0]?.text).toContain('ping');
  });

  it('answers POST /chat without a model, since the mock is all there is', async () => {
    const res = await fetch(`${gw.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: gw.key, prompt: 'ping' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      success: boolean;
      data: { model: string; choices: { message: { content: string } }[] };
    };
    expect(body.success).toBe(true);
    expect(body.data.model).toBe('mock-1');
    expect(body.data.choices[0]?.message.content).toContain('ping');
  });
});
