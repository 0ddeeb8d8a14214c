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

  // The pass-through knew an answer was a stream only from a JSON `"stream": true`. Speech with
  // `stream_format: "sse"` and a multipart transcription with `stream=true` say it otherwise: their
  // SSE answers were relayed as plain bodies, so their usage event went unread and the record
  // was an estimate over the whole event text (base64 audio included), with no SSE headers.
  // Some OpenAI-compatible servers send the usage event the gateway asked for on the client's
  // behalf with no `choices` key at all: it was read, but went on to a client that never asked
  // for it, and whose SDK reads `chunk.choices` on every chunk.
  it('a usage-only chunk without "choices" that the client did not ask for is counted and not relayed', async () => {
    const chunk = (choice: object) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, ...choice }] })}\n\n`;
    const answer = `${chunk({ delta: { role: 'assistant', content: 'Hi' }, finish_reason: null })}${chunk({ delta: {}, finish_reason: 'stop' })}`;
    const usage = { prompt_tokens: 41, completion_tokens: 2, total_tokens: 43 };
    fake.enqueue({
      kind: 'raw-sse',
      body: `${answer}data: ${JSON.stringify({ usage })}\n\ndata: [DONE]\n\n`,
    });
    const id = newRequestId('usage-no-choices');
    const res = await chat(gw, id, { stream: true });
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.json?.stream_options).toEqual({ include_usage: true });
    expect(await res.text()).toBe(`${answer}data: [DONE]\n\n`);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 200, countSource: 'upstream' });
    expect(record.usage).toMatchObject({ promptTokens: 41, completionTokens: 2, totalTokens: 43 });
  });

  // The usage request the gateway adds to a stream was made by re-encoding the client's body: a
  // `seed` past 2^53 reached the upstream as another number (12345678901234567890 became
  // 12345678901234567000), so the "reproducible" answer was not the one asked for.
  it('a stream request reaches the upstream as the client wrote it, with only the usage request added', async () => {
    const sent = `{ "model": "gpt-4o-mini", "seed": 12345678901234567890, "temperature": 1.0,
      "messages": [{"role": "user", "content": "caf\u00e9"}], "stream": true }`;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${gw.key}`,
        'content-type': 'application/json',
        'x-request-id': newRequestId('raw-seed'),
      },
      body: sent,
    });
    expect(res.status).toBe(200);
    await res.text();
    const upstream = fake.requests[0];
    expect(upstream?.body).toBe(`{"stream_options":{"include_usage":true},${sent.slice(1)}`);
    expect(upstream?.json?.stream_options).toEqual({ include_usage: true });
  });

  it('a pass-through SSE answer to a request without "stream": true is read as a stream', async () => {
    const audio = Buffer.alloc(6_000, 7).toString('base64');
    const body =
      `data: {"type":"speech.audio.delta","audio":"${audio}"}\n\n` +
      'data: {"type":"speech.audio.done","usage":{"input_tokens":14,"output_tokens":101,"total_tokens":115}}\n\n';
    fake.enqueue({ kind: 'raw-sse', body });
    const id = newRequestId('speech-sse');
    const res = await fetch(`${gw.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Hello', voice: 'alloy', stream_format: 'sse' }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe(body);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 200, countSource: 'upstream' });
    expect(record.usage).toMatchObject({ promptTokens: 14, completionTokens: 101, totalTokens: 115 });
  });

  it('a streamed multipart transcription is metered from its usage event', async () => {
    const body =
      'data: {"type":"transcript.text.delta","delta":"Hello"}\n\n' +
      'data: {"type":"transcript.text.done","text":"Hello","usage":{"type":"tokens","input_tokens":30,"output_tokens":2,"total_tokens":32}}\n\n';
    fake.enqueue({ kind: 'raw-sse', body });
    const id = newRequestId('transcribe-sse');
    const boundary = 'switchboard-test';
    const form =
      `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-4o-mini\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="stream"\r\n\r\ntrue\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n` +
      `Content-Type: audio/wav\r\n\r\nRIFF....WAVE\r\n--${boundary}--\r\n`;
    const res = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${gw.key}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'x-request-id': id,
      },
      body: form,
    });
    expect(await res.text()).toBe(body);
    expect(fake.requests.at(-1)?.body).toBe(form);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 200, countSource: 'upstream' });
    expect(record.usage).toMatchObject({ promptTokens: 30, completionTokens: 2 });
  });

  // A relayed pass-through answer was read for usage only when it fitted in the 4 MB kept of
  // it. Image generations answer base64 images with their usage last: two of them were
  // recorded with the estimate of a few prompt tokens, and no output, as if free.
  it('a pass-through JSON answer too large to keep whole is metered from the usage at its end', async () => {
    const image = Buffer.alloc(2_500_000, 3).toString('base64');
    const usage = {
      input_tokens: 50,
      output_tokens: 4160,
      total_tokens: 4210,
      input_tokens_details: { text_tokens: 50, image_tokens: 0 },
    };
    const body = JSON.stringify({ created: 1, data: [{ b64_json: image }, { b64_json: image }], usage });
    const pieces: string[] = [];
    for (let at = 0; at < body.length; at += 256 * 1024) pieces.push(body.slice(at, at + 256 * 1024));
    fake.enqueue({ kind: 'raw-pieces', pieces, headers: { 'content-type': 'application/json' } });
    const id = newRequestId('image-tail');
    const res = await fetch(`${gw.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({ model: 'gpt-4o-mini', prompt: 'a cat', n: 2 }),
    });
    expect((await res.text()).length).toBe(body.length);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 200, countSource: 'upstream' });
    expect(record.usage).toMatchObject({ promptTokens: 50, completionTokens: 4160, totalTokens: 4210 });
  });
});
