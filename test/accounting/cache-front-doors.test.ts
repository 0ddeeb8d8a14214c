import { describe, expect, it } from 'vitest';
import { useCacheGateway } from './cache-front-door-gateway.js';

/** The response cache seen from the Anthropic and Gemini front doors: what is part of the key, what is cached at all. */
const cache = useCacheGateway();
const { cacheHeader } = cache;

describe('/v1/messages: the Anthropic headers forwarded upstream are part of the key', () => {
  const send = (content: string, extra: Record<string, string>) =>
    fetch(`${cache.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': cache.gw.key, 'content-type': 'application/json', ...extra },
      body: JSON.stringify({
        model: 'claude-native',
        max_tokens: 64,
        temperature: 0,
        messages: [{ role: 'user', content }],
      }),
    });

  it('an answer made without a beta is not replayed to a request that asks for one', async () => {
    expect(await cacheHeader(await send('beta and the cache', {}))).toBe('miss');
    const beta = await send('beta and the cache', { 'anthropic-beta': 'interleaved-thinking-2025-05-14' });
    expect(await cacheHeader(beta)).toBe('miss');
    expect(cache.fake.requests.map((r) => r.headers['anthropic-beta'])).toEqual([
      undefined,
      'interleaved-thinking-2025-05-14',
    ]);
    const version = await send('beta and the cache', { 'anthropic-version': '2023-01-01' });
    expect(await cacheHeader(version)).toBe('miss');
    expect(cache.fake.requests).toHaveLength(3);
  });

  it('the same betas, in any order, share the entry', async () => {
    const first = await send('two betas', { 'anthropic-beta': 'a-2025-01-01,b-2025-02-02' });
    expect(await cacheHeader(first)).toBe('miss');
    const again = await send('two betas', { 'anthropic-beta': 'b-2025-02-02, a-2025-01-01' });
    expect(await cacheHeader(again)).toBe('hit');
    expect(cache.fake.requests).toHaveLength(1);
  });
});

describe('Gemini: the temperature lives in generationConfig', () => {
  const send = (text: string, body: Record<string, unknown>) =>
    fetch(`${cache.gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': cache.gw.key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text }] }], ...body }),
    });

  it('a deterministic request (generationConfig.temperature 0) is cached', async () => {
    const body = { generationConfig: { temperature: 0 } };
    expect(await cacheHeader(await send('gemini and the cache', body))).toBe('miss');
    expect(await cacheHeader(await send('gemini and the cache', body))).toBe('hit');
    expect(cache.fake.requests).toHaveLength(1);
  });

  it('a sampled one is not, whatever a stray top-level temperature says', async () => {
    const body = { temperature: 0, generationConfig: { temperature: 1.5 } };
    expect(await cacheHeader(await send('sampled gemini', body))).toBe('bypass');
    expect(await cacheHeader(await send('sampled gemini', body))).toBe('bypass');
    expect(cache.fake.requests).toHaveLength(2);
  });
});

// A web search, a page fetched, code run upstream: the answer is of the moment. At temperature 0
// it was cached like any other, and a repeat got yesterday's search for the whole TTL.
describe('a request whose tools run upstream (web search, code, MCP) is not cached', () => {
  const asked = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${cache.gw.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cache.gw.key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const claude = (extra: Record<string, unknown>) => ({
    model: 'claude-native',
    max_tokens: 64,
    temperature: 0,
    messages: [{ role: 'user', content: `news today ${JSON.stringify(extra)}` }],
    ...extra,
  });
  const gemini = (tool: Record<string, unknown>) => ({
    contents: [{ role: 'user', parts: [{ text: `news today ${JSON.stringify(tool)}` }] }],
    generationConfig: { temperature: 0 },
    tools: [tool],
  });
  const cases: [string, string, Record<string, unknown>][] = [
    [
      'OpenAI web_search_options',
      '/v1/chat/completions',
      {
        model: 'gpt-4o',
        temperature: 0,
        web_search_options: {},
        messages: [{ role: 'user', content: 'news today' }],
      },
    ],
    [
      'an OpenAI hosted web_search tool',
      '/v1/chat/completions',
      {
        model: 'gpt-4o',
        temperature: 0,
        tools: [{ type: 'web_search_preview' }],
        messages: [{ role: 'user', content: 'news today, hosted' }],
      },
    ],
    [
      'an Anthropic web search server tool',
      '/v1/messages',
      claude({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] }),
    ],
    [
      'an Anthropic code execution server tool',
      '/v1/messages',
      claude({ tools: [{ type: 'code_execution_20250522', name: 'code_execution' }] }),
    ],
    [
      'Anthropic MCP servers',
      '/v1/messages',
      claude({ mcp_servers: [{ type: 'url', url: 'https://mcp.example/sse', name: 'ex' }] }),
    ],
    ['Gemini googleSearch', '/v1beta/models/gemini-2.5-flash:generateContent', gemini({ googleSearch: {} })],
    [
      'Gemini codeExecution',
      '/v1beta/models/gemini-2.5-flash:generateContent',
      gemini({ codeExecution: {} }),
    ],
    ['Gemini url_context', '/v1beta/models/gemini-2.5-flash:generateContent', gemini({ url_context: {} })],
  ];

  it.each(cases)('%s: every repeat goes upstream', async (_name, path, body) => {
    expect(await cacheHeader(await asked(path, body))).toBe('bypass');
    expect(await cacheHeader(await asked(path, body))).toBe('bypass');
    expect(cache.fake.requests).toHaveLength(2);
  });

  it('unless the client asks for it (x-switchboard-cache: on)', async () => {
    const body = claude({ tools: [{ type: 'web_fetch_20250910', name: 'web_fetch' }] });
    const optIn = { 'x-switchboard-cache': 'on' };
    expect(await cacheHeader(await asked('/v1/messages', body, optIn))).toBe('miss');
    expect(await cacheHeader(await asked('/v1/messages', body, optIn))).toBe('hit');
    expect(cache.fake.requests).toHaveLength(1);
  });

  it('tools the client runs do not keep an answer out', async () => {
    const body = claude({
      tools: [
        { name: 'lookup', input_schema: { type: 'object' } },
        { type: 'bash_20250124', name: 'bash' },
      ],
    });
    expect(await cacheHeader(await asked('/v1/messages', body))).toBe('miss');
    expect(await cacheHeader(await asked('/v1/messages', body))).toBe('hit');
    expect(cache.fake.requests).toHaveLength(1);
  });
});
