import { describe, expect, it } from 'vitest';
import { createFirstKeyIfNone } from '../../src/auth/first-key.js';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.js';

describe('the first client key of a new database', () => {
  it('is made once by starts that race on an empty key table', async () => {
    const storage = createMemoryStorage();
    const secrets = await Promise.all([1, 2, 3].map(() => createFirstKeyIfNone(storage)));
    expect(secrets.filter((s) => s !== null)).toHaveLength(1);
    const keys = await storage.keys.list();
    expect(keys.map((k) => k.name)).toEqual(['first-key']);
  });

  it('is not made again once keys exist, nor after the first one was removed', async () => {
    const storage = createMemoryStorage();
    expect(await createFirstKeyIfNone(storage)).toMatch(/^sk-/);
    expect(await createFirstKeyIfNone(storage)).toBeNull();
    for (const key of await storage.keys.list()) await storage.keys.delete(key.id);
    expect(await createFirstKeyIfNone(storage)).toBeNull();
    expect(await storage.keys.count()).toBe(0);
  });
});
