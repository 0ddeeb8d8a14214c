import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { channel, type TestGateway } from '../support/start-gateway.js';
import { chat, startGateway } from './support.js';

let fake: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startGateway({
    channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k1'], models: ['m'] })],
  });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

describe('client disconnect', () => {
  it('aborts a waiting non-stream upstream request and counts it', async () => {
    fake.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    const pending = chat(gw, {}, { signal: controller.signal }).catch((err: unknown) => err);
    const sent = await waitFor(() => fake.requests.at(-1), 'upstream request');
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await waitFor(() => sent.abortedAt, 'upstream abort');
    await waitFor(
      async () => (await gw.node.gateway.health.snapshot()).counters.clientAborts === 1,
      'abort counted',
    );
  });

  it('aborts a streaming upstream when the client stops reading and hangs up', async () => {
    fake.enqueue({ kind: 'drip', intervalMs: 200 });
    const controller = new AbortController();
    const res = await chat(gw, { stream: true }, { signal: controller.signal });
    const sent = fake.requests.at(-1);
    const reader = res.body?.getReader();
    await reader?.read();
    controller.abort();
    await waitFor(() => sent?.abortedAt, 'upstream abort');
    await waitFor(
      async () => (await gw.node.gateway.health.snapshot()).counters.clientAborts === 2,
      'abort counted',
    );
    const usage = await waitFor(() => gw.usage.find((u) => u.stream && u.status === 499), 'usage record');
    expect(usage.errorCode).toBe('client_closed');
  });
});

describe('client disconnect bookkeeping', () => {
  it('a non-stream request whose client left is recorded as 499 client_closed', async () => {
    fake.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    const pending = chat(gw, {}, { signal: controller.signal }).catch(() => null);
    await waitFor(() => fake.requests.length >= 3 && fake.requests.at(-1), 'upstream request');
    controller.abort();
    await pending;
    const closed = await waitFor(() => {
      const found = gw.usage.filter((u) => !u.stream && u.status === 499);
      return found.length === 2 && found;
    }, 'usage records');
    expect(closed.map((u) => u.errorCode)).toEqual(['client_closed', 'client_closed']);
  });
});
