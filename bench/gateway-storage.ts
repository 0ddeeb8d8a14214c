import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Where the benchmarked gateway keeps its state: a temporary SQLite file (the default), or a
 * Postgres schema and a Redis key prefix of the bench's own (`--database`, `--redis`), so a
 * run starts on an empty database (the first key `serve` prints is the bench's key) and leaves
 * nothing behind in a shared server.
 */
export interface GatewayStorage {
  /** Environment for the gateway process. */
  readonly env: Record<string, string>;
  /** For the report: `sqlite`, `postgres`, `postgres + redis`, `sqlite + redis`. */
  readonly label: string;
  /** Usage records the gateway wrote to Postgres (null on SQLite), read after it stopped. */
  usageRecords(): Promise<number | null>;
  /** Drops the Postgres schema and deletes the Redis keys. */
  close(): Promise<void>;
}

export interface GatewayStorageOptions {
  readonly work: string;
  /** A `postgres://` URL; unset: a SQLite file in `work`. */
  readonly database?: string | undefined;
  /** A `redis://` URL; unset: no Redis (state per process). */
  readonly redis?: string | undefined;
}

export async function prepareGatewayStorage(options: GatewayStorageOptions): Promise<GatewayStorage> {
  const id = `${process.pid}_${Date.now().toString(36)}`;
  const env: Record<string, string> = {};
  const closers: (() => Promise<void>)[] = [];
  let usageRecords = async (): Promise<number | null> => null;

  if (options.database === undefined) {
    env.DATABASE_URL = `sqlite:${join(options.work, 'bench.db')}`;
  } else {
    if (!/^postgres(ql)?:\/\//.test(options.database))
      throw new Error('--database takes a postgres:// URL (the default is a temporary SQLite file)');
    const adminUrl = options.database;
    const schema = `sb_gw_bench_${id}`;
    const query = async <T extends pg.QueryResultRow>(text: string): Promise<T[]> => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        return (await client.query<T>(text)).rows;
      } finally {
        await client.end();
      }
    };
    await query(`create schema ${schema}`);
    closers.push(async () => {
      await query(`drop schema if exists ${schema} cascade`);
    });
    const separator = adminUrl.includes('?') ? '&' : '?';
    env.DATABASE_URL = `${adminUrl}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    // Required on Postgres; a throwaway one, the schema is dropped at the end.
    env.SWITCHBOARD_SECRET_KEY = randomBytes(24).toString('base64url');
    // Without Redis the usage buffer is a journal file: in the run's folder, not the checkout.
    env.USAGE_BUFFER_FILE = join(options.work, 'usage-journal.jsonl');
    usageRecords = async () => {
      const rows = await query<{ n: string }>(`select count(*) as n from ${schema}.usage_records`);
      return Number(rows[0]?.n ?? 0);
    };
  }

  if (options.redis !== undefined) {
    const prefix = `sb-gw-bench-${id}:`;
    env.REDIS_URL = options.redis;
    env.REDIS_KEY_PREFIX = prefix;
    closers.push(async () => {
      const redis = new Redis(options.redis as string, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    });
  }

  const label = `${options.database === undefined ? 'sqlite' : 'postgres'}${options.redis === undefined ? '' : ' + redis'}`;
  return {
    env,
    label,
    usageRecords: () => usageRecords(),
    async close() {
      for (const close of closers.reverse()) await close().catch(() => {});
    },
  };
}
