import type { Kysely, Updateable } from 'kysely';
import type { ChannelConfig } from '../../config/schema.js';
import type { ChannelRecord, ChannelStore, MetaStore, UserRecord, UserStore } from '../ports.js';
import type { SqlDialect } from './dialect.js';
import type { ChannelsTable, Database, UsersTable } from './schema.js';

export function sqlUserStore(db: Kysely<Database>): UserStore {
  const byId = (id: string) => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return {
    async create(user) {
      await db
        .insertInto('users')
        .values({
          id: user.id,
          name: user.name,
          email: user.email,
          notes: user.notes,
          enabled: user.enabled ? 1 : 0,
          created_at: user.createdAt,
          updated_at: user.updatedAt,
        })
        .execute();
      return user;
    },
    async get(id) {
      const row = await byId(id);
      return row ? toUser(row) : null;
    },
    async findByName(name) {
      const row = await db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async list() {
      const rows = await db.selectFrom('users').selectAll().orderBy('created_at').orderBy('name').execute();
      return rows.map(toUser);
    },
    async update(id, patch, at) {
      const set: Updateable<UsersTable> = { updated_at: at };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.email !== undefined) set.email = patch.email;
      if (patch.notes !== undefined) set.notes = patch.notes;
      if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
      await db.updateTable('users').set(set).where('id', '=', id).execute();
      const row = await byId(id);
      return row ? toUser(row) : null;
    },
    async delete(id) {
      const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async count() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
}

function toUser(row: UsersTable): UserRecord {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    notes: row.notes,
    enabled: row.enabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function sqlChannelStore(db: Kysely<Database>, dialect: SqlDialect): ChannelStore {
  return {
    async list() {
      const rows = await db.selectFrom('channels').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toChannel);
    },
    async get(id) {
      const row = await db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toChannel(row) : null;
    },
    async put(record) {
      const row = {
        id: record.id,
        config: JSON.stringify(record.config),
        enabled: record.enabled ? 1 : 0,
        source: record.source,
        created_at: record.createdAt,
        updated_at: record.updatedAt,
      };
      await db
        .insertInto('channels')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, id: undefined }))
        .execute();
      // A put may replace the channel's upstream keys.
      await dialect.forgetOldSecrets(db);
      return record;
    },
    async delete(id) {
      const result = await db.deleteFrom('channels').where('id', '=', id).executeTakeFirst();
      await dialect.forgetOldSecrets(db);
      return Number(result.numDeletedRows) > 0;
    },
  };
}

function toChannel(row: ChannelsTable): ChannelRecord {
  return {
    id: row.id,
    config: JSON.parse(row.config) as ChannelConfig,
    enabled: row.enabled === 1,
    source: row.source === 'file' ? 'file' : 'api',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function sqlMetaStore(db: Kysely<Database>): MetaStore {
  return {
    async get(key) {
      const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value ?? null;
    },
    async set(key, value) {
      await db
        .insertInto('meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: Date.now() }))
        .execute();
    },
    async claim(key, value) {
      await db
        .insertInto('meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      const row = await db
        .selectFrom('meta')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      return row.value;
    },
  };
}
