import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf, waitFor } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { chat, newRequestId } from './harness.js';

/**
 * `limits.concurrency_lease_seconds`: how long a concurrency slot stays taken by a holder that
 * stopped renewing it (a process that died). The counter store's clock is moved, not waited on.
 */
describe('limits.concurrency_lease_seconds', () => {
  let fake: FakeUpstream;
  const gateways: TestGateway[] = [];
  const clock = { now: 1_800_000_000_000 };
  const aborts: AbortController[] = [];

  beforeAll(async () => {
    fake = await startFakeUpstream();
  });
  afterAll(async () => {
    for (const abort of aborts) abort.abort();
    for (const gw of gateways) await gw.close();
    await fake.close();
  });

  /** A gateway with a one-slot key whose only slot a request that never ends holds. */
  const slotHeld = async (limits: Record<string, unknown>) => {
    const gw = await startTestGateway(
      {
        channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['up'], models: ['m'] })],
        limits,
      },
      {},
      { counters: createMemoryCounterStore({ now: () => clock.now }) },
    );
    gateways.push(gw);
    const key = (await createClientKey(gw.node.storage.keys, { name: 'one-slot', limits: { concurrent: 1 } }))
      .secret;
    const before = fake.requests.length;
    fake.enqueue({ kind: 'hang' });
    const abort = new AbortController();
    aborts.push(abort);
    void chat({ ...gw, key }, newRequestId('held'), { model: 'm' }, {}, abort.signal).catch(() => {});
    await waitFor(() => fake.requests.length === before + 1, 'the held request upstream');
    const refused = await chat({ ...gw, key }, newRequestId('refused'), { model: 'm' });
    expect((await errorOf(refused)).code).toBe('concurrency_limit_exceeded');
    return { gw, key };
  };

  it('frees a slot its holder stopped renewing after the configured time, not the default 2 minutes', async () => {
    const short = await slotHeld({ concurrency_lease_seconds: 4 });
    const long = await slotHeld({});
    clock.now += 4_001;
    expect((await chat({ ...short.gw, key: short.key }, newRequestId('after'), { model: 'm' })).status).toBe(
      200,
    );
    const still = await chat({ ...long.gw, key: long.key }, newRequestId('after'), { model: 'm' });
    expect((await errorOf(still)).code).toBe('concurrency_limit_exceeded');
  });

  it('refuses a lease time under 4 seconds (renewals would come faster than a second)', async () => {
    await expect(startTestGateway({ limits: { concurrency_lease_seconds: 3 } })).rejects.toThrow(
      /concurrency_lease_seconds/,
    );
  });
});
