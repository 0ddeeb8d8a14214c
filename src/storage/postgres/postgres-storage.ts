import { Kysely, Migrator, sql } from 'kysely';
import pg from 'pg';
import { withDeadline } from '../deadline.js';
import type { Storage } from '../ports.js';
import type { SqlDialect } from '../sql/dialect.js';
import {
  byMigrationName,
  migrationHistory,
  notMigrated,
  pendingMigrations,
  runMigrator,
} from '../sql/run-migrations.js';
import type { Database } from '../sql/schema.js';
import { sqlStorage } from '../sql/sql-storage.js';
import { arrayLiteral } from './array-literal.js';
import { CurrentSchemaPostgresDialect } from './current-schema-dialect.js';
import { postgresMigrationProvider } from './postgres-migrations.js';

/**
 * Postgres allows 65535 bound values per statement; 27 columns x 1000 rows stays under.
 * Old row versions (a replaced sealed key) are reclaimed by autovacuum, not on demand.
 */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  insertChunk: 1_000,
  forgetOldSecrets: async () => {},
  rowSource: (columns, rows) =>
    sql`select * from unnest(${sql.join(
      Object.entries(columns).map(
        ([name, type]) =>
          sql`${arrayLiteral(rows.map((row) => (row as Record<string, unknown>)[name]))}::${sql.raw(type)}[]`,
      ),
    )})`,
};

export interface PostgresOptions {
  /** Connections held at most by this process. */
  readonly poolSize: number;
  /** Longest wait for a connection, new or a free one from the pool (default 5 s). */
  readonly connectTimeoutMs?: number;
  /**
   * A query unanswered this long fails, and its connection is closed (default 30 s). Migrations
   * and retention prunes run on a connection of their own without it.
   */
  readonly queryTimeoutMs?: number;
  /** Run pending migrations on open (default); false refuses a database that is behind. */
  readonly migrate?: boolean;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Epoch-ms times, counts and sums arrive as int8/numeric, which pg hands over as strings; they
 * are read as numbers (exact up to 2^53, far beyond any time or token count stored here).
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Without a bound, a server that accepts and never answers (hung, overloaded, a proxy in front
 * of a dead one) holds a start, a migration or a request waiting for a connection forever.
 */
const CONNECT_TIMEOUT_MS = 5_000;

/** Default `queryTimeoutMs`, as DATABASE_QUERY_TIMEOUT_MS's. */
const QUERY_TIMEOUT_MS = 30_000;

export function openPostgresDatabase(
  url: string,
  poolSize: number,
  /** Further pool settings (timeouts). */
  extra: pg.PoolConfig = {},
  /** What a query time-out's message names as the allowance it ran out of. */
  timeoutSetting?: string,
): Kysely<Database> {
  return postgresKysely(openPostgresPool(url, poolSize, extra, timeoutSetting));
}

function openPostgresPool(
  url: string,
  poolSize: number,
  extra: pg.PoolConfig,
  /** Named in a time-out's message, so an operator knows what to raise. */
  timeoutSetting = '(query_timeout)',
): pg.Pool {
  const pool = new pg.Pool({
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    ...extra,
    connectionString: url,
    max: poolSize,
    types,
  });
  // A pooled connection that dies while idle is dropped and replaced by pg; the next query on
  // the pool reports real trouble. Without a listener the error would end the process.
  pool.on('error', () => {});
  // A connection that dies while checked out (a query running, the migration lock held) emits
  // its error on the client, not the pool: the query in flight rejects with it, and the pool
  // drops the client when it is released. Unheard, the event would end the process.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    // pg's `query_timeout` rejects a query that got no answer but leaves it running on its
    // connection, and every later query on that connection waits behind it: on a connection that
    // hangs (a dropped network), each failed again after the network was back. The connection
    // is closed instead (pg drops one with a query running), so the pool opens a new one.
    // The rejection names the setting, not pg's bare "Query read timeout".
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    Object.assign(client, {
      query: (...args: unknown[]) => {
        const result = query(...args);
        if (!(result instanceof Promise)) return result;
        return result.catch((err: unknown) => {
          if (!(err instanceof Error && err.message === 'Query read timeout')) throw err;
          client.end().catch(() => {});
          throw new Error(`the database did not answer within ${extra.query_timeout} ms ${timeoutSetting}`, {
            cause: err,
          });
        });
      },
    });
  });
  return pool;
}

function postgresKysely(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new CurrentSchemaPostgresDialect({ pool }) });
}

/** How long a health check's ping may hold a pooled connection. */
const PING_MS = 2_000;

/**
 * `select 1` on a pooled connection that is closed if no answer comes within `PING_MS`. A server
 * that hangs rather than refuses never answers a query already sent: the health check gives up
 * on it, and without the close the connection stayed checked out, until a few checks by a load
 * balancer held the whole pool.
 */
async function pingWithin(pool: pg.Pool, ms: number): Promise<void> {
  const client = await pool.connect();
  try {
    await withDeadline(client.query('select 1'), ms, `the database did not answer a ping within ${ms} ms`);
  } catch (err) {
    // Released with an error, the pool closes the connection instead of reusing it.
    client.release(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  client.release();
}

/** Postgres storage: many gateway processes share one database. */
export async function openPostgresStorage(url: string, options: PostgresOptions): Promise<Storage> {
  const connect: pg.PoolConfig =
    options.connectTimeoutMs === undefined ? {} : { connectionTimeoutMillis: options.connectTimeoutMs };
  const pool = openPostgresPool(
    url,
    options.poolSize,
    { ...connect, query_timeout: options.queryTimeoutMs ?? QUERY_TIMEOUT_MS },
    '(DATABASE_QUERY_TIMEOUT_MS)',
  );
  const db = postgresKysely(pool);
  // Work that may rightly outlast the query time-out (a migration, or the wait for another
  // instance's; a prune of a large backlog) runs on one connection of its own, opened when
  // needed, without it: it is never cut, and never holds a slot of the request pool.
  const longWork = postgresKysely(openPostgresPool(url, 1, connect));
  const closeAll = async () => {
    await Promise.all([db.destroy(), longWork.destroy()]);
  };
  try {
    if (options.migrate === false) await requireMigrated(db);
    else await migratePostgres(longWork);
  } catch (err) {
    await closeAll();
    throw err;
  }
  return sqlStorage(db, {
    dialect: postgresDialect,
    close: closeAll,
    ping: () => pingWithin(pool, PING_MS),
    longWork,
  });
}

/** Advisory lock class for migrations; the second key is the schema, so schemas migrate apart. */
const MIGRATION_LOCK = 0x5_3b0a;

/**
 * Runs every pending migration in one transaction that holds an advisory lock, so that
 * instances starting at once migrate one after the other: the first applies the migrations,
 * the rest find nothing left to do. Resolves to the names this call ran.
 *
 * One transaction, and a lock that is the transaction's: behind PgBouncer in transaction mode,
 * statements outside a transaction may each run on another server connection, so a session
 * lock could be released on the wrong one (and stay held) or be taken twice on the same one.
 */
export async function migratePostgres(db: Kysely<Database>): Promise<string[]> {
  return db.connection().execute(async (conn) => {
    const schema = await currentSchema(conn);
    await sql`begin`.execute(conn);
    try {
      await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK)}, hashtext(${schema}))`.execute(conn);
      const applied = await runMigrator(
        migrator(conn, schema, { inOpenTransaction: true }),
        await migrationHistory(conn, postgresMigrationProvider, schema),
      );
      await sql`commit`.execute(conn);
      return applied;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw err;
    }
  });
}

async function requireMigrated(db: Kysely<Database>): Promise<void> {
  const pending = await pendingMigrations(migrator(db, await currentSchema(db)));
  if (pending.length > 0) throw notMigrated(pending);
}

/**
 * The migration history lives in the schema the tables do. Named explicitly: left unnamed,
 * Kysely looks for its history table in every schema, and one in another schema of the same
 * database would pass for this one's.
 */
function migrator(
  db: Kysely<Database>,
  schema: string,
  options: { inOpenTransaction?: boolean } = {},
): Migrator {
  return new Migrator({
    db,
    provider: postgresMigrationProvider,
    migrationTableSchema: schema,
    nameComparator: byMigrationName,
    // Run inside the caller's transaction rather than one of Kysely's own.
    ...(options.inOpenTransaction ? { disableTransactions: true } : {}),
  });
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) {
    throw new Error(
      'DATABASE_URL: no schema to use: the search_path names none that exists (create it first)',
    );
  }
  return schema;
}
