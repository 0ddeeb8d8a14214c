import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import type { TestGateway } from '../support/start-gateway.js';
import { chat, newRequestId, recordOf, startAccountingGateway, startFakeUpstream } from './harness.js';

describe.each(['memory', 'sqlite'])('response cache (%s)', (backend) => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startAccountingGateway(fake, { cache: { enabled: true, backend, ttl_seconds: 600 } });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  for (const stream of [false, true]) {
    it(`${stream ? 'stream' : 'non-stream'}: a repeat is answered byte for byte from the cache, free`, async () => {
      const question = {
        messages: [{ role: 'user', content: `cache me ${backend} ${stream}` }],
        temperature: 0,
        stream,
      };
      const firstId = newRequestId('cache-first');
      const first = await chat(gw, firstId, question);
      const firstBytes = new Uint8Array(await first.arrayBuffer());
      expect(first.headers.get('x-switchboard-cache')).toBe('miss');
      const firstRecord = await recordOf(gw, firstId);
      expect(firstRecord.cost).toBeGreaterThan(0);

      const secondId = newRequestId('cache-hit');
      // Field order and the caller-only `user` field do not change the key.
      const second = await chat(gw, secondId, {
        stream,
        temperature: 0,
        user: 'someone',
        messages: question.messages,
      });
      const secondBytes = new Uint8Array(await second.arrayBuffer());
      expect(second.headers.get('x-switchboard-cache')).toBe('hit');
      expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(Buffer.from(secondBytes).equals(Buffer.from(firstBytes))).toBe(true);
      expect(fake.requests).toHaveLength(1);
      const record = await recordOf(gw, secondId);
      expect(record).toMatchObject({ status: 200, cacheHit: true, cost: 0, usage: null, attempts: [] });
    });
  }

  // Some upstreams answer an error with HTTP 200 and {"error": …} in the body. It was cached
  // like an answer: every repeat got the same error from the cache for the whole TTL, without
  // the upstream being asked again. (A stream's error event already kept it out.)
  it('an error answered with HTTP 200 is not cached', async () => {
    const question = { messages: [{ role: 'user', content: `error in a 200 ${backend}` }], temperature: 0 };
    fake.enqueue({
      kind: 'status',
      status: 200,
      body: { error: { message: 'overloaded, try again', type: 'server_error', code: null } },
    });
    // A failed attempt (src/router/error-in-answer.ts); with one attempt allowed, the client
    // gets a 502, and the repeat asks the upstream again.
    const failed = await chat(gw, newRequestId('err-200'), question);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ error: { code: 'upstream_failed' } });
    const again = await chat(gw, newRequestId('err-200'), question);
    expect(again.headers.get('x-switchboard-cache')).toBe('miss');
    expect(((await again.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    expect(fake.requests).toHaveLength(2);
  });

  // A 200 whose body is no JSON object — an HTML page a proxy in front of the upstream answered
  // with, JSON cut short by a connection that closed cleanly — is relayed as it came, but it is
  // no answer: it was kept like one, and every repeat got the broken body for the whole TTL.
  it('a 200 answer that is not a JSON object is not cached', async () => {
    const broken = [
      { type: 'text/html; charset=utf-8', body: '<html><body>Service temporarily unavailable</body></html>' },
      {
        type: 'application/json',
        body: '{"id":"chatcmpl-cut","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"The ans',
      },
    ];
    for (const [i, { type, body }] of broken.entries()) {
      const question = {
        messages: [{ role: 'user', content: `broken 200 ${backend} ${i}` }],
        temperature: 0,
      };
      fake.enqueue({ kind: 'raw-pieces', pieces: [body], headers: { 'content-type': type } });
      const first = await chat(gw, newRequestId('broken-200'), question);
      expect(first.status).toBe(200);
      expect(await first.text()).toBe(body);
      await gw.node.drainDeferred();
      const again = await chat(gw, newRequestId('broken-200'), question);
      expect(again.headers.get('x-switchboard-cache')).toBe('miss');
      expect(((await again.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    }
    expect(fake.requests).toHaveLength(4);
  });

  it("keys of one user with another purpose never get each other's answers", async () => {
    const question = { messages: [{ role: 'user', content: `purpose ${backend}` }], temperature: 0 };
    await (await chat(gw, newRequestId('p'), question)).text();
    const { secret } = await createClientKey(gw.node.storage.keys, {
      name: `cursor-${backend}`,
      purpose: 'cursor',
    });
    const other = await chat(gw, newRequestId('p'), question, { authorization: `Bearer ${secret}` });
    await other.text();
    expect(other.headers.get('x-switchboard-cache')).toBe('miss');
    expect(fake.requests).toHaveLength(2);
  });

  it("keys that belong to no user never get each other's answers", async () => {
    const question = { messages: [{ role: 'user', content: `no user ${backend}` }], temperature: 0 };
    await (await chat(gw, newRequestId('nu'), question)).text();
    const { secret } = await createClientKey(gw.node.storage.keys, { name: `no-user-${backend}` });
    const other = await chat(gw, newRequestId('nu'), question, { authorization: `Bearer ${secret}` });
    await other.text();
    expect(other.headers.get('x-switchboard-cache')).toBe('miss');
    expect(fake.requests).toHaveLength(2);
  });

  it('bypasses the cache with Cache-Control: no-cache, and leaves sampled requests alone', async () => {
    const question = { messages: [{ role: 'user', content: `bypass ${backend}` }], temperature: 0 };
    await (await chat(gw, newRequestId('c'), question)).text();
    const bypass = await chat(gw, newRequestId('c'), question, { 'cache-control': 'no-cache' });
    expect(bypass.headers.get('x-switchboard-cache')).toBe('miss');
    await bypass.text();
    expect(fake.requests).toHaveLength(2);

    const sampled = { messages: [{ role: 'user', content: `sampled ${backend}` }], temperature: 0.8 };
    for (let i = 0; i < 2; i++) {
      const res = await chat(gw, newRequestId('s'), sampled);
      expect(res.headers.get('x-switchboard-cache')).toBe('bypass');
      await res.text();
    }
    expect(fake.requests).toHaveLength(4);
    // Asked for explicitly, a sampled request is cached too.
    for (let i = 0; i < 2; i++)
      await (await chat(gw, newRequestId('s'), sampled, { 'x-switchboard-cache': 'on' })).text();
    expect(fake.requests).toHaveLength(5);
  });

  // `store: true` asks the upstream to keep the completion (read back by its id, used for evals
  // and distillation). Answered from the cache, nothing was kept, and the id the client got was
  // that of another request, which may never have been stored.
  it('a request with store: true goes upstream, not to the cache; its answer refreshes the entry', async () => {
    const question = { messages: [{ role: 'user', content: `store me ${backend}` }], temperature: 0 };
    await (await chat(gw, newRequestId('store'), question)).text();
    await gw.node.drainDeferred();
    fake.enqueue({ kind: 'ok', content: 'a fresh answer, kept upstream' });
    const kept = await chat(gw, newRequestId('store'), { ...question, store: true });
    expect(kept.headers.get('x-switchboard-cache')).toBe('miss');
    await kept.text();
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]?.json).toMatchObject({ store: true });
    await gw.node.drainDeferred();
    const again = await chat(gw, newRequestId('store'), question);
    expect(again.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await again.text()).toContain('a fresh answer, kept upstream');
    expect(fake.requests).toHaveLength(2);
  });

  it('caches embeddings, which sample nothing, though they carry no temperature', async () => {
    const embed = (input: string) =>
      fetch(`${gw.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', input }),
      });
    const first = await embed(`embed me ${backend}`);
    const firstBytes = Buffer.from(await first.arrayBuffer());
    expect(first.headers.get('x-switchboard-cache')).toBe('miss');
    await gw.node.drainDeferred();
    const second = await embed(`embed me ${backend}`);
    expect(second.headers.get('x-switchboard-cache')).toBe('hit');
    expect(Buffer.from(await second.arrayBuffer()).equals(firstBytes)).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('does not cache a failed answer', async () => {
    const question = {
      messages: [{ role: 'user', content: `fail ${backend}` }],
      temperature: 0,
      stream: true,
    };
    fake.enqueue({ kind: 'sse-error', afterChunks: 2 });
    await (await chat(gw, newRequestId('f'), question)).text();
    const again = await chat(gw, newRequestId('f'), question);
    expect(again.headers.get('x-switchboard-cache')).toBe('miss');
    await again.text();
    expect(fake.requests).toHaveLength(2);
  });
});

// "Cache off" and "not cacheable" must be told apart from "looked and found nothing".
describe('x-switchboard-cache: bypass when the cache was not consulted', () => {
  let fake: FakeUpstream;
  let on: TestGateway;
  let off: TestGateway;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    on = await startAccountingGateway(fake, { cache: { enabled: true, ttl_seconds: 600 } });
    off = await startAccountingGateway(fake);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await on.close();
    await off.close();
    await fake.close();
  });

  const cacheHeader = async (res: Response) => {
    await res.arrayBuffer();
    return res.headers.get('x-switchboard-cache');
  };

  it('says bypass with the cache off, for a request it would otherwise cache, streamed or not', async () => {
    for (const stream of [false, true]) {
      const res = await chat(off, newRequestId('off'), { temperature: 0, stream });
      expect(res.status).toBe(200);
      expect(await cacheHeader(res)).toBe('bypass');
    }
  });

  it('says bypass for a request that is not cacheable, and miss for one that is', async () => {
    expect(
      await cacheHeader(await chat(on, newRequestId('sampled'), { temperature: 0.7, stream: true })),
    ).toBe('bypass');
    const keyed = { temperature: 0, messages: [{ role: 'user', content: 'bypass header test' }] };
    expect(await cacheHeader(await chat(on, newRequestId('x'), keyed, { 'cache-control': 'no-store' }))).toBe(
      'bypass',
    );
    expect(await cacheHeader(await chat(on, newRequestId('x'), keyed))).toBe('miss');
  });

  it('says bypass on the pass-through, which never uses the cache, and miss on a cacheable /v1/messages', async () => {
    const headers = { authorization: `Bearer ${on.key}`, 'content-type': 'application/json' };
    const passthrough = await fetch(`${on.url}/v1/moderations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'hello' }),
    });
    expect(await cacheHeader(passthrough)).toBe('bypass');
    const messages = await fetch(`${on.url}/v1/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        max_tokens: 16,
        temperature: 0,
        messages: [{ role: 'user', content: 'hello' }],
      }),
    });
    expect(messages.status).toBe(200);
    // /v1/messages goes through the same pipeline as chat, response cache included.
    expect(await cacheHeader(messages)).toBe('miss');
  });
});

// An answer was captured for the cache up to the whole cache's `max_bytes` (64 MiB by default):
// each large answer in flight held a second copy of itself in memory, and one stored entry could
// push every other out of the cache.
describe('the response cache keeps no answer larger than max_entry_bytes', () => {
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

  // Past the 4 MiB default (5 MiB of 1 KiB words: one stream event each).
  const large = `${'x'.repeat(1023)} `.repeat(5 * 1024);

  for (const stream of [false, true]) {
    it(`${stream ? 'stream' : 'non-stream'}: a large answer is relayed whole but not stored`, async () => {
      const question = { temperature: 0, stream, messages: [{ role: 'user', content: `large ${stream}` }] };
      for (let i = 0; i < 2; i++) {
        fake.enqueue({ kind: 'ok', content: large });
        const res = await chat(gw, newRequestId('large'), question);
        const text = await res.text();
        expect(res.status).toBe(200);
        expect(res.headers.get('x-switchboard-cache')).toBe('miss');
        expect(text.length).toBeGreaterThan(large.length);
        await gw.node.drainDeferred();
      }
      expect(fake.requests).toHaveLength(2);
    });
  }

  it('a smaller one is stored', async () => {
    const question = { temperature: 0, messages: [{ role: 'user', content: 'small' }] };
    expect((await chat(gw, newRequestId('small'), question)).headers.get('x-switchboard-cache')).toBe('miss');
    await gw.node.drainDeferred();
    expect((await chat(gw, newRequestId('small'), question)).headers.get('x-switchboard-cache')).toBe('hit');
  });
});
