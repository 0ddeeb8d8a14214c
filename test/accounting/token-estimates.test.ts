import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { postJson } from '../support/http.js';
import type { TestGateway } from '../support/start-gateway.js';
import { chat, newRequestId, recordOf, startAccountingGateway, startFakeUpstream } from './harness.js';

const NO_USAGE = {
  id: 'c1',
  object: 'chat.completion',
  model: 'gpt-4o-mini',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'Hello there, friend.' }, finish_reason: 'stop' },
  ],
};

/**
 * The tokenizer loads on first need, not at start: an estimate made before it is ready is a
 * heuristic one, and the usage record (and so the request log) says so.
 */
describe('token estimates say which counter made them', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startAccountingGateway(fake);
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  it('the first estimate of a fresh gateway is marked estimated-heuristic', async () => {
    fake.enqueue({ kind: 'status', status: 200, body: NO_USAGE });
    const id = newRequestId('heuristic');
    expect((await chat(gw, id)).status).toBe(200);
    const record = await recordOf(gw, id);
    expect(record.countSource).toBe('estimated-heuristic');
    expect(record.usage?.completionTokens).toBe(5);
    // The durable log and its API carry the same label.
    const res = await fetch(`${gw.url}/admin/api/logs/${id}`, {
      headers: { authorization: `Bearer ${gw.node.generatedAdminToken}` },
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain('"estimated-heuristic"');
  });

  it('count_tokens waits for the tokenizer; estimates after that are tokenizer counts', async () => {
    const text = 'Count these words with the real tokenizer, please.';
    const res = await postJson(gw, '/v1/messages/count_tokens', {
      model: 'gpt-4o-mini',
      max_tokens: 10,
      messages: [{ role: 'user', content: text }],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ input_tokens: countTokens(text) + 4 });
    fake.enqueue({ kind: 'status', status: 200, body: NO_USAGE });
    const id = newRequestId('tokenizer');
    await chat(gw, id);
    expect((await recordOf(gw, id)).countSource).toBe('estimated');
  });
});
