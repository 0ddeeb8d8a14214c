import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/spec/logger.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { type GatewayUnderTest, itNode, startGateway } from '../support/start-any-gateway.js';
import { channel, startTestGateway } from '../support/start-gateway.js';
import { chat, logEntryOf, newRequestId, startFakeUpstream } from './harness.js';

/**
 * A deployment priced in CNY (a DeepSeek user): its requests are costed in CNY, and the built-in
 * USD prices are not used, so no request is costed in dollars and added to the yuan. Runs on
 * Node, or on the Worker with GATEWAY_RUNTIME=workers.
 */
const CNY_PRICES = { 'deepseek-chat': { input: 2, output: 3, currency: 'CNY' } };

const config = (fake: FakeUpstream) => ({
  prices: CNY_PRICES,
  channels: [
    // gpt-4o-mini has a built-in USD price; deepseek-chat has one too, replaced by the CNY one.
    channel({
      name: 'deepseek',
      base_url: fake.baseUrl,
      keys: ['sk-deepseek-0001'],
      models: ['deepseek-chat', 'gpt-4o-mini'],
    }),
  ],
  routing: { max_attempts: 1 },
  usage: { flush_interval_ms: 20 },
});

const answer = (model: string, prompt: number, completion: number) => ({
  kind: 'status' as const,
  status: 200,
  body: {
    id: 'chatcmpl-cny',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  },
});

describe('a deployment priced in CNY', () => {
  let fake: FakeUpstream;
  let gw: GatewayUnderTest;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startGateway(config(fake));
    // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('costs a request at its CNY price, in CNY', async () => {
    fake.enqueue(answer('deepseek-chat', 1_000_000, 100_000));
    const id = newRequestId('cny');
    expect((await chat(gw, id, { model: 'deepseek-chat' })).status).toBe(200);
    const entry = await logEntryOf(gw, id);
    // 1M input at ¥2 + 0.1M output at ¥3.
    expect(entry.cost).toBeCloseTo(2.3, 9);
    expect(entry.prices).toMatchObject({ input: 2, output: 3, currency: 'CNY' });
  });

  it('does not cost a model at its built-in USD price: its cost is unknown, as an unpriced model’s is', async () => {
    fake.enqueue(answer('gpt-4o-mini', 1_000_000, 100_000));
    const id = newRequestId('usd-default');
    expect((await chat(gw, id, { model: 'gpt-4o-mini' })).status).toBe(200);
    const entry = await logEntryOf(gw, id);
    expect(entry.status).toBe(200);
    expect(entry.prompt_tokens).toBe(1_000_000);
    expect(entry.cost).toBeNull();
    expect(entry.prices).toBeNull();
  });

  it("says its totals are in CNY: the admin API's usage report and stats", async () => {
    const json = async (path: string) => {
      const res = await gw.admin('GET', path);
      expect(res.status, path).toBe(200);
      return (await res.json()) as { currency: string; totals?: { cost: number } };
    };
    const report = await json('/usage?group_by=model');
    expect(report.currency).toBe('CNY');
    // The CNY request of the first test; the unpriced one adds nothing.
    expect(report.totals?.cost).toBeCloseTo(2.3, 9);
    expect((await json('/usage?interval=minute')).currency).toBe('CNY');
    expect((await json('/stats')).currency).toBe('CNY');
  });
});

describe('the start of a deployment not priced in USD', () => {
  itNode(
    'says once that the built-in USD prices are not used (a deployment in USD says nothing of it)',
    'the start is read through an injected logger; the Worker in workerd writes its log to its console',
    async () => {
      const fake = await startFakeUpstream();
      const started = async (priced: Record<string, unknown>) => {
        const lines: string[] = [];
        const logger: Logger = {
          debug() {},
          info() {},
          error() {},
          // A warning: after an upgrade, models the built-in prices covered stop costing (and
          // spending budgets) until priced in the deployment's currency.
          warn: (_obj, msg) => lines.push(msg ?? ''),
        };
        const gw = await startTestGateway(priced, {}, { logger });
        await gw.close();
        return lines.filter((line) => line.includes('USD'));
      };
      try {
        expect(await started(config(fake))).toEqual([
          'prices are in CNY: the built-in USD prices are not used, and a model without a price in CNY is recorded with no cost and spends no budget',
        ]);
        expect(await started({ prices: { 'my-model': { input: 1, output: 2, currency: 'USD' } } })).toEqual(
          [],
        );
        expect(await started({})).toEqual([]);
      } finally {
        await fake.close();
      }
    },
  );
});
