import type { KeyRecord, KeyStore, NewKey, Storage } from '../ports.js';
import { createMemoryAuditStore } from './memory-audit.js';
import { createMemoryCacheStore } from './memory-response-cache.js';
import { createMemoryResponseStore } from './memory-response-store.js';
import { createMemorySessionStore } from './memory-sessions.js';
import { createMemoryChannelStore, createMemoryMetaStore, createMemoryUserStore } from './memory-stores.js';
import { createMemoryUsageStore } from './memory-usage.js';

/** In-memory storage for tests and throwaway runs. */
export function createMemoryStorage(): Storage {
  const keys = new Map<string, KeyRecord>();
  const keyStore: KeyStore = {
    async create(key: NewKey) {
      if ([...keys.values()].some((k) => k.hash === key.hash)) throw new Error('duplicate key hash');
      const record: KeyRecord = { ...key, models: [...key.models], revokedAt: null };
      keys.set(record.id, record);
      return record;
    },
    async findByHash(hash) {
      for (const key of keys.values()) if (key.hash === hash) return key;
      return null;
    },
    async list() {
      return [...keys.values()].sort(
        (a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
    },
    async revoke(idOrName, at) {
      let count = 0;
      for (const key of keys.values()) {
        if ((key.id === idOrName || key.name === idOrName) && key.revokedAt === null) {
          keys.set(key.id, { ...key, revokedAt: at });
          count++;
        }
      }
      return count;
    },
    async count() {
      return keys.size;
    },
    async get(id) {
      return keys.get(id) ?? null;
    },
    async update(id, patch) {
      const current = keys.get(id);
      if (!current) return null;
      const next: KeyRecord = { ...current, ...patch };
      keys.set(id, next);
      return next;
    },
    async replaceSecret(id, secret) {
      const current = keys.get(id);
      if (!current || current.revokedAt !== null) return null;
      if ([...keys.values()].some((k) => k.hash === secret.hash && k.id !== id))
        throw new Error('duplicate key hash');
      const next: KeyRecord = { ...current, hash: secret.hash, last4: secret.last4 };
      keys.set(id, next);
      return next;
    },
    async delete(id) {
      return keys.delete(id);
    },
    async deleteByUser(userId) {
      let count = 0;
      for (const key of [...keys.values()]) {
        if (key.userId === userId) {
          keys.delete(key.id);
          count++;
        }
      }
      return count;
    },
  };
  const usage = createMemoryUsageStore();
  return {
    keys: keyStore,
    users: createMemoryUserStore(),
    channels: createMemoryChannelStore(),
    meta: createMemoryMetaStore(),
    sessions: createMemorySessionStore(),
    usage,
    openUsageJournal: usage.openJournal,
    audit: createMemoryAuditStore(),
    openResponseCache: createMemoryCacheStore,
    responses: createMemoryResponseStore(),
    async ping() {},
    async close() {},
  };
}
