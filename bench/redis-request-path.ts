import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { LimitSubject } from '../src/limits/limit-values.js';
import { createLimiter } from '../src/limits/limiter.js';
import { createLogger } from '../src/runtime/node/logger.js';
import { createFallbackCounters } from '../src/storage/fallback-counters.js';
import { createMemoryCounterStore } from '../src/storage/memory/memory-counters.js';
import {
  openPostgresDatabase,
  openPostgresStorage,
  postgresDialect,
} from '../src/storage/postgres/postgres-storage.js';
import { createRedisCounterStore } from '../src/storage/redis/redis-counters.js';
import { openRedisLink } from '../src/storage/redis/redis-link.js';
import { redisUsageBuffer } from '../src/storage/redis/redis-usage-buffer.js';
import { accountingView } from '../src/storage/sql/accounting-schema.js';
import { sqlJournalSink } from '../src/storage/sql/sql-usage-journal.js';
import { adminQuery, benchRecord } from './usage-fixtures.js';

/**
 * What the Redis side of a gateway request with limits costs one process, without HTTP: the
 * limits take (one Lua script), then the final usage record's XADD and the limit settle issued
 * together, `--concurrency` requests at a time, as `serve` on Postgres + Redis runs them, while
 * the shipper moves the records from the stream to Postgres. Prints requests/s and CPU µs per
 * request until the last append resolved ("request path", which includes the shipping done
 * meanwhile) and until every row is in Postgres ("with shipping"). `--no-limits` leaves out the
 * take and settle, `--no-journal` the XADD (and so the shipping).
 *
 * It also prints what the same requests cost Redis: the CPU time of Redis's main thread (INFO
 * cpu) over the round, per request. Redis runs commands on that one thread for every gateway
 * instance, so this figure bounds the requests per second one Redis serves across all of them.
 * It counts every client of that Redis: run it on a Redis nothing else is using.
 *
 *   npx tsx bench/redis-request-path.ts [--url postgres://…] [--requests 20000] [--concurrency 32] [--rounds 3]
 */
const { values } = parseArgs({
  options: {
    url: {
      type: 'string',
      default: process.env.BENCH_POSTGRES_URL ?? `postgres://${userInfo().username}@127.0.0.1:5432/test`,
    },
    redis: { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    /** Leave out the limits take and settle (only the usage record's XADD). */
    'no-limits': { type: 'boolean', default: false },
    /** Leave out the usage record (only the limits take and settle). */
    'no-journal': { type: 'boolean', default: false },
  },
});
const total = Number(values.requests);
const concurrency = Number(values.concurrency);
const run = `${process.pid}_${Date.now().toString(36)}`;
const logger = createLogger('error');
const schema = `sb_redis_path_bench_${run}`;
const prefix = `sb-redis-path-bench-${run}:`;
const separator = values.url.includes('?') ? '&' : '?';
const url = `${values.url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

const subject: LimitSubject = {
  kind: 'key',
  id: 'bench-key',
  limits: { rpm: 1e8, rph: null, tpm: 1e12, concurrent: 100_000, budget: 1e9, budgetPeriod: 'total' },
};

await adminQuery(values.url, `create schema ${schema}`);
const storage = await openPostgresStorage(url, { poolSize: 1 });
const link = await openRedisLink(values.redis, { logger, prefix });
const db = openPostgresDatabase(url, 2, { connectionTimeoutMillis: 5_000, query_timeout: 30_000 });
const sink = sqlJournalSink(accountingView(db), postgresDialect);
const buffer = redisUsageBuffer({
  link,
  sink,
  boot: crypto.randomUUID(),
  logger,
  maxRecords: 10_000_000,
  claimAfterMs: 30_000,
  now: Date.now,
});
const counters = createFallbackCounters({
  shared: createRedisCounterStore(link),
  local: createMemoryCounterStore(),
  link,
  logger,
});
const limiter = createLimiter({ counters: counters.store, spentSince: async () => 0 });
const counter = new pg.Client({ connectionString: url });
await counter.connect();
const shipped = async () =>
  (await counter.query<{ n: number }>('select count(*)::int as n from usage_records')).rows[0]?.n ?? 0;

let done = 0;
async function request(i: number): Promise<void> {
  const reservation = values['no-limits']
    ? null
    : await limiter.reserve({ subjects: [subject], tokens: 300, cost: 0.001 });
  const record = benchRecord(done + i, Date.now(), total);
  const written = values['no-journal'] ? undefined : buffer.append(crypto.randomUUID(), record);
  void reservation?.settle({ tokens: 250, cost: 0.0008 });
  await (written ?? new Promise((r) => setImmediate(r)));
}

/** Seconds of CPU Redis's main thread has used since it started. */
async function redisCpuSeconds(): Promise<number> {
  const info = await link.client.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  const seconds = field('used_cpu_sys_main_thread') + field('used_cpu_user_main_thread');
  if (!Number.isFinite(seconds))
    throw new Error('INFO cpu has no main-thread figures: not Redis 6.2 or later');
  return seconds;
}

async function round(n: number): Promise<void> {
  const before = await shipped();
  const redis0 = await redisCpuSeconds();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) await request(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu1 = process.cpuUsage(cpu0);
  const t1 = performance.now();
  while (!values['no-journal'] && (await shipped()) < before + n) await new Promise((r) => setTimeout(r, 10));
  const cpu2 = process.cpuUsage(cpu0);
  const redisUs = ((await redisCpuSeconds()) - redis0) * 1e6;
  done += n;
  const us = (c: NodeJS.CpuUsage) => (c.user + c.system) / n;
  process.stdout.write(
    `${n} requests c=${concurrency}: ${Math.round(n / ((t1 - t0) / 1000))} req/s, request path ${us(cpu1).toFixed(1)} µs CPU/request, with shipping ${us(cpu2).toFixed(1)} µs; Redis ${(redisUs / n).toFixed(1)} µs CPU/request\n`,
  );
}

try {
  await round(2_000);
  for (let r = 0; r < Number(values.rounds); r++) await round(total);
} finally {
  await buffer.close();
  counters.close();
  let cursor = '0';
  do {
    const [nextCursor, keys] = await link.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    if (keys.length > 0) await link.client.del(...keys);
    cursor = nextCursor;
  } while (cursor !== '0');
  await link.close();
  await counter.end();
  await db.destroy();
  await storage.close();
  await adminQuery(values.url, `drop schema if exists ${schema} cascade`);
}
