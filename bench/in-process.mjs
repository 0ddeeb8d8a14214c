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
import { GCProfiler } from 'node:v8';
import { startInProcessGateway } from './in-process-gateway.mjs';

const [dirArg = '.', mode = 'stream', nArg = '4000', concArg = '32'] = process.argv.slice(2);
const dir = resolve(dirArg);
const total = Number(nArg);
const concurrency = Number(concArg);
if (!['stream', 'nonstream'].includes(mode) || !(total > 0) || !(concurrency > 0)) {
  console.error('usage: node bench/in-process.mjs <checkout> <stream|nonstream> [requests] [concurrency]');
  process.exit(2);
}
const { run, close } = await startInProcessGateway(dir, {
  mode,
  limits: Boolean(process.env.BENCH_LIMITS),
  upstreamDelayMs: Number(process.env.BENCH_UPSTREAM_DELAY_MS ?? 0),
  databaseUrl: process.env.BENCH_DATABASE_URL,
});

await run(Math.min(500, total), concurrency); // warm-up: JIT, caches, key lookups
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
await run(total, concurrency);
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
await close();
