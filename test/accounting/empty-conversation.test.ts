import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fake-upstream/server.js';
import type { TestGateway } from '../support/start-gateway.js';
import { newRequestId, recordOf, startAccountingGateway, startFakeUpstream } from './harness.js';

// A request with nothing to answer (`messages: []`, `input: []`, `contents: []`) went upstream,
// which answered with its own 400, or, translated, with something odd. Each front door refuses it
// itself, in its client's error shape, naming the field, and records the refusal as usage.

let fake: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startAccountingGateway(fake);
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

function post(path: string, requestId: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${gw.key}`,
      'x-goog-api-key': gw.key,
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
    body: JSON.stringify(body),
  });
}

describe('an empty conversation is refused at the front door', () => {
  it('POST /v1/messages with messages: [] is a 400 in the Anthropic shape, naming messages', async () => {
    const id = newRequestId('empty-messages-anthropic');
    const before = fake.requests.length;
    const res = await post('/v1/messages', id, { model: 'gpt-4o-mini', max_tokens: 16, messages: [] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/^messages: /);
    expect(fake.requests.length).toBe(before);
    expect(await recordOf(gw, id)).toMatchObject({ status: 400, errorCode: 'missing_messages' });
  });

  it('POST /v1/chat/completions with messages: [] is a 400 in the OpenAI shape, naming messages', async () => {
    const id = newRequestId('empty-messages-openai');
    const before = fake.requests.length;
    const res = await post('/v1/chat/completions', id, { model: 'gpt-4o-mini', messages: [] });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { type: string; code: string; param: string } };
    expect(error).toMatchObject({
      type: 'invalid_request_error',
      code: 'missing_messages',
      param: 'messages',
    });
    expect(fake.requests.length).toBe(before);
    expect(await recordOf(gw, id)).toMatchObject({ status: 400, errorCode: 'missing_messages' });
  });

  it('POST /v1/responses with input: [] and no previous response is a 400 naming input', async () => {
    const id = newRequestId('empty-input-responses');
    const before = fake.requests.length;
    const res = await post('/v1/responses', id, { model: 'gpt-4o-mini', input: [] });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { type: string; code: string; param: string } };
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'missing_messages', param: 'input' });
    expect(fake.requests.length).toBe(before);
    expect(await recordOf(gw, id)).toMatchObject({ status: 400, errorCode: 'missing_messages' });
  });

  it('POST /v1beta/models/…:generateContent with contents: [] is a 400 naming contents', async () => {
    const id = newRequestId('empty-contents-gemini');
    const before = fake.requests.length;
    const res = await post('/v1beta/models/gpt-4o-mini:generateContent', id, { contents: [] });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { status: string; message: string } };
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/^contents: /);
    expect(fake.requests.length).toBe(before);
    expect(await recordOf(gw, id)).toMatchObject({ status: 400, errorCode: 'missing_messages' });
  });
});
