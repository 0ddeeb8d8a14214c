import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { errorOf, waitFor } from '../support/http.js';
import type { GatewayUnderTest } from '../support/start-any-gateway.js';
import { awayFromWindowEdge } from '../support/window-edge.js';
import {
  chat,
  logEntryOf,
  newRequestId,
  postJson,
  startAccountingGatewayUnderTest as startAccountingGateway,
  startFakeUpstream,
} from './harness.js';

// Every test here runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (its counters in
// the Durable Object): the bursts show limits holding exactly under concurrency on both.

const MESSAGES = [{ role: 'user', content: 'Summarise the quarterly accounting report in one line.' }];
/** What a real upstream reports for MESSAGES: the o200k count plus OpenAI's chat framing. */
const PROMPT_TOKENS = countTokens(MESSAGES[0]?.content ?? '') + 4 + 3;
const MAX_TOKENS = 20;

function completion(completionTokens: number) {
  return {
    id: 'chatcmpl-burst',
    object: 'chat.completion',
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Fine.' }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: PROMPT_TOKENS,
      completion_tokens: completionTokens,
      total_tokens: PROMPT_TOKENS + completionTokens,
    },
  };
}

describe('limits', () => {
  let fake: FakeUpstream;
  let gw: GatewayUnderTest;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startAccountingGateway(fake, { limits: { users: { concurrent: 100 } } });
    // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
  }, 120_000);
  afterEach(() => fake.reset());
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  const keyWith = (name: string, limits: Record<string, number>) => gw.createKey({ name, limits });

  it("refuses a key's request past its stored concurrent limit while another is in flight", async () => {
    const key = await keyWith('one-at-a-time', { concurrent: 1 });
    fake.enqueue({ kind: 'ok', delayMs: 400 });
    const first = chat({ ...gw, key }, newRequestId('c'));
    await waitFor(() => fake.requests.length === 1, 'the first request upstream');
    const second = await chat({ ...gw, key }, newRequestId('c'));
    expect(second.status).toBe(429);
    expect((await errorOf(second)).code).toBe('concurrency_limit_exceeded');
    expect((await first).status).toBe(200);
    // The slot is free again once the first has finished.
    expect((await chat({ ...gw, key }, newRequestId('c'))).status).toBe(200);
    expect(fake.requests).toHaveLength(2);
  });

  it('frees the concurrent slot of a stream whose client left mid-way', async () => {
    const key = await keyWith('left-mid-stream', { concurrent: 1 });
    fake.enqueue({ kind: 'drip', intervalMs: 50 });
    const res = await chat({ ...gw, key }, newRequestId('left'), { stream: true });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel();
    // The slot comes back once the gateway has seen the client leave (no lease expiry needed).
    const next = await waitFor(async () => {
      const again = await chat({ ...gw, key }, newRequestId('left'));
      if (again.status === 200) return again;
      await again.arrayBuffer();
      return null;
    }, 'the slot freed');
    expect(next.status).toBe(200);
  });

  it("reserves no more output than the model can give (its output cap), not the client's max_tokens", async () => {
    // gpt-4o-mini answers at most 16,384 tokens: the gateway sends it no more than that.
    const key = await keyWith('big-ask', { tpm: 20_000 });
    fake.enqueue({ kind: 'status', status: 200, body: completion(MAX_TOKENS) });
    const res = await chat({ ...gw, key }, newRequestId('cap'), { messages: MESSAGES, max_tokens: 100_000 });
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.json?.max_tokens).toBe(16_384);
  });

  it('tells a client whose request alone outgrows its tpm not to wait and retry', async () => {
    // No max_tokens: the reservation holds default_output_reserve (1,024) plus the prompt.
    const key = await keyWith('tiny-tpm', { tpm: 500 });
    const refused = await chat({ ...gw, key }, newRequestId('big'), { messages: MESSAGES });
    expect(refused.status).toBe(429);
    // Retry-After would promise an answer after the minute that no minute can give.
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect((await errorOf(refused)).message).toContain('max_tokens');
    // The same key with a small enough max_tokens is served.
    const ok = await chat({ ...gw, key }, newRequestId('big'), { messages: MESSAGES, max_tokens: 16 });
    expect(ok.status).toBe(200);
    expect(fake.requests).toHaveLength(1);
  });

  it("reads a Gemini body's output cap by its proto name too (generation_config.max_output_tokens)", async () => {
    // Without max_output_tokens the reservation (1,024 + prompt) outgrows this tpm; with it, not.
    const key = await keyWith('gemini-proto-cap', { tpm: 500 });
    const contents = [{ role: 'user', parts: [{ text: 'Summarise the report in one line.' }] }];
    const path = '/v1beta/models/gpt-4o-mini:generateContent';
    const camel = await postJson({ ...gw, key }, path, {
      contents,
      generationConfig: { maxOutputTokens: 16 },
    });
    expect(camel.status).toBe(200);
    const proto = await postJson({ ...gw, key }, path, {
      contents,
      generation_config: { max_output_tokens: 16 },
    });
    expect(proto.status).toBe(200);
    expect(fake.requests).toHaveLength(2);
  });

  it('reserves no output for an embedding: a key with a small tpm still embeds', async () => {
    // 1,000 tokens a minute is ~100 short embeddings; reserving chat's 1,024 output tokens for
    // each refused every one of them.
    const key = await keyWith('embedder', { tpm: 1_000 });
    const id = newRequestId('embed');
    const res = await fetch(`${gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'hello world' }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect((await logEntryOf(gw, id)).status).toBe(200);
  });

  it('a 50-way parallel burst against a small token limit ends at or under it', async () => {
    const tpm = 600;
    const key = await keyWith('burst-tpm', { tpm });
    // Every request of the burst must count in one clock minute (tpm windows): one that
    // straddles a minute's end is admitted up to the limit in each.
    await awayFromWindowEdge(60_000, 10_000);
    for (let i = 0; i < 50; i++) fake.enqueue({ kind: 'status', status: 200, body: completion(MAX_TOKENS) });
    const ids = Array.from({ length: 50 }, () => newRequestId('burst'));
    const responses = await Promise.all(
      ids.map((id) =>
        chat({ ...gw, key }, id, { messages: MESSAGES, max_tokens: MAX_TOKENS }).then(async (res) => ({
          status: res.status,
          body: await res.text(),
        })),
      ),
    );
    const ok = responses.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThan(0);
    expect(responses.filter((r) => r.status === 429).length).toBe(50 - ok);
    const records = await Promise.all(ids.map((id) => logEntryOf(gw, id)));
    const used = records.reduce((sum, r) => sum + (r.prompt_tokens ?? 0) + (r.completion_tokens ?? 0), 0);
    expect(used).toBeLessThanOrEqual(tpm);
    // Every admitted request reached the upstream once; refused ones never did.
    expect(fake.requests.length).toBe(ok);
    expect(records.filter((r) => r.status === 429).every((r) => r.error_code === 'rate_limit_exceeded')).toBe(
      true,
    );
  });

  it('reserves the output of every choice a request asks for (n)', async () => {
    const tpm = 600;
    const choices = 4;
    const key = await keyWith('burst-n', { tpm });
    // Every request of the burst must count in one clock minute (tpm windows): one that
    // straddles a minute's end is admitted up to the limit in each.
    await awayFromWindowEdge(60_000, 10_000);
    for (let i = 0; i < 30; i++)
      fake.enqueue({ kind: 'status', status: 200, body: completion(choices * MAX_TOKENS) });
    const ids = Array.from({ length: 30 }, () => newRequestId('burst-n'));
    const statuses = await Promise.all(
      ids.map((id) =>
        chat({ ...gw, key }, id, { messages: MESSAGES, max_tokens: MAX_TOKENS, n: choices }).then(
          async (res) => {
            await res.arrayBuffer();
            return res.status;
          },
        ),
      ),
    );
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    const records = await Promise.all(ids.map((id) => logEntryOf(gw, id)));
    const used = records.reduce((sum, r) => sum + (r.prompt_tokens ?? 0) + (r.completion_tokens ?? 0), 0);
    expect(used).toBeLessThanOrEqual(tpm);
  });

  it('reserves the output of every completion best_of generates, not only the n returned', async () => {
    // best_of: 5 makes the upstream generate (and bill) five completions of up to 100 tokens.
    const key = await keyWith('best-of', { tpm: 300 });
    const res = await postJson({ ...gw, key }, '/v1/completions', {
      model: 'gpt-4o-mini',
      prompt: 'Say hi',
      max_tokens: 100,
      best_of: 5,
      n: 1,
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect((await errorOf(res)).message).toContain('more than the limit');
    expect(fake.requests).toHaveLength(0);
  });

  it('a 50-way parallel burst against a small spending budget ends at or under it', async () => {
    // gpt-4o-mini default price: 0.15 in, 0.60 out per 1M tokens.
    const perRequest = (PROMPT_TOKENS * 0.15 + MAX_TOKENS * 0.6) / 1e6;
    const budget = perRequest * 7.5;
    const key = await gw.createKey({ name: 'burst-budget', limits: { budget } });
    for (let i = 0; i < 50; i++) fake.enqueue({ kind: 'status', status: 200, body: completion(MAX_TOKENS) });
    const ids = Array.from({ length: 50 }, () => newRequestId('budget'));
    const statuses = await Promise.all(
      ids.map((id) =>
        chat({ ...gw, key }, id, { messages: MESSAGES, max_tokens: MAX_TOKENS }).then(async (res) => {
          await res.arrayBuffer();
          return res.status;
        }),
      ),
    );
    // 7 when the estimate equals the count; fewer while the tokenizer is still loading (it overestimates).
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(7);
    const records = await Promise.all(ids.map((id) => logEntryOf(gw, id)));
    const spent = records.reduce((sum, r) => sum + (r.cost ?? 0), 0);
    expect(spent).toBeLessThanOrEqual(budget);
    const refused = records.filter((r) => r.status === 429);
    expect(refused.every((r) => r.error_code === 'budget_exceeded' && r.cost === 0)).toBe(true);
  });

  /** A key made through the admin API, and rotated through it: its id and both secrets. */
  async function keyToRotate(name: string, limits: Record<string, number>) {
    const made = await gw.admin('POST', '/keys', { name, limits });
    expect(made.status).toBe(201);
    const { id, key } = (await made.json()) as { id: string; key: string };
    return {
      id,
      key,
      async rotate() {
        const rotated = await gw.admin('POST', `/keys/${id}/rotate`);
        expect(rotated.status).toBe(201);
        return ((await rotated.json()) as { key: string }).key;
      },
    };
  }

  it('a rotated key keeps what it spent: its new secret gets no fresh budget', async () => {
    const key = await keyToRotate('rotated-budget', { budget: 0.001 });
    // The upstream reports 2,000 output tokens: $0.0012 at gpt-4o-mini's price, past the budget.
    fake.enqueue({ kind: 'status', status: 200, body: completion(2_000) });
    const spent = await chat({ ...gw, key: key.key }, newRequestId('rot-budget'), { messages: MESSAGES });
    expect(spent.status).toBe(200);
    await spent.arrayBuffer();
    const before = await chat({ ...gw, key: key.key }, newRequestId('rot-budget'), { messages: MESSAGES });
    expect(before.status).toBe(429);
    expect((await errorOf(before)).code).toBe('budget_exceeded');

    const secret = await key.rotate();
    const after = await chat({ ...gw, key: secret }, newRequestId('rot-budget'), { messages: MESSAGES });
    expect(after.status).toBe(429);
    expect((await errorOf(after)).code).toBe('budget_exceeded');
    expect(fake.requests.length).toBe(1);
  });

  it('a rotated key keeps its rate windows: the requests before the rotation still count', async () => {
    const key = await keyToRotate('rotated-rpm', { rpm: 2 });
    // Every request of this test must count in one clock minute (rpm windows).
    await awayFromWindowEdge(60_000, 10_000);
    for (let i = 0; i < 2; i++) {
      const ok = await chat({ ...gw, key: key.key }, newRequestId('rot-rpm'), { max_tokens: 10 });
      expect(ok.status).toBe(200);
      await ok.arrayBuffer();
    }
    const secret = await key.rotate();
    const refused = await chat({ ...gw, key: secret }, newRequestId('rot-rpm'), { max_tokens: 10 });
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).code).toBe('rate_limit_exceeded');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('lets a browser client read the budget headers, as it reads the x-ratelimit-* ones', async () => {
    const key = await gw.createKey({ name: 'browser-budget', limits: { budget: 5 } });
    const res = await chat(
      { ...gw, key },
      newRequestId('cors'),
      { max_tokens: 10 },
      { origin: 'https://app.example' },
    );
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(res.headers.get('x-switchboard-budget-limit')).toBe('5');
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(',');
    expect(exposed).toContain('x-ratelimit-remaining-requests');
    expect(exposed).toContain('x-switchboard-budget-limit');
    expect(exposed).toContain('x-switchboard-budget-remaining');
  });

  it('puts x-ratelimit-* headers on every response, and Retry-After on the 429', async () => {
    const key = await keyWith('rpm-3', { rpm: 3, tpm: 100_000 });
    // Every request of this test must count in one clock minute (rpm windows).
    await awayFromWindowEdge(60_000, 10_000);
    const ok = await chat({ ...gw, key }, newRequestId('rpm'), { max_tokens: 10 });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    expect(ok.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s)$|^\d+m\d+s$/);
    expect(ok.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    expect(Number(ok.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(100_000);

    fake.enqueue({ kind: 'status', status: 500 });
    const failed = await chat({ ...gw, key }, newRequestId('rpm'), { max_tokens: 10 });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.headers.get('x-ratelimit-remaining-requests')).toBe('1');

    const stream = await chat({ ...gw, key }, newRequestId('rpm'), { max_tokens: 10, stream: true });
    expect(stream.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    await stream.text();

    const refused = await chat({ ...gw, key }, newRequestId('rpm'), { max_tokens: 10 });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const error = await errorOf(refused);
    expect(error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null });
    expect(error.message).toContain('3 requests per minute');
  });

  it('refuses a bad request or a model the key may not use before its limits: no rate headers, nothing counted', async () => {
    const key = await gw.createKey({ name: 'rpm-3-one-model', models: ['gpt-4o-mini'], limits: { rpm: 3 } });
    await awayFromWindowEdge(60_000, 10_000);
    const badBody = await chat({ ...gw, key }, newRequestId('pre'), { messages: 'not a list' });
    expect(badBody.status).toBe(400);
    const otherModel = await chat({ ...gw, key }, newRequestId('pre'), { model: 'gpt-4o' });
    expect(otherModel.status).toBe(403);
    for (const refused of [badBody, otherModel])
      expect(refused.headers.get('x-ratelimit-limit-requests'), String(refused.status)).toBeNull();
    const ok = await chat({ ...gw, key }, newRequestId('pre'), { max_tokens: 10 });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe('2');
  });
});

describe('per-user limits from the config', { timeout: 120_000 }, () => {
  it('refuses the user past its rpm across all of its keys, naming the user', async () => {
    const fake = await startFakeUpstream();
    // Keys made without a user belong to the `default` user.
    const gw = await startAccountingGateway(fake, { limits: { per_user: { default: { rpm: 2 } } } });
    // Every request of this test must count in one clock minute (rpm windows).
    await awayFromWindowEdge(60_000, 10_000);
    try {
      const other = await gw.createKey({ name: 'second-key' });
      expect((await chat(gw, newRequestId('u'))).status).toBe(200);
      expect((await chat({ ...gw, key: other }, newRequestId('u'))).status).toBe(200);
      const refused = await chat({ ...gw, key: other }, newRequestId('u'));
      expect(refused.status).toBe(429);
      expect((await errorOf(refused)).message).toContain('this user');
      expect(fake.requests).toHaveLength(2);
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});

describe('per-user limits named by user name', { timeout: 120_000 }, () => {
  it('applies limits.per_user written under the user name, as the docs example does', async () => {
    const fake = await startFakeUpstream();
    const gw = await startAccountingGateway(fake, { limits: { per_user: { 'team-a': { rpm: 1 } } } });
    await awayFromWindowEdge(60_000, 10_000);
    try {
      // The user is made in the Node gateway's store (on Workers, test/unit/limit-subjects covers it).
      const storage = gw.node?.node.storage;
      if (!storage) return;
      const now = Date.now();
      // Users made through the admin API or the CLI get a generated id; operators know their names.
      const id = crypto.randomUUID();
      await storage.users.create({
        id,
        name: 'team-a',
        email: null,
        notes: null,
        enabled: true,
        createdAt: now,
        updatedAt: now,
      });
      const { secret } = await createClientKey(storage.keys, { name: 'team-a key', userId: id });
      expect((await chat({ ...gw, key: secret }, newRequestId('n'))).status).toBe(200);
      const refused = await chat({ ...gw, key: secret }, newRequestId('n'));
      expect(refused.status).toBe(429);
      expect((await errorOf(refused)).message).toContain('this user');
      expect(fake.requests).toHaveLength(1);
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});

describe('limits on the Anthropic front door', { timeout: 120_000 }, () => {
  it('refuses /v1/messages past the key limit in the Anthropic error shape, with Retry-After', async () => {
    const fake = await startFakeUpstream();
    const gw = await startAccountingGateway(fake, { limits: { keys: { rpm: 1 } } });
    // Every request of this test must count in one clock minute (rpm windows).
    await awayFromWindowEdge(60_000, 10_000);
    const send = () =>
      fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': gw.key, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
    try {
      const ok = await send();
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      await ok.text();
      const refused = await send();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await refused.json()) as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe('error');
      expect(body.error.message).toContain('requests per minute');
      expect(fake.requests).toHaveLength(1);
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});

describe('limits on the Gemini front door', { timeout: 120_000 }, () => {
  it("says when to come back in Google's RetryInfo, which Gemini clients read instead of Retry-After", async () => {
    const fake = await startFakeUpstream();
    const gw = await startAccountingGateway(fake, { limits: { keys: { rpm: 1 } } });
    await awayFromWindowEdge(60_000, 10_000);
    const send = () =>
      fetch(`${gw.url}/v1beta/models/gpt-4o-mini:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': gw.key, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      });
    try {
      expect((await send()).status).toBe(200);
      const refused = await send();
      expect(refused.status).toBe(429);
      const body = (await refused.json()) as { error: { status: string; details: Record<string, string>[] } };
      expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
      const retry = body.error.details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
      expect(retry?.retryDelay).toBe(`${refused.headers.get('retry-after')}s`);
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});
