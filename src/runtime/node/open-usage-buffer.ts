import { resolve } from 'node:path';
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../../spec/logger.js';
import { openPostgresDatabase, postgresDialect } from '../../storage/postgres/postgres-storage.js';
import type { RedisLink } from '../../storage/redis/redis-link.js';
import { redisUsageBuffer } from '../../storage/redis/redis-usage-buffer.js';
import { accountingView } from '../../storage/sql/accounting-schema.js';
import { sqlJournalSink } from '../../storage/sql/sql-usage-journal.js';
import type { BufferedJournal } from '../../usage/journal-shipper.js';
import { fileUsageBuffer } from './file-usage-buffer.js';
import { isPostgresUrl } from './open-storage.js';

/**
 * Postgres DATABASE_URL: usage records are buffered outside the process (a Redis stream with
 * REDIS_URL, else a local file) and shipped to Postgres, so neither a crash nor a Postgres
 * outage loses them. SQLite keeps its own journal: null.
 *
 * The shipper has a small pool of its own, with timeouts, so an unreachable database fails its
 * attempts quickly (and they are retried) instead of waiting on the storage's pool.
 */
export function openUsageBuffer(
  settings: Settings,
  redis: RedisLink | null,
  logger: Logger,
  now: () => number = Date.now,
): BufferedJournal | null {
  if (!isPostgresUrl(settings.databaseUrl)) return null;
  const db = openPostgresDatabase(settings.databaseUrl, 2, {
    connectionTimeoutMillis: 5_000,
    query_timeout: 30_000,
  });
  const sink = sqlJournalSink(accountingView(db), postgresDialect);
  const boot = crypto.randomUUID();
  const { max_records: maxRecords, file, claim_after_ms: claimAfterMs } = settings.accounting.usage.buffer;
  const buffer = redis
    ? redisUsageBuffer({ link: redis, sink, boot, logger, maxRecords, claimAfterMs, now })
    : fileUsageBuffer({ path: resolve(file), sink, boot, logger, maxRecords, now });
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
