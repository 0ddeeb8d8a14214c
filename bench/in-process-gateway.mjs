// The gateway of a built checkout, started in this process for the in-process benches
// (in-process.mjs, ab-in-process.mjs): its own fetch (no sockets), an upstream answered from
// memory, requests driven at a fixed concurrency.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Boots `<dir>/dist` with one channel to an in-memory upstream. Options: `mode` (`stream` or
 * `nonstream`), `limits` (every key limited), `upstreamDelayMs`, `databaseUrl`.
 * Resolves to `run(n, concurrency)`, which sends n requests, and `close()`.
 */
export async function startInProcessGateway(dir, options) {
  const { mode } = options;
  const load = (path) => import(pathToFileURL(resolve(dir, 'dist', path)).href);
  const { resolveSettings } = await load('config/settings.js');
  const { bootstrap } = await load('runtime/node/bootstrap.js');
  const { createClientKey } = await load('auth/key-service.js');

  // The same answers as /work/shared/bench/mock-upstream.mjs: 20 content chunks, usage last.
  const CONTENT =
    'The quick brown fox jumps over the lazy dog. This is a mock completion returned by the benchmark upstream so that gateways can be measured without a real model.';
  const usage = { prompt_tokens: 212, completion_tokens: 34, total_tokens: 246 };
  const head = { id: 'chatcmpl-mock0123456789abcdef', created: 1730000000, model: 'gpt-4o-mini' };
  const completion = new TextEncoder().encode(
    JSON.stringify({
      ...head,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: CONTENT }, finish_reason: 'stop' }],
      usage,
    }),
  );
  const words = CONTENT.split(' ');
  const event = (choices, extra = {}) =>
    new TextEncoder().encode(
      `data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', choices, ...extra })}\n\n`,
    );
  const chunks = [event([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])];
  for (let i = 0; i < 20; i++) {
    const piece = words.slice(Math.floor((i * words.length) / 20), Math.floor(((i + 1) * words.length) / 20));
    chunks.push(
      event([{ index: 0, delta: { content: (i ? ' ' : '') + piece.join(' ') }, finish_reason: null }]),
    );
  }
  chunks.push(event([{ index: 0, delta: {}, finish_reason: 'stop' }]), event([], { usage }));
  chunks.push(new TextEncoder().encode('data: [DONE]\n\n'));

  const upstreamDelayMs = Number(options.upstreamDelayMs ?? 0);
  const upstream = async (_url, init) => {
    if (upstreamDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, upstreamDelayMs));
    const streamed = typeof init.body === 'string' ? init.body.includes('"stream":true') : mode === 'stream';
    if (!streamed) return new Response(completion, { headers: { 'content-type': 'application/json' } });
    let i = 0;
    const body = new ReadableStream({
      pull(controller) {
        // A copy per chunk, as a socket read hands over fresh bytes.
        if (i < chunks.length) controller.enqueue(chunks[i++].slice());
        else controller.close();
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };

  const settings = resolveSettings({
    // BENCH_DATABASE_URL=sqlite:/tmp/x.db measures the usage journal's commits on a real file.
    env: { DATABASE_URL: options.databaseUrl ?? 'sqlite::memory:', LOG_LEVEL: 'warn' },
    file: {
      path: 'bench.yaml',
      text: JSON.stringify({
        // BENCH_LIMITS=1: every key limited (rpm, tpm, concurrency, budget) at limits the run never
        // reaches, so each request reserves (its prompt counted for tpm and budget) and settles.
        ...(options.limits
          ? { limits: { keys: { rpm: 1e8, tpm: 1e12, concurrent: 100_000, budget: 1e9 } } }
          : {}),
        channels: [
          {
            name: 'bench',
            provider: 'openai',
            base_url: 'http://127.0.0.1:9/v1',
            keys: ['sk-mock-upstream-0123456789'],
            models: ['gpt-4o-mini'],
          },
        ],
      }),
    },
  });
  const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
  const node = await bootstrap({ settings, logger: silent, fetch: upstream, usageSink: () => {} });
  const { secret } = await createClientKey(node.storage.keys, { name: 'bench' });
  // The shared bench's request (/work/shared/bench/lib/body-*.json): a support chat of four messages.
  const request = {
    model: 'gpt-4o-mini',
    messages: [
      {
        role: 'system',
        content:
          'You are a helpful assistant for an e-commerce support team. Answer concisely, cite the order number when relevant, never invent tracking data, and escalate to a human agent if the customer mentions a legal complaint, a chargeback, or a safety issue. Use a friendly but professional tone.',
      },
      {
        role: 'user',
        content:
          'Hi, I ordered a pair of running shoes (order #A-1029384) on Monday and the tracking page has said "label created" for three days now. I need them before a race on Saturday. Can you tell me whether the package has actually shipped, and if not, whether I can upgrade to express delivery or cancel and get a refund instead? Also, the confirmation email listed size 42 but I selected 43 on the product page - please double-check which size is on the order before it ships.',
      },
      { role: 'assistant', content: 'Thanks for reaching out! Let me look up order #A-1029384 for you.' },
      { role: 'user', content: 'Thanks, please hurry.' },
    ],
    temperature: 0.2,
    max_tokens: 256,
    user: 'bench-user-0001',
  };
  const body = JSON.stringify(
    mode === 'stream' ? { ...request, stream: true, stream_options: { include_usage: true } } : request,
  );

  const length = new TextEncoder().encode(body).byteLength;
  const one = async () => {
    const res = await node.gateway.fetch(
      new Request('http://127.0.0.1/v1/chat/completions', {
        method: 'POST',
        // As the Node server hands it over: a declared length, so the body limit reads no stream.
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/json',
          'content-length': String(length),
        },
        body,
      }),
    );
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`status ${res.status}`);
  };
  const run = async (n, concurrency) => {
    let left = n;
    const worker = async () => {
      while (left-- > 0) await one();
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  return { run, close: () => node.close() };
}
