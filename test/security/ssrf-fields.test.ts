import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf, postJson } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { type Canary, startCanary } from './canary.js';

// Client-controlled model names, headers and body fields never choose where a request goes.
let fake: FakeUpstream;
let canary: Canary;
let gw: TestGateway;
/** One Gemini channel that takes any model: the model name becomes part of the upstream path. */
let anyModel: TestGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  canary = await startCanary();
  gw = await startTestGateway({
    channels: [
      channel({ name: 'openai', base_url: fake.baseUrl, keys: ['up-openai'], models: ['gpt-fake'] }),
    ],
  });
  anyModel = await startTestGateway({
    routing: { max_attempts: 1 },
    channels: [channel({ name: 'gemini', provider: 'gemini', base_url: fake.baseUrl, keys: ['up-gemini'] })],
  });
});
afterEach(() => {
  fake.reset();
  canary.requests.length = 0;
});
afterAll(async () => {
  await gw?.close();
  await anyModel?.close();
  await fake?.close();
  await canary?.close();
});

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});
const outsideBase = () => fake.requests.filter((r) => !r.path.startsWith('/v1/'));

describe('model names', () => {
  // 400: no upstream URL can be built for the name (or, with control characters, it is refused as
  // a model name before routing); that is the client's request, not an upstream failure, so
  // nothing is sent and health is untouched.
  const MODELS: [string, number][] = [
    ['../../internal', 400],
    ['..\\..\\internal', 400],
    ['models/../../internal', 400],
    ['http://CANARY/x', 400],
    ['//CANARY/x', 400],
    ['%2e%2e/%2e%2e/internal', 400],
    ['x\r\nHost: CANARY', 400],
    ['..', 200],
    ['@CANARY', 200],
  ];
  for (const [template, status] of MODELS) {
    it(`${JSON.stringify(template)} in the URL of a Gemini channel: ${status}, never outside /v1/`, async () => {
      const model = template.replace('CANARY', canary.host);
      const res = await postJson(anyModel, '/v1/chat/completions', chat(model));
      expect(res.status).toBe(status);
      if (status === 400)
        expect((await errorOf(res)).message).toMatch(
          /the request path has|must not contain control characters/,
        );
      expect(outsideBase()).toEqual([]);
      expect(canary.requests).toHaveLength(0);
    });
  }

  it('a URL as the model of an OpenAI channel is just an unknown model', async () => {
    const res = await postJson(gw, '/v1/chat/completions', chat(`http://${canary.host}/v1`));
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('model_not_found');
    expect(fake.requests).toHaveLength(0);
    expect(canary.requests).toHaveLength(0);
  });
});

describe('headers', () => {
  const HEADERS = [
    'host',
    'x-forwarded-host',
    'x-forwarded-for',
    'x-forwarded-proto',
    'forwarded',
    'x-original-url',
    'x-rewrite-url',
    'x-real-ip',
    'x-host',
    'x-http-destination-url',
    'x-base-url',
  ];
  for (const name of HEADERS) {
    it(`${name} pointing at the canary does not move the request`, async () => {
      const value =
        name === 'forwarded' ? `host=${canary.host}` : name.endsWith('url') ? `${canary.url}/x` : canary.host;
      const res = await postJson(gw, '/v1/chat/completions', chat('gpt-fake'), { [name]: value });
      expect(res.status).toBe(200);
      expect(fake.requests.map((r) => r.path)).toEqual(['/v1/chat/completions']);
      expect(canary.requests).toHaveLength(0);
    });
  }
});

describe('body fields', () => {
  const FIELDS = ['base_url', 'url', 'api_base', 'baseURL', 'endpoint', 'upstream', 'host', 'proxy'];
  it('chat: URL-looking fields are forwarded as data, not followed', async () => {
    const extra = Object.fromEntries(FIELDS.map((field) => [field, `${canary.url}/x`]));
    const res = await postJson(gw, '/v1/chat/completions', chat('gpt-fake', extra));
    expect(res.status).toBe(200);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/chat/completions']);
    expect(canary.requests).toHaveLength(0);
  });

  it('pass-through: a canary URL as the model and in the body goes to the channel, not the canary', async () => {
    const res = await postJson(gw, '/v1/audio/speech', {
      model: `http://${canary.host}/v1`,
      url: `${canary.url}/x`,
      input: 'hi',
    });
    // Routed by model: an unknown model is refused before any upstream is chosen.
    expect(res.status).toBe(404);
    expect(canary.requests).toHaveLength(0);
    const routed = await postJson(gw, '/v1/audio/speech', { model: 'gpt-fake', url: `${canary.url}/x` });
    expect(routed.status).toBe(200);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/audio/speech']);
    expect(canary.requests).toHaveLength(0);
  });
});
