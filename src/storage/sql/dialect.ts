import type { Kysely } from 'kysely';
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
}
