import { ApiError, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import type { TestGateway } from '../support/start-gateway.js';
import { startTranslationRig } from './setup.js';

let fake: FakeUpstream;
let gw: TestGateway;
let ai: GoogleGenAI;

beforeAll(async () => {
  ({ fake, gw } = await startTranslationRig());
  ai = new GoogleGenAI({ apiKey: gw.key, httpOptions: { baseUrl: gw.url } });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

/** A body with the spacing and field order a hand-written client might send. */
const ODD_BODY =
  '{ "contents" : [ {"role":"user", "parts":[ {"text":"hi there"} ]} ],\n  "generationConfig": {"temperature": 0.5, "someFutureField": [1,2]} }';

/** POSTs with the test key in x-goog-api-key, unless `headers` says otherwise. */
function post(path: string, body: string, headers?: Record<string, string>) {
  return fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(headers ?? { 'x-goog-api-key': gw.key }) },
    body,
  });
}

const sentBytes = () => Buffer.concat(fake.requests.at(-1)?.sent ?? []).toString('utf8');

interface GeminiError {
  error: { code: number; message: string; status: string; details: { requestId: string }[] };
}

describe('Gemini channel: native relay', () => {
  it('forwards the client body byte for byte and relays the answer byte for byte', async () => {
    const res = await post('/v1beta/models/gemini-2.5-flash:generateContent', ODD_BODY);
    expect(res.status).toBe(200);
    const text = await res.text();
    const upstream = fake.requests.at(-1);
    expect(upstream?.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(upstream?.body).toBe(ODD_BODY);
    expect(upstream?.headers['x-goog-api-key']).toBe('gm-key');
    expect(text).toBe(sentBytes());
    expect(gw.usage.at(-1)).toMatchObject({ channel: 'gm', status: 200, countSource: 'upstream' });
  });

  it('relays an alt=sse stream byte for byte', async () => {
    const res = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', ODD_BODY);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(fake.requests.at(-1)?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(fake.requests.at(-1)?.body).toBe(ODD_BODY);
    expect(text).toBe(sentBytes());
  });

  it('estimates the prompt of a Gemini body when the upstream reports no usage', async () => {
    const frame = {
      candidates: [{ content: { role: 'model', parts: [{ text: 'hello there' }] }, finishReason: 'STOP' }],
    };
    fake.enqueue({ kind: 'raw-sse', body: `data: ${JSON.stringify(frame)}\r\n\r\n` });
    const words = 'the quick brown fox jumps over the lazy dog '.repeat(20);
    const body = JSON.stringify({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [{ role: 'user', parts: [{ text: words }] }],
    });
    const res = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', body);
    expect(await res.text()).toContain('hello there');
    await waitFor(() => gw.usage.at(-1)?.countSource?.startsWith('estimated'), 'estimated record');
    expect(gw.usage.at(-1)?.usage?.promptTokens).toBeGreaterThan(150);
  });

  it('serves the SDK, through a model alias', async () => {
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({
      model: 'claude-haiku-4-5',
      contents: 'Hi',
    }))
      text += chunk.text ?? '';
    expect(text).toBe('fake answer from gemini-2.5-flash');
    expect(fake.requests.at(-1)?.path).toContain('/models/gemini-2.5-flash:streamGenerateContent');
  });
});

describe('streamGenerateContent without alt=sse: one JSON array', () => {
  it.each([
    ['deepseek-chat', 'OpenAI-compatible'],
    ['gemini-2.5-flash', 'Gemini'],
  ])('%s (%s channel)', async (model) => {
    const res = await post(`/v1beta/models/${model}:streamGenerateContent`, ODD_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const chunks = JSON.parse(await res.text()) as {
      candidates: { content: { parts: { text?: string }[] }; finishReason?: string }[];
      usageMetadata?: { totalTokenCount: number };
    }[];
    expect(Array.isArray(chunks)).toBe(true);
    const text = chunks.map((c) => c.candidates[0]?.content.parts.map((p) => p.text ?? '').join('')).join('');
    expect(text).toBe(`fake answer from ${model}`);
    expect(chunks.at(-1)?.candidates[0]?.finishReason).toBe('STOP');
    expect(chunks.at(-1)?.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
  });
});

describe('streamGenerateContent without alt=sse on a Gemini channel: relayed, framed as one JSON array', () => {
  const streamArray = (body: string) => post('/v1beta/models/gemini-2.5-flash:streamGenerateContent', body);
  const frames = (...chunks: unknown[]) => chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join('');

  it('sends the client body byte for byte: built-in tools, documents and Gemini-only settings reach Gemini', async () => {
    const body = JSON.stringify({
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Summarise this' },
            { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0xLjQK' } },
          ],
        },
      ],
      tools: [{ googleSearch: {} }],
      safetySettings: [{ category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_NONE' }],
      cachedContent: 'cachedContents/abc123',
      generationConfig: { responseModalities: ['TEXT'], thinkingConfig: { thinkingBudget: 0 } },
    });
    const res = await streamArray(body);
    expect(res.status).toBe(200);
    expect(fake.requests.at(-1)?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(fake.requests.at(-1)?.body).toBe(body);
    expect(JSON.parse(await res.text())).toBeInstanceOf(Array);
  });

  it('relays every chunk whole (safety ratings, grounding, citations) and records its usage exactly', async () => {
    const first = {
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'Paris ' }] },
          safetyRatings: [{ category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' }],
          index: 0,
        },
      ],
      modelVersion: 'gemini-2.5-flash',
    };
    const last = {
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'is the capital.' }] },
          finishReason: 'STOP',
          groundingMetadata: { webSearchQueries: ['capital of france'] },
          citationMetadata: { citations: [{ startIndex: 0, endIndex: 5, uri: 'https://example.com/paris' }] },
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: 12,
        candidatesTokenCount: 5,
        thoughtsTokenCount: 3,
        totalTokenCount: 20,
      },
      modelVersion: 'gemini-2.5-flash',
    };
    fake.enqueue({ kind: 'raw-sse', body: frames(first, last) });
    const before = gw.usage.length;
    const res = await streamArray(ODD_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(JSON.parse(await res.text())).toEqual([first, last]);
    await waitFor(() => gw.usage.length > before, 'the stream recorded');
    expect(gw.usage.at(-1)).toMatchObject({ channel: 'gm', status: 200, countSource: 'upstream' });
    expect(gw.usage.at(-1)?.usage).toMatchObject({ promptTokens: 12, totalTokens: 20 });
  });

  it('answers a prompt Gemini blocked with 200 and its block reason, as Gemini does', async () => {
    const blocked = {
      promptFeedback: { blockReason: 'PROHIBITED_CONTENT' },
      usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 },
    };
    fake.enqueue({ kind: 'raw-sse', body: frames(blocked) });
    const res = await streamArray(ODD_BODY);
    expect(res.status).toBe(200);
    expect(JSON.parse(await res.text())).toEqual([blocked]);
  });

  it('ends a stream the upstream breaks off with an error element, still one valid JSON array', async () => {
    fake.enqueue({ kind: 'drop', afterChunks: 2 });
    const before = gw.usage.length;
    const res = await streamArray(ODD_BODY);
    const chunks = JSON.parse(await res.text()) as Record<string, unknown>[];
    expect(chunks.length).toBe(3);
    expect(chunks[0]).toHaveProperty('candidates');
    expect(chunks.at(-1)).toMatchObject({ error: { code: 502, status: 'UNAVAILABLE' } });
    await waitFor(() => gw.usage.length > before, 'the broken stream recorded');
    expect(gw.usage.at(-1)?.status).toBe(502);
  });

  it('ends a stream the upstream closes before its finishReason the same way', async () => {
    const partial = {
      candidates: [{ content: { role: 'model', parts: [{ text: 'Paris ' }] }, index: 0 }],
      modelVersion: 'gemini-2.5-flash',
    };
    fake.enqueue({ kind: 'raw-sse', body: frames(partial) });
    const before = gw.usage.length;
    const res = await streamArray(ODD_BODY);
    const chunks = JSON.parse(await res.text()) as Record<string, unknown>[];
    expect(chunks[0]).toEqual(partial);
    expect(chunks.at(-1)).toMatchObject({ error: { code: 502, status: 'UNAVAILABLE' } });
    await waitFor(() => gw.usage.length > before, 'the cut stream recorded');
    expect(gw.usage.at(-1)?.status).toBe(502);
  });
});

describe('Gemini channel usage: content a built-in tool fetched is prompt', () => {
  // urlContext / googleSearch results: counted in totalTokenCount and billed as input.
  const answer = {
    candidates: [{ content: { role: 'model', parts: [{ text: 'hi' }] }, finishReason: 'STOP' }],
    usageMetadata: {
      promptTokenCount: 30,
      candidatesTokenCount: 9,
      toolUsePromptTokenCount: 500,
      totalTokenCount: 539,
    },
  };

  it('is recorded for a native call', async () => {
    fake.enqueue({ kind: 'status', status: 200, body: answer });
    const before = gw.usage.length;
    const res = await post(
      '/v1beta/models/gemini-2.5-flash:generateContent',
      JSON.stringify({
        contents: [{ role: 'user', parts: [{ text: 'Read https://example.com' }] }],
        tools: [{ urlContext: {} }],
      }),
    );
    expect(res.status).toBe(200);
    await waitFor(() => gw.usage.length > before, 'the call recorded');
    expect(gw.usage.at(-1)?.usage).toMatchObject({
      promptTokens: 530,
      completionTokens: 9,
      totalTokens: 539,
    });
  });

  it('is reported and recorded for a translated call (an OpenAI client)', async () => {
    fake.enqueue({ kind: 'status', status: 200, body: answer });
    const before = gw.usage.length;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.key}` },
      body: JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(((await res.json()) as { usage: unknown }).usage).toMatchObject({
      prompt_tokens: 530,
      completion_tokens: 9,
      total_tokens: 539,
    });
    await waitFor(() => gw.usage.length > before, 'the call recorded');
    expect(gw.usage.at(-1)?.usage).toMatchObject({ promptTokens: 530, totalTokens: 539 });
  });
});

describe('mount points and model listing', () => {
  it('answers under /v1 too (the SDK with apiVersion "v1")', async () => {
    const v1 = new GoogleGenAI({ apiKey: gw.key, httpOptions: { baseUrl: gw.url, apiVersion: 'v1' } });
    const response = await v1.models.generateContent({ model: 'deepseek-chat', contents: 'Hi' });
    expect(response.text).toBe('fake answer from deepseek-chat');
  });

  it('is found from the environment Gemini CLI passes on: GOOGLE_GEMINI_BASE_URL and GEMINI_API_KEY', async () => {
    const saved = { base: process.env.GOOGLE_GEMINI_BASE_URL, key: process.env.GEMINI_API_KEY };
    process.env.GOOGLE_GEMINI_BASE_URL = gw.url;
    process.env.GEMINI_API_KEY = gw.key;
    try {
      const fromEnv = new GoogleGenAI({});
      const response = await fromEnv.models.generateContent({ model: 'deepseek-chat', contents: 'Hi' });
      expect(response.text).toBe('fake answer from deepseek-chat');
    } finally {
      for (const [name, value] of [
        ['GOOGLE_GEMINI_BASE_URL', saved.base],
        ['GEMINI_API_KEY', saved.key],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('lists models in Gemini’s shape, and gets one', async () => {
    const names: string[] = [];
    for await (const m of await ai.models.list()) names.push(m.name ?? '');
    expect(names).toEqual(expect.arrayContaining(['models/deepseek-chat', 'models/gemini-2.5-flash']));
    const one = await ai.models.get({ model: 'deepseek-chat' });
    expect(one).toMatchObject({ name: 'models/deepseek-chat', supportedActions: expect.any(Array) });
    const res = await fetch(`${gw.url}/v1beta/models/no-such-model?key=${gw.key}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as GeminiError).error.status).toBe('NOT_FOUND');
  });

  it('gets a model_aliases name, as a call to it would be served', async () => {
    expect(await ai.models.get({ model: 'claude-haiku-4-5' })).toMatchObject({
      name: 'models/claude-haiku-4-5',
    });
  });
});

describe('errors in Gemini’s shape', () => {
  const expectError = async (res: Response, code: number, status: string, mentions: string) => {
    expect(res.status).toBe(code);
    const body = (await res.json()) as GeminiError;
    expect(body.error).toMatchObject({ code, status });
    expect(body.error.message).toContain(mentions);
    expect(body.error.details[0]?.requestId).toBe(res.headers.get('x-request-id'));
  };

  it('names the field of a bad request', async () => {
    const url = '/v1beta/models/deepseek-chat:generateContent';
    await expectError(await post(url, '{}'), 400, 'INVALID_ARGUMENT', 'contents');
    await expectError(
      await post(url, '{"contents":[{"role":"user"}]}'),
      400,
      'INVALID_ARGUMENT',
      'contents[0].parts',
    );
    await expectError(await post(url, '{"contents": ['), 400, 'INVALID_ARGUMENT', 'JSON');
    const hi = '"contents":[{"role":"user","parts":[{"text":"hi"}]}]';
    await expectError(
      await post(url, `{${hi},"generationConfig":{"candidateCount":2}}`),
      400,
      'INVALID_ARGUMENT',
      'generationConfig.candidateCount',
    );
    await expectError(
      await post(url, `{${hi},"generationConfig":{"temperature":"hot"}}`),
      400,
      'INVALID_ARGUMENT',
      'generationConfig.temperature',
    );
    await expectError(
      await post(url, `{${hi},"tools":[{"googleSearch":{}}]}`),
      400,
      'INVALID_ARGUMENT',
      'tools[0].googleSearch',
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('takes null for an optional field, as Gemini does (proto JSON: null is the field unset)', async () => {
    const body = JSON.stringify({
      contents: [{ role: null, parts: [{ text: 'hi' }] }],
      systemInstruction: null,
      generationConfig: null,
      toolConfig: null,
      tools: null,
      safetySettings: null,
    });
    for (const model of ['deepseek-chat', 'gemini-2.5-flash']) {
      const res = await post(`/v1beta/models/${model}:generateContent`, body);
      expect(res.status).toBe(200);
    }
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/v1/chat/completions',
      '/v1beta/models/gemini-2.5-flash:generateContent',
    ]);
    expect(fake.requests[0]?.json).toMatchObject({ messages: [{ role: 'user', content: 'hi' }] });
    expect(fake.requests[1]?.body).toBe(body);
  });

  it('refuses a wrong or missing key with 401 UNAUTHENTICATED', async () => {
    const url = '/v1beta/models/deepseek-chat:generateContent';
    const body = '{"contents":[{"parts":[{"text":"hi"}]}]}';
    await expectError(await post(url, body, { 'x-goog-api-key': 'sk-wrong' }), 401, 'UNAUTHENTICATED', 'key');
    await expectError(await post(`${url}?key=sk-wrong`, body, {}), 401, 'UNAUTHENTICATED', 'key');
    await expectError(await post(url, body, {}), 401, 'UNAUTHENTICATED', 'x-goog-api-key');
    const wrong = new GoogleGenAI({ apiKey: 'sk-wrong', httpOptions: { baseUrl: gw.url } });
    const failed = await wrong.models
      .generateContent({ model: 'deepseek-chat', contents: 'hi' })
      .catch((e) => e);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).status).toBe(401);
  });

  it('accepts the key in ?key=', async () => {
    const res = await post(`/v1beta/models/deepseek-chat:generateContent?key=${gw.key}`, ODD_BODY, {});
    expect(res.status).toBe(200);
  });

  it('applies the key’s model scope: 403 PERMISSION_DENIED', async () => {
    const { secret } = await createClientKey(gw.node.storage.keys, {
      name: 'scoped',
      models: ['deepseek-chat'],
    });
    const url = '/v1beta/models/claude-native:generateContent';
    await expectError(
      await post(url, ODD_BODY, { 'x-goog-api-key': secret }),
      403,
      'PERMISSION_DENIED',
      'claude-native',
    );
    const ok = await post('/v1beta/models/deepseek-chat:generateContent', ODD_BODY, {
      'x-goog-api-key': secret,
    });
    expect(ok.status).toBe(200);
  });

  it('re-shapes an upstream error and an unknown model', async () => {
    fake.enqueue({ kind: 'status', status: 400, body: { error: { message: 'bad thing', type: 'x' } } });
    await expectError(
      await post('/v1beta/models/deepseek-chat:generateContent', ODD_BODY),
      400,
      'INVALID_ARGUMENT',
      'bad thing',
    );
    const res = await post('/v1beta/models/no-such-model:generateContent', ODD_BODY);
    expect(res.status).toBe(404);
    expect(((await res.json()) as GeminiError).error.status).toBe('NOT_FOUND');
  });

  it('answers countTokens for an unknown model with 404 NOT_FOUND, as generateContent', async () => {
    const res = await post('/v1beta/models/no-such-model:countTokens', ODD_BODY);
    expect(res.status).toBe(404);
    expect(((await res.json()) as GeminiError).error.status).toBe('NOT_FOUND');
  });

  it('answers an unknown method or path under /v1beta with a Gemini-shaped 404', async () => {
    await expectError(
      await post('/v1beta/models/deepseek-chat:embedContent', ODD_BODY),
      404,
      'NOT_FOUND',
      'embedContent',
    );
    await expectError(await post('/v1beta/files', '{}'), 404, 'NOT_FOUND', '/v1beta/files');
  });

  it('leaves a method it does not serve under /v1 to the pass-through, as any other path there', async () => {
    // The pass-through's own answer (OpenAI's envelope): no channel forwards this path.
    const res = await post('/v1/models/gemini-2.5-flash:embedContent', '{"model":"gemini-2.5-flash"}', {
      authorization: `Bearer ${gw.key}`,
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'route_not_found' },
    });
    // Nor does the pass-through take the Gemini doors' key sources (`?key=`).
    const keyInQuery = await post(`/v1/models/gemini-2.5-flash:embedContent?key=${gw.key}`, '{}', {});
    expect(keyInQuery.status).toBe(401);
    expect(await keyInQuery.json()).toMatchObject({ error: { code: 'missing_api_key' } });
    expect(fake.requests).toHaveLength(0);
  });

  it('passes a Gemini upstream’s own error through unchanged', async () => {
    const upstreamError = {
      error: { code: 400, message: 'Unknown name "someFutureField"', status: 'INVALID_ARGUMENT' },
    };
    fake.enqueue({ kind: 'status', status: 400, body: upstreamError });
    const res = await post('/v1beta/models/gemini-2.5-flash:generateContent', ODD_BODY);
    expect(res.status).toBe(400);
    expect((await res.json()) as unknown).toMatchObject(upstreamError);
  });
});
