import type { Kysely, Updateable } from 'kysely';
import type { KeyLimits, KeyPatch, KeyRecord, KeyStore } from '../ports.js';
import type { SqlDialect } from './dialect.js';
import type { ClientKeysTable, Database } from './schema.js';

export function sqlKeyStore(db: Kysely<Database>, dialect: SqlDialect): KeyStore {
  return {
    async create(key) {
      await db
        .insertInto('client_keys')
        .values({
          id: key.id,
          name: key.name,
          prefix: key.prefix,
          hash: key.hash,
          last4: key.last4,
          models: JSON.stringify(key.models),
          purpose: key.purpose,
          created_at: key.createdAt,
          revoked_at: null,
          user_id: key.userId,
          enabled: key.enabled ? 1 : 0,
          expires_at: key.expiresAt,
          ip_allowlist: JSON.stringify(key.ipAllowlist),
          limits: JSON.stringify(key.limits),
          channel_id: key.channelId,
          byok: key.byok ? JSON.stringify(key.byok) : null,
        })
        .execute();
      return { ...key, revokedAt: null };
    },
    async findByHash(hash) {
      const row = await db.selectFrom('client_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    async list() {
      const rows = await db
        .selectFrom('client_keys')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toRecord);
    },
    async revoke(idOrName, at) {
      const result = await db
        .updateTable('client_keys')
        .set({ revoked_at: at })
        .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async count() {
      const row = await db
        .selectFrom('client_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    async get(id) {
      const row = await db.selectFrom('client_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    async update(id, patch) {
      const set = toRow(patch);
      if (Object.keys(set).length > 0)
        await db.updateTable('client_keys').set(set).where('id', '=', id).execute();
      if (patch.byok !== undefined) await dialect.forgetOldSecrets(db);
      const row = await db.selectFrom('client_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    async replaceSecret(id, secret) {
      const result = await db
        .updateTable('client_keys')
        .set({ hash: secret.hash, last4: secret.last4 })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return null;
      const row = await db.selectFrom('client_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    async delete(id) {
      const result = await db.deleteFrom('client_keys').where('id', '=', id).executeTakeFirst();
      await dialect.forgetOldSecrets(db);
      return Number(result.numDeletedRows) > 0;
    },
    async deleteByUser(userId) {
      const result = await db.deleteFrom('client_keys').where('user_id', '=', userId).executeTakeFirst();
      await dialect.forgetOldSecrets(db);
      return Number(result.numDeletedRows);
    },
  };
}

/** The columns a patch (or a whole new key) sets; absent fields are left out. */
function toRow(key: KeyPatch): Updateable<ClientKeysTable> {
  const row: Updateable<ClientKeysTable> = {};
  if (key.name !== undefined) row.name = key.name;
  if (key.models !== undefined) row.models = JSON.stringify(key.models);
  if (key.purpose !== undefined) row.purpose = key.purpose;
  if (key.enabled !== undefined) row.enabled = key.enabled ? 1 : 0;
  if (key.expiresAt !== undefined) row.expires_at = key.expiresAt;
  if (key.ipAllowlist !== undefined) row.ip_allowlist = JSON.stringify(key.ipAllowlist);
  if (key.limits !== undefined) row.limits = JSON.stringify(key.limits);
  if (key.channelId !== undefined) row.channel_id = key.channelId;
  if (key.byok !== undefined) row.byok = key.byok ? JSON.stringify(key.byok) : null;
  return row;
}

const NO_LIMITS: KeyLimits = { rpm: null, rph: null, tpm: null, concurrent: null, budget: null };

function toRecord(row: ClientKeysTable): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    last4: row.last4,
    models: JSON.parse(row.models) as string[],
    purpose: row.purpose,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    userId: row.user_id,
    enabled: row.enabled === 1,
    expiresAt: row.expires_at,
    ipAllowlist: JSON.parse(row.ip_allowlist) as string[],
    limits: { ...NO_LIMITS, ...(JSON.parse(row.limits) as Partial<KeyLimits>) },
    channelId: row.channel_id,
    byok: row.byok ? (JSON.parse(row.byok) as KeyRecord['byok']) : null,
  };
}
