import {
  type ChannelRecord,
  type ChannelStore,
  DEFAULT_USER_ID,
  type MetaStore,
  type UserRecord,
  type UserStore,
} from '../ports.js';

/** Users in memory; like the SQLite migration, it starts with the `default` user. */
export function createMemoryUserStore(): UserStore {
  const users = new Map<string, UserRecord>();
  users.set(DEFAULT_USER_ID, {
    id: DEFAULT_USER_ID,
    name: 'default',
    email: null,
    notes: 'owns keys created without a user',
    enabled: true,
    createdAt: 0,
    updatedAt: 0,
  });
  return {
    async create(user) {
      if ([...users.values()].some((u) => u.name === user.name || u.id === user.id)) {
        throw new Error(`UNIQUE constraint failed: users.name`);
      }
      users.set(user.id, user);
      return user;
    },
    async get(id) {
      return users.get(id) ?? null;
    },
    async findByName(name) {
      for (const user of users.values()) if (user.name === name) return user;
      return null;
    },
    async list() {
      return [...users.values()].sort((a, b) => a.createdAt - b.createdAt);
    },
    async update(id, patch, at) {
      const current = users.get(id);
      if (!current) return null;
      if (patch.name && [...users.values()].some((u) => u.name === patch.name && u.id !== id)) {
        throw new Error(`UNIQUE constraint failed: users.name`);
      }
      const next: UserRecord = { ...current, ...patch, updatedAt: at };
      users.set(id, next);
      return next;
    },
    async delete(id) {
      return users.delete(id);
    },
    async count() {
      return users.size;
    },
  };
}

export function createMemoryChannelStore(): ChannelStore {
  const channels = new Map<string, ChannelRecord>();
  return {
    async list() {
      return [...channels.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    },
    async get(id) {
      return channels.get(id) ?? null;
    },
    async put(record) {
      channels.set(record.id, record);
      return record;
    },
    async delete(id) {
      return channels.delete(id);
    },
  };
}

export function createMemoryMetaStore(): MetaStore {
  const values = new Map<string, string>();
  return {
    async get(key) {
      return values.get(key) ?? null;
    },
    async set(key, value) {
      values.set(key, value);
    },
    async claim(key, value) {
      const stored = values.get(key);
      if (stored !== undefined) return stored;
      values.set(key, value);
      return value;
    },
  };
}
