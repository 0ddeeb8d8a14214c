import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark's upstream: an OpenAI-shaped server on 127.0.0.1 with every answer encoded once
 * at start, so the upstream costs as little as a Node HTTP server can and the figures show the
 * gateway, not the fake. It runs as its own process (`node --import tsx bench/upstream.ts`) and
 * prints `listening <port>` when ready. The scripted test fake parses and records every request,
 * which is right for tests and wrong for a load test.
 *
 * A path under `/delay-<ms>/` (e.g. `/delay-50/v1/chat/completions`) answers after that many
 * milliseconds, as a real model's time to first byte: one upstream serves both the 0 ms and the
 * 50 ms scenarios, direct and through the gateway (a channel whose base_url has the prefix).
 */

const CREATED = 1_710_000_000;
const MODEL = 'bench-model';

const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: CREATED,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'The quick brown fox jumps over the lazy dog.',
          refusal: null,
        },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 21, completion_tokens: 10, total_tokens: 31 },
  }),
);

/** Twelve SSE events, written one by one like tokens, with usage last, then [DONE]. */
const sseFrames: Buffer[] = (() => {
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: CREATED, model: MODEL };
  const words = 'The quick brown fox jumps over the lazy dog.'.match(/\S+\s*/g) ?? [];
  const events: unknown[] = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ...words.map((w) => ({ ...base, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { ...base, choices: [], usage: { prompt_tokens: 21, completion_tokens: 9, total_tokens: 30 } },
  ];
  return [...events.map((e) => `data: ${JSON.stringify(e)}\n\n`), 'data: [DONE]\n\n'].map((f) =>
    Buffer.from(f),
  );
})();

const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': String(completion.length) };
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const NOT_FOUND = Buffer.from('{"error":{"message":"not found","type":"invalid_request_error"}}');
const JSON_HEADERS_404 = { 'content-type': 'application/json', 'content-length': String(NOT_FOUND.length) };

// The body is only searched for `"stream":true`; the bench's request bodies are small.
const STREAM_MARK = Buffer.from('"stream":true');

const DELAYED = /^\/delay-(\d+)\//;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  const delayMs = Number(DELAYED.exec(req.url ?? '')?.[1] ?? 0);
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  const answer = () => {
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, JSON_HEADERS_404).end(NOT_FOUND);
      return;
    }
    if (!body.includes(STREAM_MARK)) {
      res.writeHead(200, JSON_HEADERS).end(completion);
      return;
    }
    res.writeHead(200, SSE_HEADERS);
    for (const frame of sseFrames) res.write(frame);
    res.end();
  };
});

server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
