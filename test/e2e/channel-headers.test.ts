import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * A channel's `headers` as an operator writes them (`Anthropic-Version`, `X-Title`): header
 * names are case-insensitive, so one the gateway also sets is replaced, not sent twice (which
 * fetch joins into one value, `2023-06-01, 2023-01-01`, that the upstream refuses).
 */
describe('channel headers named like the gateway’s own', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startTestGateway({
      app: { name: 'Switchboard' },
      channels: [
        channel({
          name: 'claude',
          provider: 'anthropic',
          base_url: fake.baseUrl,
          keys: ['an-key'],
          models: ['claude-x'],
          headers: { 'Anthropic-Version': '2023-01-01' },
        }),
        channel({
          name: 'router',
          provider: 'openrouter',
          base_url: fake.baseUrl,
          keys: ['or-key'],
          models: ['router-model'],
          headers: { 'X-Title': 'Team Search', 'Content-Type': 'application/json' },
        }),
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  const ask = async (model: string) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const received = fake.requests.at(-1);
    if (!received) throw new Error('the upstream received nothing');
    return received.headers;
  };

  it('sends the channel’s value instead of the default, once', async () => {
    expect((await ask('claude-x'))['anthropic-version']).toBe('2023-01-01');
    const router = await ask('router-model');
    expect(router['x-title']).toBe('Team Search');
    expect(router['content-type']).toBe('application/json');
    expect(router.authorization).toBe('Bearer or-key');
  });
});
