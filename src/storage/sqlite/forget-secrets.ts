import { type Kysely, sql } from 'kysely';
import type { Database } from '../sql/schema.js';

/**
 * Called after a secret was deleted or replaced. `secure_delete` (set on open) zeroes the freed
 * bytes in the database file, but in WAL mode the old page still sits in the -wal file until a
 * checkpoint copies the new one over it; TRUNCATE checkpoints and empties the -wal file.
 * A reader in another process may hold the checkpoint back; the next one finishes the job.
 */
export async function forgetOldSecrets(db: Kysely<Database>): Promise<void> {
  await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
}
