import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { openPostgresStorage } from '../src/storage/postgres/postgres-storage.js';
import { adminQuery, benchRecord } from './usage-fixtures.js';

/**
 * Usage records per second written to Postgres by one process, in batches one after another
 * (as the usage writer sends them: each batch one transaction, raw rows plus rollup upserts).
 *
 *   npx tsx bench/usage-postgres.ts [--url postgres://USER@127.0.0.1:5432/test] [--records 50000] [--batch 500]
 *
 * Works in a schema of its own, dropped at the end.
 */
const { values } = parseArgs({
  options: {
    url: {
      type: 'string',
      default: process.env.BENCH_POSTGRES_URL ?? `postgres://${userInfo().username}@127.0.0.1:5432/test`,
    },
    records: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '500' },
  },
});
const total = Number(values.records);
const batchSize = Number(values.batch);
const schema = `sb_bench_${process.pid}_${Date.now().toString(36)}`;

const admin = (text: string) => adminQuery(values.url, text);
const record = (i: number, start: number) => benchRecord(i, start, total);

const separator = values.url.includes('?') ? '&' : '?';
const url = `${values.url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
await admin(`create schema ${schema}`);
try {
  const storage = await openPostgresStorage(url, { poolSize: 2 });
  const start = Date.UTC(2026, 0, 5);
  const records = Array.from({ length: total }, (_, i) => record(i, start));
  const began = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < total; i += batchSize) await storage.usage.insertBatch(records.slice(i, i + batchSize));
  const seconds = (performance.now() - began) / 1_000;
  const used = process.cpuUsage(cpu);
  const hours = await storage.usage.rollups({ dimension: 'all', from: 0, to: start + 86_400_000 });
  const counted = hours.reduce((n, r) => n + r.requests, 0);
  await storage.close();
  if (counted !== total) throw new Error(`rollups count ${counted} requests, expected ${total}`);
  console.log(
    `${total} usage records in batches of ${batchSize}: ${seconds.toFixed(2)} s, ` +
      `${Math.round(total / seconds)} records/s, this process ${((used.user + used.system) / total).toFixed(1)} µs CPU/record ` +
      `(rollups checked: ${counted} requests)`,
  );
} finally {
  await admin(`drop schema if exists ${schema} cascade`);
}
