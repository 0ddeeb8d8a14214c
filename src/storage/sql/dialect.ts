import type { CompiledQuery, Kysely, RawBuilder } from 'kysely';
import type { Database } from './schema.js';

/**
 * What differs between the SQL backends that share the query modules in this folder. The
 * queries themselves are one Kysely text for all of them: both store booleans as 0/1 integers,
 * JSON as text, times as epoch-ms integers, and both speak `ON CONFLICT … DO UPDATE/NOTHING`
 * and `RETURNING`. Only what cannot be written the same way lives here.
 */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** Rows per multi-row INSERT, so a statement stays under the driver's bound-value limit. */
  readonly insertChunk: number;
  /**
   * Called after a sealed secret was deleted or replaced, so no old copy lingers where the
   * backend would otherwise keep it (SQLite: the WAL file).
   */
  forgetOldSecrets(db: Kysely<Database>): Promise<void>;
  /**
   * The rows of a bulk insert as one `SELECT` (for `INSERT … SELECT`), when the backend has a
   * cheaper form than `VALUES (…), (…)`: Postgres binds one array per column (`unnest`) instead
   * of one value per cell (bench/usage-postgres.ts: ~1,400 → ~2,300 usage records/s).
   */
  rowSource?(columns: ColumnTypes, rows: readonly object[]): RawBuilder<unknown>;
  /**
   * Runs the statements in order as one atomic unit, resolving to the rows each changed, when
   * the backend cannot hold a transaction across round-trips (D1: one `batch()`). Without it,
   * atomic.ts runs them in a transaction.
   */
  atomically?(queries: readonly CompiledQuery[]): Promise<number[]>;
}

/** Storage type of each column of a bulk insert, for backends that bind typed arrays. */
export type ColumnTypes = Readonly<Record<string, 'text' | 'int4' | 'int8' | 'float8'>>;
