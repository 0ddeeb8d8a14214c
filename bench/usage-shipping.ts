import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { resolveSettings } from '../src/config/settings.js';
import { createLogger } from '../src/runtime/node/logger.js';
import { openUsageBuffer } from '../src/runtime/node/open-usage-buffer.js';
import type { UsageRecord } from '../src/spec/usage.js';
import { openPostgresStorage } from '../src/storage/postgres/postgres-storage.js';
import { openRedisLink, type RedisLink } from '../src/storage/redis/redis-link.js';
import { adminQuery, benchRecord } from './usage-fixtures.js';

/**
 * Usage records per second one process ships to Postgres through the usage buffer, as a
 * gateway on Postgres runs it (src/runtime/node/open-usage-buffer.ts): the Redis stream (with
 * REDIS_URL) and the local JSON-lines file (without). For each buffer it appends N final
 * records, `--concurrency` at a time (as many requests ending together), while the buffer's
 * shipper writes them to Postgres, and reports records/s for
 *   (a) appending into the buffer (until the last append resolved), and
 *   (b) end to end (from the first append until all N rows are in Postgres).
 *
 *   npx tsx bench/usage-shipping.ts [--url postgres://USER@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379] [--records 20000] [--concurrency 64]
 *
 * Each buffer gets a Postgres schema of its own (dropped at the end), the Redis one a key prefix
 * of its own (its keys deleted at the end), the file one a temporary directory (removed).
 */
const { values } = parseArgs({
  options: {
    url: {
      type: 'string',
      default: process.env.BENCH_POSTGRES_URL ?? `postgres://${userInfo().username}@127.0.0.1:5432/test`,
    },
    redis: { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    records: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
  },
});
const total = Number(values.records);
const concurrency = Number(values.concurrency);
const run = `${process.pid}_${Date.now().toString(36)}`;
// Shipping failures are logged as errors; the link's own notices (closed at the end) are not wanted.
const logger = createLogger('error');

const admin = (text: string) => adminQuery(values.url, text);
const record = (i: number, start: number) => benchRecord(i, start, total);

/** Deletes every key under `prefix` (the stream, its consumer group, the liveness keys). */
async function deleteKeys(link: RedisLink, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await link.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    if (keys.length > 0) await link.client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function measure(kind: 'redis' | 'file'): Promise<void> {
  const schema = `sb_ship_bench_${kind}_${run}`;
  const separator = values.url.includes('?') ? '&' : '?';
  const url = `${values.url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const prefix = `sb-ship-bench-${run}:`;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-ship-bench-'));
  await admin(`create schema ${schema}`);
  let link: RedisLink | null = null;
  const counter = new pg.Client({ connectionString: url });
  try {
    // Migrates the schema (as the gateway's storage does at start); later checks the rollups.
    const storage = await openPostgresStorage(url, { poolSize: 1 });
    const settings = resolveSettings({
      env: {
        DATABASE_URL: url,
        USAGE_BUFFER_FILE: join(dir, 'usage-journal.jsonl'),
        ...(kind === 'redis' ? { REDIS_URL: values.redis, REDIS_KEY_PREFIX: prefix } : {}),
      },
    });
    if (kind === 'redis') {
      link = await openRedisLink(values.redis, { logger, prefix });
      if (!link.up()) throw new Error(`redis: no answer at ${values.redis}`);
    }
    const buffer = await openUsageBuffer(settings, link, logger);
    if (!buffer) throw new Error('no usage buffer: the database URL is not a Postgres one');
    // As createApp does before serving: the file buffer ships nothing until it has recovered.
    await buffer.recover();
    await counter.connect();
    const shipped = async () =>
      (await counter.query<{ n: number }>('select count(*)::int as n from usage_records where open = 0'))
        .rows[0]?.n ?? 0;

    const start = Date.UTC(2026, 0, 5);
    const records = Array.from({ length: total }, (_, i) => record(i, start));
    const entries = records.map(() => crypto.randomUUID());
    const began = performance.now();
    for (let i = 0; i < total; i += concurrency) {
      const turn: (void | Promise<void>)[] = [];
      for (let j = i; j < Math.min(i + concurrency, total); j++)
        turn.push(buffer.append(entries[j] as string, records[j] as UsageRecord));
      await Promise.all(turn);
      // A gateway ends requests on separate event-loop turns: the shipper's I/O runs in between.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const appended = (performance.now() - began) / 1_000;
    let rows = await shipped();
    while (rows < total) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      rows = await shipped();
    }
    const endToEnd = (performance.now() - began) / 1_000;
    await buffer.close();
    const hours = await storage.usage.rollups({ dimension: 'all', from: 0, to: start + 86_400_000 });
    const counted = hours.reduce((n, r) => n + r.requests, 0);
    await storage.close();
    if (rows !== total) throw new Error(`${rows} rows in Postgres, expected ${total}`);
    if (counted !== total) throw new Error(`rollups count ${counted} requests, expected ${total}`);
    console.log(
      `${`${kind} buffer:`.padEnd(14)} append ${total} records ${appended.toFixed(2)} s, ` +
        `${Math.round(total / appended)} records/s; in Postgres after ${endToEnd.toFixed(2)} s, ` +
        `${Math.round(total / endToEnd)} records/s end to end (rows and rollups checked)`,
    );
  } finally {
    await counter.end().catch(() => {});
    if (link) {
      await deleteKeys(link, prefix);
      await link.close();
    }
    rmSync(dir, { recursive: true, force: true });
    await admin(`drop schema if exists ${schema} cascade`);
  }
}

console.log(`${total} final usage records, ${concurrency} appends at a time, one process`);
await measure('redis');
await measure('file');
