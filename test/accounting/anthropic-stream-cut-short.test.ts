import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicChannel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { newRequestId, recordOf } from './harness.js';

/**
 * An Anthropic upstream that sends message_start (whose `output_tokens: 1` is a placeholder until
 * message_delta), then 200 text deltas, then breaks off. The output the upstream generated, and
 * bills, is what the client received: the record estimates it (`partial`), keeping
 * message_start's exact input count.
 */
let server: Server;
let url: string;
let gw: TestGateway;
const WORD = 'accounting ';
const DELTAS = 200;
let stallNext = false;
let endCleanlyNext = false;

function ev(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        ev('message_start', {
          type: 'message_start',
          message: {
            id: 'msg_x',
            type: 'message',
            role: 'assistant',
            model: 'claude-sonnet-4-5',
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 20, output_tokens: 1 },
          },
        }) +
          ev('content_block_start', {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'text', text: '' },
          }),
      );
      let body = '';
      for (let i = 0; i < DELTAS; i++)
        body += ev('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: WORD },
        });
      res.write(body);
      // The upstream breaks off: no message_delta, no message_stop (or, for 'stall', goes on
      // generating slowly until the client leaves).
      if (stallNext) {
        stallNext = false;
        return;
      }
      if (endCleanlyNext) {
        // A proxy ending the chunked body: a clean close, with no message_delta or message_stop.
        endCleanlyNext = false;
        res.end();
        return;
      }
      setTimeout(() => res.socket?.destroy(), 50);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gw = await startTestGateway({
    channels: [anthropicChannel(url, ['claude-sonnet-4-5'])],
    routing: { max_attempts: 1 },
    usage: { flush_interval_ms: 20 },
  });
});
afterAll(async () => {
  await gw.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** A streamed /v1/messages call, as Claude Code makes it. */
function streamMessages(id: string, signal?: AbortSignal) {
  return fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    ...(signal ? { signal } : {}),
    headers: {
      'x-api-key': gw.key,
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'x-request-id': id,
    },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 1000,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
}

describe('an Anthropic stream cut short after 200 text deltas', () => {
  it('/v1/messages: closed cleanly before message_stop, the client gets an error event and the record a partial count', async () => {
    endCleanlyNext = true;
    const id = newRequestId('anth-clean-close');
    const res = await streamMessages(id);
    const text = await res.text();
    expect(text.split(WORD).length - 1).toBe(DELTAS);
    expect(text).toMatch(/event: error\n[^\n]*before the answer was complete/);
    const record = await recordOf(gw, id);
    expect([record.status, record.errorCode, record.countSource]).toEqual([
      502,
      'upstream_stream_error',
      'partial',
    ]);
    expect(record.usage?.promptTokens).toBe(20);
    expect(record.usage?.completionTokens ?? 0).toBeGreaterThanOrEqual(DELTAS);
  });

  it("/v1/messages: the record counts the delivered output (partial), not message_start's output_tokens: 1", async () => {
    const id = newRequestId('anth-broken');
    const res = await streamMessages(id);
    const text = await res.text().catch(() => '');
    expect(text.split(WORD).length - 1).toBe(DELTAS); // the client received all 200 words
    const record = await recordOf(gw, id);
    expect(record.status).toBe(502);
    expect(record.countSource).toBe('partial');
    expect(record.usage?.promptTokens).toBe(20);
    // 200 words were delivered to (and billed by) the upstream: ~200+ output tokens.
    expect(record.usage?.completionTokens ?? 0).toBeGreaterThanOrEqual(DELTAS);
  });

  it('/v1/messages: client cancels (Claude Code Esc) after the 200 words: 499 partial, not output_tokens: 1', async () => {
    stallNext = true;
    const id = newRequestId('anth-cancel');
    const abort = new AbortController();
    const res = await streamMessages(id, abort.signal);
    const reader = res.body!.getReader();
    let text = '';
    while (text.split(WORD).length - 1 < DELTAS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    abort.abort();
    await reader.cancel().catch(() => {});
    const record = await recordOf(gw, id);
    expect(record.status).toBe(499);
    expect(record.usage?.completionTokens ?? 0).toBeGreaterThanOrEqual(DELTAS);
  });

  it('/v1/chat/completions (translated to OpenAI): same upstream, for comparison', async () => {
    const id = newRequestId('anth-broken-tr');
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 1000,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    await res.text().catch(() => '');
    const record = await recordOf(gw, id);
    expect(record.usage?.completionTokens ?? 0).toBeGreaterThanOrEqual(DELTAS);
  });
});
