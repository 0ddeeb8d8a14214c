import type { KeyRecord, KeyStore, NewKey, Storage } from '../ports.js';

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
      return [...keys.values()].sort((a, b) => a.createdAt - b.createdAt);
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
  };
  return { keys: keyStore, async ping() {}, async close() {} };
}
