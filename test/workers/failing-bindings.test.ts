import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { channel } from '../support/start-gateway.js';
import { startWorkerGateway, type WorkerGateway } from '../support/start-worker-gateway.js';
import { awayFromWindowEdge } from '../support/window-edge.js';

/**
 * A Worker whose KV or counter Durable Object fails every call still serves: a failed cache
 * lookup is a miss, and limits and router health are counted in the isolate while the object
 * fails, as Node counts them in the process while Redis is away.
 */
const ENTRY = 'test/workers/failing-bindings-worker.ts';
const question = { model: 'gpt-fake', temperature: 0, messages: [{ role: 'user', content: 'hi' }] };

async function chat(gw: WorkerGateway, key = gw.key) {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(question),
  });
}

describe('a Worker whose bindings fail', { timeout: 120_000 }, () => {
  let fake: FakeUpstream;
  const gateways: WorkerGateway[] = [];
  const start = async (failing: string) => {
    const gw = await startWorkerGateway(
      {
        channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['up-1'], models: ['gpt-fake'] })],
        cache: { enabled: true },
      },
      { FAILING: failing },
      { entry: ENTRY },
    );
    gateways.push(gw);
    return gw;
  };
  beforeAll(async () => {
    fake = await startFakeUpstream();
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await fake?.close();
  });

  it('answers a cacheable request from the upstream while KV fails', async () => {
    const gw = await start('CACHE');
    const before = fake.requests.length;
    for (let i = 0; i < 2; i++) {
      const res = await chat(gw);
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(fake.requests.length - before).toBe(2);
  });

  it.each([
    ['fails', 'COUNTERS'],
    ['answers nothing', 'COUNTERS_HUNG'],
  ])('serves, and still limits each key, while the counter object %s', async (_how, failing) => {
    const gw = await start(failing);
    const free = await chat(gw);
    expect(free.status).toBe(200);
    await free.text();
    const made = await gw.admin('POST', '/keys', { name: 'one-a-minute', limits: { rpm: 1 } });
    const { key } = (await made.json()) as { key: string };
    // Both requests in one clock minute (rpm windows): across a minute's end each is admitted.
    await awayFromWindowEdge(60_000, 10_000);
    const first = await chat(gw, key);
    expect(first.status).toBe(200);
    await first.text();
    const second = await chat(gw, key);
    expect(second.status).toBe(429);
    expect((await errorOf(second)).code).toBe('rate_limit_exceeded');
  });
});
