import type { CompiledQuery, Kysely } from 'kysely';
import type { SqlDialect } from './dialect.js';

/**
 * Runs `queries` in order, all of them or none: the dialect's own way when it has one (D1's
 * `batch()`), else one transaction. Resolves to the rows each statement changed.
 */
export async function runAtomically<T>(
  db: Kysely<T>,
  dialect: SqlDialect,
  queries: readonly CompiledQuery[],
): Promise<number[]> {
  if (dialect.atomically) return dialect.atomically(queries);
  return db.transaction().execute(async (trx) => {
    const changed: number[] = [];
    for (const query of queries) {
      const result = await trx.executeQuery(query);
      changed.push(Number(result.numAffectedRows ?? 0));
    }
    return changed;
  });
}
