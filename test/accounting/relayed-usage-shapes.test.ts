import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fake-upstream/server.js';
import type { TestGateway } from '../support/start-gateway.js';
import { chat, newRequestId, recordOf, startAccountingGateway, startFakeUpstream } from './harness.js';

/**
 * Answers relayed as the upstream sent them (same format, pass-through) are metered from the
 * usage the upstream reports, in the shape it reports it, not estimated from their text.
 */
describe('usage read from relayed answers', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startAccountingGateway(fake);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  // Moonshot (Kimi) puts a stream's usage inside its last choice, not beside the choices. The
  // translated path read it there; an OpenAI client's relayed stream was estimated instead.
  it('an OpenAI stream whose usage is inside its last choice (Moonshot) is counted from it', async () => {
    const chunk = (choice: object) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'kimi-k2', choices: [{ index: 0, ...choice }] })}\n\n`;
    const usage = { prompt_tokens: 120, completion_tokens: 7, total_tokens: 127 };
    const body = `${chunk({ delta: { role: 'assistant', content: 'Hi' }, finish_reason: null })}${chunk({ delta: {}, finish_reason: 'stop', usage })}data: [DONE]\n\n`;
    fake.enqueue({ kind: 'raw-sse', body });
    const id = newRequestId('choice-usage');
    const res = await chat(gw, id, { stream: true });
    // The client gets the upstream's bytes as they were: the usage sits in a choice, not alone.
    expect(await res.text()).toBe(body);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 200, countSource: 'upstream' });
    expect(record.usage).toMatchObject({ promptTokens: 120, completionTokens: 7, totalTokens: 127 });
  });
});
