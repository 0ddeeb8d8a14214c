#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
// In-process cost of a request through a built checkout: the gateway's own fetch (no sockets),
// an upstream answered from memory, N requests at a fixed concurrency. Prints CPU time and bytes
// allocated on the JS heap per request; both are far less noisy on a shared machine than RPS.
//
//   node bench/in-process.mjs <checkout> <stream|nonstream> [requests=4000] [concurrency=32]
//   node --cpu-prof --cpu-prof-dir=bench/results/profiles bench/in-process.mjs . stream
//   ALLOC_PROFILE=out.heapprofile node bench/in-process.mjs . stream   # where the bytes are allocated
//   BENCH_DATABASE_URL=sqlite:/tmp/bench.db node bench/in-process.mjs . nonstream   # a database file
//   BENCH_LIMITS=1 node bench/in-process.mjs . nonstream   # every key limited: reserve and settle
//   BENCH_UPSTREAM_DELAY_MS=50 node bench/in-process.mjs . nonstream 20000 128   # a slow upstream
//
// <checkout> is a Switchboard directory with a fresh dist/ (`npx tsc -p tsconfig.build.json`).
// It uses only exports that the pipeline refactor kept (settings, bootstrap, client keys), so
// the same script measures an older checkout for a before/after comparison.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GCProfiler } from 'node:v8';

const [dirArg = '.', mode = 'stream', nArg = '4000', concArg = '32'] = process.argv.slice(2);
const dir = resolve(dirArg);
const total = Number(nArg);
const concurrency = Number(concArg);
if (!['stream', 'nonstream'].includes(mode) || !(total > 0) || !(concurrency > 0)) {
  console.error('usage: node bench/in-process.mjs <checkout> <stream|nonstream> [requests] [concurrency]');
  process.exit(2);
}
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

const upstreamDelayMs = Number(process.env.BENCH_UPSTREAM_DELAY_MS ?? 0);
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
  env: { DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'sqlite::memory:', LOG_LEVEL: 'warn' },
  file: {
    path: 'bench.yaml',
    text: JSON.stringify({
      // BENCH_LIMITS=1: every key limited (rpm, tpm, concurrency, budget) at limits the run never
      // reaches, so each request reserves (its prompt counted for tpm and budget) and settles.
      ...(process.env.BENCH_LIMITS
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
const run = async (n) => {
  let left = n;
  const worker = async () => {
    while (left-- > 0) await one();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
};

await run(Math.min(500, total)); // warm-up: JIT, caches, key lookups
globalThis.gc?.();
// A sampling heap profile that keeps collected objects too: per-request garbage is the point.
const session = process.env.ALLOC_PROFILE ? new Session() : null;
if (session) {
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
const profiler = new GCProfiler();
profiler.start();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await run(total);
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const { statistics } = profiler.stop();
if (session) {
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(process.env.ALLOC_PROFILE, JSON.stringify(profile));
  session.disconnect();
}
let allocated = 0;
/** Bytes that a scavenge moved to the old space: what lives across GCs and grows the heap. */
let promoted = 0;
let peakHeap = 0;
let scavenges = 0;
let majors = 0;
for (let i = 0; i < statistics.length; i++) {
  const s = statistics[i];
  const before = s.beforeGC.heapStatistics.usedHeapSize;
  const prevAfter = i > 0 ? statistics[i - 1].afterGC.heapStatistics.usedHeapSize : null;
  if (prevAfter !== null) allocated += before - prevAfter;
  peakHeap = Math.max(peakHeap, s.beforeGC.heapStatistics.totalHeapSize);
  if (s.gcType === 'Scavenge' || s.gcType === 'MinorMarkCompact') {
    scavenges++;
    promoted += oldUsed(s.afterGC) - oldUsed(s.beforeGC);
  } else majors++;
}
function oldUsed(snapshot) {
  let used = 0;
  for (const space of snapshot.heapSpaceStatistics)
    if (space.spaceName === 'old_space' || space.spaceName === 'large_object_space')
      used += space.spaceUsedSize;
  return used;
}
const gcs = Math.max(statistics.length - 1, 1);
const perReq = (x) => (x / total).toFixed(1);
console.log(
  [
    `checkout=${dir}`,
    `mode=${mode}`,
    `requests=${total}`,
    `conc=${concurrency}`,
    `cpu_us_per_req=${perReq(cpu.user + cpu.system)}`,
    `alloc_kb_per_req=${(allocated / 1024 / total).toFixed(2)}`,
    `promoted_kb_per_req=${(promoted / 1024 / total).toFixed(2)}`,
    `peak_heap_mb=${(peakHeap / 1048576).toFixed(0)}`,
    `gc_scavenges=${scavenges}`,
    `gc_major=${majors}`,
    `gcs_measured=${gcs}`,
    `rps=${((total / wall) * 1000).toFixed(0)}`,
    `rss_mb=${(process.memoryUsage().rss / 1048576).toFixed(0)}`,
  ].join(' '),
);
await node.close();
