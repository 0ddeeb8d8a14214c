import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';

/**
 * What one Redis round trip costs this machine, from Node through ioredis, as a gateway on
 * Postgres + Redis pays it twice per limited request (the limits take before the upstream call,
 * the usage record's XADD before the answer's last byte). It times PINGs one at a time: back to
 * back, then with an idle gap before each, as a gateway at one connection leaves Redis idle
 * between requests. On a virtual machine an idle gap lets both processes' CPUs sleep, and waking
 * them is part of the round trip.
 *
 *   npx tsx bench/redis-round-trip.ts [--redis redis://127.0.0.1:6379] [--pings 2000] [--gaps 0,1,2]
 */
const { values } = parseArgs({
  options: {
    redis: { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    pings: { type: 'string', default: '2000' },
    /** Idle milliseconds before each PING, one run per value. */
    gaps: { type: 'string', default: '0,1,2' },
  },
});
const pings = Number(values.pings);
const gaps = values.gaps.split(',').map(Number);
if (!Number.isInteger(pings) || pings < 10 || gaps.some((g) => !Number.isFinite(g) || g < 0)) {
  process.stderr.write('--pings must be a whole number of at least 10, --gaps milliseconds >= 0\n');
  process.exit(2);
}

const client = new Redis(values.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
await client.connect();
await client.ping();
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
try {
  for (const gap of gaps) {
    const micros: number[] = [];
    for (let i = 0; i < pings; i++) {
      if (gap > 0) await pause(gap);
      const start = process.hrtime.bigint();
      await client.ping();
      micros.push(Number(process.hrtime.bigint() - start) / 1_000);
    }
    micros.sort((a, b) => a - b);
    process.stdout.write(
      `idle ${gap} ms before each: PING round trip p50 ${percentile(micros, 0.5).toFixed(0)} µs, p90 ${percentile(micros, 0.9).toFixed(0)} µs, p99 ${percentile(micros, 0.99).toFixed(0)} µs (${pings} pings)\n`,
    );
  }
} finally {
  client.disconnect();
}
