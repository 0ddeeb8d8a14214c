import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/ports.js';
import {
  runChannelStoreContract,
  runMetaStoreContract,
  runSessionStoreContract,
  runUserStoreContract,
} from './admin-stores.contract.js';
import { runAuditStoreContract } from './audit-store.contract.js';
import { runCacheStoreContract } from './cache-store.contract.js';
import { newKey, runKeyStoreContract } from './key-store.contract.js';
import { eachFresh } from './opened.js';
import { HOUR, record, runUsageStoreContract, T0 } from './usage-store.contract.js';

/**
 * Every port contract for a backend that provides the whole `Storage`: each suite opens its own
 * fresh storage and reads the one port it tests.
 */
export function runStorageContract(name: string, open: () => Promise<Storage>): void {
  const port =
    <T>(pick: (storage: Storage) => T) =>
    async () => {
      const storage = await open();
      return { store: pick(storage), close: () => storage.close() };
    };
  describe(`storage contract: ${name}`, () => {
    const storage = eachFresh(async () => {
      const opened = await open();
      return { store: opened, close: () => opened.close() };
    });
    it('answers ping', async () => {
      await expect(storage().ping()).resolves.toBeUndefined();
    });
  });
  runKeyStoreContract(
    name,
    port((s) => s.keys),
  );
  runUserStoreContract(
    name,
    port((s) => s.users),
  );
  runChannelStoreContract(
    name,
    port((s) => s.channels),
  );
  runMetaStoreContract(
    name,
    port((s) => s.meta),
  );
  runSessionStoreContract(
    name,
    port((s) => s.sessions),
  );
  runUsageStoreContract(
    name,
    port((s) => s.usage),
  );
  runAuditStoreContract(
    name,
    port((s) => s.audit),
  );
  runCacheStoreContract(name, async (bounds) => {
    const s = await open();
    return { store: s.openResponseCache(bounds), close: () => s.close() };
  });
}

/**
 * Two instances on one backend at once (two gateway processes on one database): what one
 * writes, the other reads, and rollups written by both add up.
 */
export function runSharedStorageContract(
  name: string,
  openPair: () => Promise<{ a: Storage; b: Storage; close(): Promise<void> }>,
): void {
  describe(`two instances on one backend: ${name}`, () => {
    const pair = eachFresh(async () => {
      const opened = await openPair();
      return { store: opened, close: () => opened.close() };
    });

    it('reads on one instance the keys written, revoked and deleted by the other', async () => {
      const { a, b } = pair();
      const key = newKey();
      await a.keys.create(key);
      expect(await b.keys.findByHash(key.hash)).toEqual({ ...key, revokedAt: null });
      await b.keys.revoke(key.id, 9_000);
      expect((await a.keys.get(key.id))?.revokedAt).toBe(9_000);
      await a.keys.delete(key.id);
      expect(await b.keys.findByHash(key.hash)).toBeNull();
    });

    it('keeps one of two values claimed at once, and tells both instances which', async () => {
      const { a, b } = pair();
      const [fromA, fromB] = await Promise.all([a.meta.claim('m', 'from-a'), b.meta.claim('m', 'from-b')]);
      expect(fromA).toBe(fromB);
      expect(['from-a', 'from-b']).toContain(fromA);
      expect(await a.meta.get('m')).toBe(fromA);
    });

    it('adds up the rollups both instances write into the same rows', async () => {
      const { a, b } = pair();
      const batches = Array.from({ length: 10 }, (_, n) =>
        Array.from({ length: 4 }, (_, i) => record(200 + n * 4 + i, { startedAt: T0 + n * 1_000 + i })),
      );
      // Interleaved: a, b, a, b, …, every batch landing in the same hourly rows.
      for (const [n, batch] of batches.entries()) await (n % 2 ? b : a).usage.insertBatch(batch);
      const all = batches.flat();
      for (const reader of [a, b]) {
        const [row] = await reader.usage.rollups({ dimension: 'all', from: T0, to: T0 + HOUR });
        expect(row?.requests).toBe(all.length);
        expect(row?.promptTokens).toBe(all.reduce((n, r) => n + (r.usage?.promptTokens ?? 0), 0));
        expect(row?.latencyHistogram.reduce((x, y) => x + y, 0)).toBe(all.length);
      }
    });
  });
}
