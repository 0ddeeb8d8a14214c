import type { Kysely } from 'kysely';
import { KEY_CHECK_META } from '../../auth/secret-check.js';
import { mapSecretHeaders } from '../../auth/secret-headers.js';
import type { ChannelConfig } from '../../config/schema.js';
import type { ByokKey } from '../ports.js';
import type { SqlDialect } from './dialect.js';
import type { Database } from './schema.js';

/**
 * Re-writes every sealed secret — channel upstream keys and secret headers, BYOK keys, the key
 * check — through `reseal`, in one transaction: if any value fails to re-seal, nothing changes.
 */
export async function resealSqlSecrets(
  db: Kysely<Database>,
  dialect: SqlDialect,
  reseal: (sealed: string) => Promise<string>,
): Promise<number> {
  const count = await db.transaction().execute(async (trx) => {
    let n = 0;
    for (const row of await trx.selectFrom('channels').select(['id', 'config']).execute()) {
      const config = JSON.parse(row.config) as ChannelConfig;
      const keys = await Promise.all(config.keys.map(reseal));
      n += keys.length;
      // Secret headers too; one stored in clear by an older version is sealed now.
      const headers = await mapSecretHeaders(config.headers, reseal);
      await trx
        .updateTable('channels')
        .set({ config: JSON.stringify({ ...config, keys, headers }) })
        .where('id', '=', row.id)
        .execute();
    }
    const keyRows = await trx
      .selectFrom('client_keys')
      .select(['id', 'byok'])
      .where('byok', 'is not', null)
      .execute();
    for (const row of keyRows) {
      const byok = JSON.parse(row.byok ?? 'null') as ByokKey | null;
      if (!byok) continue;
      const sealedKey = await reseal(byok.sealedKey);
      n++;
      await trx
        .updateTable('client_keys')
        .set({ byok: JSON.stringify({ ...byok, sealedKey }) })
        .where('id', '=', row.id)
        .execute();
    }
    const check = await trx
      .selectFrom('meta')
      .select('value')
      .where('key', '=', KEY_CHECK_META)
      .executeTakeFirst();
    if (check) {
      const value = await reseal(check.value);
      await trx.updateTable('meta').set({ value }).where('key', '=', KEY_CHECK_META).execute();
    }
    return n;
  });
  await dialect.forgetOldSecrets(db);
  return count;
}
