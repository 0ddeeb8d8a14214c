import { describe, expect, it } from 'vitest';
import type { ResponseStore, StoredResponse } from '../../src/storage/response-store.js';
import { eachFresh, type OpenStore } from './opened.js';

const T0 = 1_750_000_000_000;

function entry(owner: string, id: string, fields: Partial<StoredResponse> = {}): StoredResponse {
  return {
    id,
    owner,
    createdAt: T0,
    expiresAt: T0 + 60_000,
    response: { id, object: 'response', output: [{ type: 'message', id: `msg_${id}` }] },
    inputItems: ['a', 'b', 'c', 'd', 'e'].map((n) => ({ id: `item_${n}`, type: 'message', role: 'user' })),
    ...fields,
  };
}

/** The stored-responses contract (previous_response_id, GET/DELETE /v1/responses/{id}). */
export function runResponseStoreContract(name: string, open: OpenStore<ResponseStore>): void {
  describe(`response store contract: ${name}`, () => {
    const store = eachFresh(open);

    it('returns what was put to its owner only, and keeps two owners’ equal ids apart', async () => {
      await store().put(entry('alice', 'resp_1'));
      await store().put(entry('bob', 'resp_1', { response: { id: 'resp_1', mine: 'bob' } }));
      const alice = await store().get('alice', 'resp_1', T0 + 1);
      expect(alice?.response.output).toEqual([{ type: 'message', id: 'msg_resp_1' }]);
      expect(alice?.inputItems).toHaveLength(5);
      expect((await store().get('bob', 'resp_1', T0 + 1))?.response.mine).toBe('bob');
      expect(await store().get('carol', 'resp_1', T0 + 1)).toBeNull();
      expect(await store().get('alice', 'resp_unknown', T0 + 1)).toBeNull();
    });

    it('reads an id holding a NUL as unknown (a client may send any id; Postgres text holds no NUL)', async () => {
      await store().put(entry('alice', 'resp_1'));
      expect(await store().get('alice', 'resp_1\u0000', T0 + 1)).toBeNull();
      expect(
        await store().listInputItems('alice', 'resp_\u00001', { limit: 10, order: 'asc' }, T0 + 1),
      ).toBeNull();
      expect(await store().delete('alice', '\u0000', T0 + 1)).toBe(false);
      expect(await store().get('alice', 'resp_1', T0 + 1)).not.toBeNull();
    });

    it('replaces an entry put again under the same owner and id', async () => {
      await store().put(entry('alice', 'resp_1'));
      await store().put(entry('alice', 'resp_1', { inputItems: [{ id: 'only' }] }));
      expect((await store().get('alice', 'resp_1', T0 + 1))?.inputItems).toEqual([{ id: 'only' }]);
    });

    it('hides an expired entry and prunes it', async () => {
      await store().put(entry('alice', 'resp_old', { expiresAt: T0 + 10 }));
      await store().put(entry('alice', 'resp_new', { expiresAt: T0 + 1_000 }));
      expect(await store().get('alice', 'resp_old', T0 + 10)).toBeNull();
      expect(
        await store().listInputItems('alice', 'resp_old', { limit: 10, order: 'asc' }, T0 + 10),
      ).toBeNull();
      expect(await store().delete('alice', 'resp_old', T0 + 10)).toBe(false);
      expect(await store().pruneExpired(T0 + 500)).toBeLessThanOrEqual(1);
      expect(await store().get('alice', 'resp_new', T0 + 500)).not.toBeNull();
      expect(await store().pruneExpired(T0 + 2_000)).toBeGreaterThanOrEqual(1);
      expect(await store().get('alice', 'resp_new', T0 + 1)).toBeNull();
    });

    it('deletes for the owner only', async () => {
      await store().put(entry('alice', 'resp_1'));
      expect(await store().delete('bob', 'resp_1', T0 + 1)).toBe(false);
      expect(await store().get('alice', 'resp_1', T0 + 1)).not.toBeNull();
      expect(await store().delete('alice', 'resp_1', T0 + 1)).toBe(true);
      expect(await store().get('alice', 'resp_1', T0 + 1)).toBeNull();
      expect(await store().delete('alice', 'resp_1', T0 + 1)).toBe(false);
    });

    it('pages input items by limit, order and after', async () => {
      await store().put(entry('alice', 'resp_1'));
      const ids = async (query: Parameters<ResponseStore['listInputItems']>[2]) => {
        const page = await store().listInputItems('alice', 'resp_1', query, T0 + 1);
        return { ids: page?.items.map((item) => item.id), hasMore: page?.hasMore };
      };
      expect(await ids({ limit: 2, order: 'asc' })).toEqual({ ids: ['item_a', 'item_b'], hasMore: true });
      expect(await ids({ limit: 2, order: 'asc', after: 'item_b' })).toEqual({
        ids: ['item_c', 'item_d'],
        hasMore: true,
      });
      expect(await ids({ limit: 2, order: 'asc', after: 'item_d' })).toEqual({
        ids: ['item_e'],
        hasMore: false,
      });
      expect(await ids({ limit: 3, order: 'desc' })).toEqual({
        ids: ['item_e', 'item_d', 'item_c'],
        hasMore: true,
      });
      expect(await ids({ limit: 10, order: 'desc', after: 'item_b' })).toEqual({
        ids: ['item_a'],
        hasMore: false,
      });
      expect(await store().listInputItems('bob', 'resp_1', { limit: 2, order: 'asc' }, T0 + 1)).toBeNull();
    });
  });
}
