import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * Some upstream endpoints hand out a credential of the upstream account (OpenAI's Realtime
 * `client_secrets` / `sessions` / `transcription_sessions` answer an ephemeral `ek_…` key;
 * `realtime/calls` opens a WebRTC session; ChatKit's `sessions` a client secret). Relayed
 * through the pass-through with the channel's key, they would give a client a credential of
 * the operator's account, and sessions the gateway never sees: no usage record, no limit, no
 * budget, no model scope. The pass-through refuses them for every key, before anything is sent.
 */
let fake: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    channels: [channel({ name: 'openai', base_url: fake.baseUrl, keys: ['up-operator-key'], models: [] })],
  });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const post = (path: string, body: string, contentType = 'application/json') =>
  fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.key}`, 'content-type': contentType },
    body,
  });

describe('pass-through endpoints that mint upstream credentials', () => {
  it.each([
    ['/v1/realtime/client_secrets', JSON.stringify({ session: { type: 'realtime', model: 'gpt-realtime' } })],
    ['/v1/realtime/sessions', JSON.stringify({ model: 'gpt-4o-realtime-preview' })],
    ['/v1/realtime/transcription_sessions', JSON.stringify({})],
    ['/api/v1/realtime/client_secrets', JSON.stringify({})],
    ['/v1/Realtime/sessions', JSON.stringify({ model: 'gpt-4o-realtime-preview' })],
    ['/v1/%72ealtime/sessions', JSON.stringify({ model: 'gpt-4o-realtime-preview' })],
    ['/v1/chatkit/sessions', JSON.stringify({ workflow: { id: 'wf_1' }, user: 'u' })],
  ])('%s: refused with a clear error, nothing sent upstream', async (path, body) => {
    fake.reset();
    const res = await post(path, body);
    expect(res.status).toBe(404);
    const error = await errorOf(res);
    expect(error.code).toBe('route_not_found');
    expect(error.message).toMatch(/credential/);
    expect(fake.requests).toHaveLength(0);
  });

  it('a WebRTC call (an SDP offer) is refused too', async () => {
    fake.reset();
    const res = await post('/v1/realtime/calls?model=gpt-realtime', 'v=0\r\n', 'application/sdp');
    expect(res.status).toBe(404);
    expect(fake.requests).toHaveLength(0);
  });

  it('other pass-through calls, and model names that merely contain the word, still pass', async () => {
    fake.reset();
    const res = await post(
      '/v1/moderations',
      JSON.stringify({ model: 'omni-moderation-realtime', input: 'hi' }),
    );
    expect(res.status).toBe(200);
    expect(fake.requests).toHaveLength(1);
  });
});
