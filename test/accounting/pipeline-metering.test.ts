import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { RESPONSES_USAGE } from '../fake-upstream/responses-format.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { errorOf, sseData } from '../support/http.js';
import type { TestGateway } from '../support/start-gateway.js';
import { newRequestId, recordOf, startAccountingGateway, startFakeUpstream } from './harness.js';

function post(
  gw: Pick<TestGateway, 'url' | 'key'>,
  path: string,
  requestId: string,
  body: Record<string, unknown>,
): Promise<Response> {
  return fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${gw.key}`,
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
    body: JSON.stringify(body),
  });
}

const UPSTREAM_COUNTS = {
  promptTokens: RESPONSES_USAGE.input_tokens,
  completionTokens: RESPONSES_USAGE.output_tokens,
  totalTokens: RESPONSES_USAGE.total_tokens,
  cachedTokens: RESPONSES_USAGE.input_tokens_details.cached_tokens,
  reasoningTokens: RESPONSES_USAGE.output_tokens_details.reasoning_tokens,
};

describe('every path is metered', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startAccountingGateway(fake, { cache: { enabled: true, ttl_seconds: 600 } });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  for (const stream of [false, true]) {
    it(`a ${stream ? 'streamed' : 'JSON'} /v1/responses native relay is recorded with the upstream's counts`, async () => {
      const id = newRequestId(`responses-${stream}`);
      const res = await post(gw, '/v1/responses', id, { model: 'gpt-4o-mini', input: 'Say hi.', stream });
      expect(res.status).toBe(200);
      const text = await res.text();
      if (stream) expect(sseData(text).some((d) => d.includes('"response.completed"'))).toBe(true);
      else expect(JSON.parse(text).usage.input_tokens).toBe(RESPONSES_USAGE.input_tokens);
      const record = await recordOf(gw, id);
      expect(record.operation).toBe('chat');
      expect(record.stream).toBe(stream);
      expect(record.countSource).toBe('upstream');
      expect(record.usage).toEqual(UPSTREAM_COUNTS);
      expect(record.cost).toBeGreaterThan(0);
    });
  }

  it('a pass-through answer without usage is estimated from the bytes seen', async () => {
    const id = newRequestId('passthrough-estimate');
    const res = await post(gw, '/v1/moderations', id, {
      model: 'gpt-4o-mini',
      input: 'Is this fine to say?',
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const record = await recordOf(gw, id);
    // Estimated: by the tokenizer once loaded, by the heuristic while it loads on first use.
    expect(['estimated', 'estimated-heuristic']).toContain(record.countSource);
    expect(record.usage?.promptTokens).toBeGreaterThan(0);
    expect(record.usage?.completionTokens).toBeGreaterThan(0);
  });

  // An account-resource call (a listing, a GET, a DELETE, a batch) has no model generate anything:
  // its answer is not output tokens. It was once estimated as such (a `GET /v1/files` listing
  // recorded thousands of completion tokens), which spent the key's tpm and budget.
  it('a key with a small tpm lists its files again and again: no tokens are estimated for it', async () => {
    const listing = {
      object: 'list',
      data: Array.from({ length: 60 }, (_, i) => ({
        id: `file-${i}abcdefghijklmnop`,
        object: 'file',
        bytes: 1_000 + i,
        created_at: 1_700_000_000 + i,
        filename: `training-data-part-${i}.jsonl`,
        purpose: 'fine-tune',
      })),
    };
    const key = (await createClientKey(gw.node.storage.keys, { name: 'file-lister', limits: { tpm: 300 } }))
      .secret;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      fake.enqueue({ kind: 'status', status: 200, body: listing });
      const id = newRequestId('files-list');
      ids.push(id);
      const res = await fetch(`${gw.url}/v1/files`, {
        headers: { authorization: `Bearer ${key}`, 'x-request-id': id },
      });
      expect(res.status).toBe(200);
      expect((await res.json()).data).toHaveLength(60);
      // Settled before the next call, which is admitted against what this one spent.
      await recordOf(gw, id);
    }
    for (const id of ids) {
      const record = await recordOf(gw, id);
      expect(record.status).toBe(200);
      expect(record.usage).toBeNull();
      expect(record.countSource).toBeNull();
      expect(record.cost).toBe(0);
    }
  });

  it('a pass-through POST that names no model (a batch, a cancel) records no estimated tokens', async () => {
    for (const path of ['/v1/batches', '/v1/responses/resp_123/cancel']) {
      const id = newRequestId('no-model-post');
      const res = await post(gw, path, id, { input_file_id: 'file-abc', endpoint: '/v1/chat/completions' });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const record = await recordOf(gw, id);
      expect(record.status).toBe(200);
      expect(record.usage).toBeNull();
    }
  });

  it('an account-resource POST that names a model (a fine-tuning job) records no estimated tokens', async () => {
    const id = newRequestId('fine-tune');
    const res = await post(gw, '/v1/fine_tuning/jobs', id, {
      model: 'gpt-4o-mini',
      training_file: 'file-abc',
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const record = await recordOf(gw, id);
    expect(record.modelAsked).toBe('gpt-4o-mini');
    expect(record.usage).toBeNull();
  });

  it('a key budget stops /v1/responses once spent', async () => {
    const key = (
      await createClientKey(gw.node.storage.keys, { name: 'responses-budget', limits: { budget: 0.01 } })
    ).secret;
    const firstId = newRequestId('responses-budget');
    const first = await post({ ...gw, key }, '/v1/responses', firstId, {
      model: 'gpt-4o-mini',
      input: 'Hi.',
    });
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    expect((await recordOf(gw, firstId)).cost).toBeGreaterThan(0.01);
    const second = await post({ ...gw, key }, '/v1/responses', newRequestId('responses-budget'), {
      model: 'gpt-4o-mini',
      input: 'Hi again.',
      stream: true,
    });
    expect(second.status).toBe(429);
    expect((await errorOf(second)).code).toBe('budget_exceeded');
  });

  for (const stream of [false, true]) {
    it(`a repeated identical ${stream ? 'streamed' : 'non-stream'} /v1/messages request is a cache hit`, async () => {
      const body = {
        model: 'gpt-4o-mini',
        max_tokens: 50,
        temperature: 0,
        stream,
        messages: [{ role: 'user', content: `cache this anthropic question (${stream})` }],
      };
      const firstId = newRequestId('messages-cache');
      const first = await post(gw, '/v1/messages', firstId, body);
      expect(first.status).toBe(200);
      expect(first.headers.get('x-switchboard-cache')).toBe('miss');
      const firstBody = await first.text();
      await recordOf(gw, firstId);
      const secondId = newRequestId('messages-cache');
      const second = await post(gw, '/v1/messages', secondId, body);
      expect(second.headers.get('x-switchboard-cache')).toBe('hit');
      expect(await second.text()).toBe(firstBody);
      expect(fake.requests).toHaveLength(1);
      const record = await recordOf(gw, secondId);
      expect(record.cacheHit).toBe(true);
      expect(record.cost).toBe(0);
    });
  }

  it('a streamed /v1/messages request to an OpenAI-format channel is recorded with the upstream counts', async () => {
    const id = newRequestId('messages-stream');
    const res = await post(gw, '/v1/messages', id, {
      model: 'gpt-4o-mini',
      max_tokens: 50,
      stream: true,
      messages: [{ role: 'user', content: 'stream me an anthropic answer' }],
    });
    expect(res.status).toBe(200);
    await res.text();
    const sent = fake.requests[0]?.json as { messages: unknown[] };
    const record = await recordOf(gw, id);
    expect(record.stream).toBe(true);
    expect(record.countSource).toBe('upstream');
    expect(record.usage?.promptTokens).toBe(JSON.stringify(sent.messages).length % 97);
  });
});
