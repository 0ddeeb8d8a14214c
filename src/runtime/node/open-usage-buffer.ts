import { resolve } from 'node:path';
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../../spec/logger.js';
import type { RedisLink } from '../../storage/redis/redis-link.js';
import type { BufferedJournal } from '../../usage/journal-shipper.js';
import { isPostgresUrl } from './open-storage.js';

/**
 * Postgres DATABASE_URL: usage records are buffered outside the process (a Redis stream with
 * REDIS_URL, else a local file) and shipped to Postgres, so neither a crash nor a Postgres
 * outage loses them. SQLite keeps its own journal: null.
 *
 * The shipper has a small pool of its own, with timeouts, so an unreachable database fails its
 * attempts quickly (and they are retried) instead of waiting on the storage's pool. The driver
 * and the buffers are imported here, on Postgres only: a SQLite gateway never loads them.
 */
export async function openUsageBuffer(
  settings: Settings,
  redis: RedisLink | null,
  logger: Logger,
  now: () => number = Date.now,
): Promise<BufferedJournal | null> {
  if (!isPostgresUrl(settings.databaseUrl)) return null;
  const [{ openPostgresDatabase, postgresDialect }, { accountingView }, { sqlJournalSink }, { salvaged }] =
    await Promise.all([
      import('../../storage/postgres/postgres-storage.js'),
      import('../../storage/sql/accounting-schema.js'),
      import('../../storage/sql/sql-usage-journal.js'),
      import('../../usage/report-salvaged.js'),
    ]);
  const makeBuffer = redis
    ? (await import('../../storage/redis/redis-usage-buffer.js')).redisUsageBuffer
    : null;
  const makeFileBuffer = redis ? null : (await import('./file-usage-buffer.js')).fileUsageBuffer;
  // Its own allowance, not DATABASE_QUERY_TIMEOUT_MS: a batch of records is larger work than a
  // request's query, and a failed attempt is retried anyway.
  const db = openPostgresDatabase(
    settings.databaseUrl,
    2,
    { connectionTimeoutMillis: settings.database.connectTimeoutMs, query_timeout: 30_000 },
    '(the usage shipper allows 30 s per query)',
  );
  const sink = sqlJournalSink(accountingView(db), postgresDialect, {
    onSalvaged: (entry, outcome, reason) => salvaged(logger, entry.record, outcome, reason),
  });
  const boot = crypto.randomUUID();
  const { max_records: maxRecords, file, claim_after_ms: claimAfterMs } = settings.accounting.usage.buffer;
  const buffer =
    redis && makeBuffer
      ? makeBuffer({ link: redis, sink, boot, logger, maxRecords, claimAfterMs, now })
      : (makeFileBuffer as NonNullable<typeof makeFileBuffer>)({
          path: resolve(file),
          sink,
          boot,
          logger,
          maxRecords,
          now,
        });
  return {
    open: buffer.open,
    append: buffer.append,
    rollUp: buffer.rollUp,
    recover: buffer.recover,
    backlogFull: buffer.backlogFull,
    health: buffer.health,
    async close() {
      await buffer.close();
      await db.destroy();
    },
  };
}
