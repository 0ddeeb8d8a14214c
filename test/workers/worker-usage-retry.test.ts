import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { channel } from '../support/start-gateway.js';
import { startWorkerGateway, type WorkerGateway } from '../support/start-worker-gateway.js';

/**
 * On a Worker, timers live only as long as the request whose `waitUntil` holds them. A usage
 * batch that D1 refuses once goes back to the isolate's buffer; the next requests must send it
 * (and their own records) once D1 answers again, not leave them waiting for a timer that no
 * request is alive to fire.
 */
describe('Worker usage records after a failed D1 batch', { timeout: 60_000 }, () => {
  let fake: FakeUpstream;
  let gw: WorkerGateway;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startWorkerGateway({
      channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['up-1'], models: ['gpt-fake'] })],
      usage: { flush_interval_ms: 50 },
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  const chat = async (requestId: string) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${gw.key}`,
        'content-type': 'application/json',
        'x-request-id': requestId,
      },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
    return res.status;
  };
  const logged = async (requestId: string) => {
    const res = await gw.admin('GET', `/logs?request_id=${requestId}&limit=5`);
    return ((await res.json()) as { data: unknown[] }).data.length;
  };

  it('writes the refused batch and the later records once D1 answers again', async () => {
    expect(await chat('before')).toBe(200);
    await waitFor(async () => ((await logged('before')) === 1 ? true : null), 'the first record');

    // D1 refuses usage inserts for a while (an overloaded or restarting database).
    await gw.d1(
      "CREATE TRIGGER refuse_usage BEFORE INSERT ON usage_records BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    expect(await chat('during')).toBe(200);
    // Its request's flush has run and failed: the record is back in the buffer.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await gw.d1('DROP TRIGGER refuse_usage');

    for (let i = 0; i < 3; i++) expect(await chat(`after-${i}`)).toBe(200);
    await waitFor(
      async () => ((await logged('during')) === 1 && (await logged('after-2')) === 1 ? true : null),
      'the refused record and the later ones in the usage log',
      10_000,
    );
  });

  it('writes a refused record with no request after it: its own request tries again', async () => {
    // The last request before a quiet spell: no later request would carry its record, and the
    // isolate holding it in memory may be evicted long before the hourly cron flushes.
    await gw.d1(
      "CREATE TRIGGER refuse_usage BEFORE INSERT ON usage_records BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    expect(await chat('alone')).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await gw.d1('DROP TRIGGER refuse_usage');
    await waitFor(async () => ((await logged('alone')) === 1 ? true : null), 'the refused record', 10_000);
  });
});
