import { describe, expect, it } from 'vitest';
import {
  EDGE_KEY_LOOKUP_PATH,
  EDGE_USAGE_MAX_BYTES,
  EDGE_USAGE_MAX_RECORDS,
  EDGE_USAGE_PATH,
  type EdgeKeyAnswer,
  type EdgeKeyLookup,
  type EdgeUsageBatch,
} from '../../src/edge/edge-protocol.js';
import { createEdgeKeyCache } from '../../src/runtime/workers/edge/edge-key-cache.js';
import { openEdgeStorage } from '../../src/runtime/workers/edge/edge-storage.js';
import type { OriginClient } from '../../src/runtime/workers/edge/origin-client.js';
import { silentLogger } from '../../src/spec/logger.js';
import type { UsageRecord } from '../../src/spec/usage.js';
import { createMemoryResponseStore } from '../../src/storage/memory/memory-response-store.js';
import type { KeyRecord } from '../../src/storage/ports.js';

const hashOf = (n: number) => n.toString(16).padStart(64, '0');

/** An origin that knows every hash: key n belongs to user `u<n>`. It records the usage batches it gets. */
function fakeOrigin(): OriginClient & { readonly batches: EdgeUsageBatch[] } {
  const batches: EdgeUsageBatch[] = [];
  return {
    batches,
    async post<T>(path: string, body: unknown): Promise<T> {
      if (path === EDGE_USAGE_PATH) {
        batches.push(body as EdgeUsageBatch);
        return { received: (body as EdgeUsageBatch).records.length, duplicate: false } as T;
      }
      expect(path).toBe(EDGE_KEY_LOOKUP_PATH);
      const { hash } = body as EdgeKeyLookup;
      const n = Number.parseInt(hash, 16);
      const key = { id: `k${n}`, hash, userId: `u${n}` } as unknown as KeyRecord;
      const answer: EdgeKeyAnswer = { key, user: { id: `u${n}`, enabled: true } };
      return answer as T;
    },
    async ping() {},
  };
}

describe('edge storage (keys and owners through the origin)', () => {
  it("still knows a key's owner when other lookups fill the owner table between the key and its owner", async () => {
    const storage = openEdgeStorage({
      origin: fakeOrigin(),
      keyCache: createEdgeKeyCache(undefined, 60_000),
      now: Date.now,
      logger: silentLogger,
      responses: createMemoryResponseStore(),
      currency: 'USD',
    });
    // The table holds 10,000 owners; these fill it to one short of that.
    for (let n = 1; n < 10_000; n++) await storage.keys.findByHash(hashOf(n));
    // The authenticator reads the key, then its owner; another request's lookup lands in between.
    const key = await storage.keys.findByHash(hashOf(20_000));
    await storage.keys.findByHash(hashOf(20_001));
    expect(key?.userId).toBe('u20000');
    expect(await storage.users.get('u20000')).toMatchObject({ id: 'u20000', enabled: true });
  });

  it('sends a large backlog of usage records in batches the origin accepts', async () => {
    const origin = fakeOrigin();
    const storage = openEdgeStorage({
      origin,
      keyCache: createEdgeKeyCache(undefined, 60_000),
      now: Date.now,
      logger: silentLogger,
      responses: createMemoryResponseStore(),
      currency: 'USD',
    });
    const records = Array.from(
      { length: 2_500 },
      (_, i) => ({ requestId: `r${i}`, startedAt: 1, attempts: [] }) as unknown as UsageRecord,
    );
    await storage.usage.insertBatch(records);
    expect(origin.batches.length).toBeGreaterThan(1);
    for (const batch of origin.batches) {
      expect(batch.records.length).toBeLessThanOrEqual(EDGE_USAGE_MAX_RECORDS);
      expect(JSON.stringify(batch).length).toBeLessThanOrEqual(EDGE_USAGE_MAX_BYTES);
    }
    expect(origin.batches.flatMap((b) => b.records.map((r) => r.requestId))).toEqual(
      records.map((r) => r.requestId),
    );
    expect(new Set(origin.batches.map((b) => b.batchId)).size).toBe(origin.batches.length);
  });

  it("names the edge's currency on every usage batch, so the origin can refuse costs in another", async () => {
    const origin = fakeOrigin();
    const storage = openEdgeStorage({
      origin,
      keyCache: createEdgeKeyCache(undefined, 60_000),
      now: Date.now,
      logger: silentLogger,
      responses: createMemoryResponseStore(),
      currency: 'EUR',
    });
    const records = Array.from(
      { length: EDGE_USAGE_MAX_RECORDS + 1 },
      (_, i) => ({ requestId: `r${i}`, startedAt: 1, attempts: [] }) as unknown as UsageRecord,
    );
    await storage.usage.insertBatch(records);
    expect(origin.batches).toHaveLength(2);
    expect(origin.batches.map((b) => b.currency)).toEqual(['EUR', 'EUR']);
  });

  it('sends the records around one too large for any batch, which is dropped (not retried forever)', async () => {
    const origin = fakeOrigin();
    const storage = openEdgeStorage({
      origin,
      keyCache: createEdgeKeyCache(undefined, 60_000),
      now: Date.now,
      logger: silentLogger,
      responses: createMemoryResponseStore(),
      currency: 'USD',
    });
    const small = (id: string) => ({ requestId: id, startedAt: 1, attempts: [] }) as unknown as UsageRecord;
    const huge = { ...small('huge'), modelAsked: 'm'.repeat(EDGE_USAGE_MAX_BYTES) } as UsageRecord;
    await storage.usage.insertBatch([small('before'), huge, small('after')]);
    expect(origin.batches.flatMap((b) => b.records.map((r) => r.requestId))).toEqual(['before', 'after']);
  });
});
