import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/spec/json.js';
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

/** Items of about `megabytes` MB in all, one ~1 MB `function_call_output` each (a file read). */
function bigItems(megabytes: number, fill = 'x'): JsonObject[] {
  return Array.from({ length: megabytes }, (_, n) => ({
    id: `item_${n}`,
    type: 'function_call_output',
    output: fill.repeat(1_000_000 / fill.length),
  }));
}

/** A stored_responses row as the SQL stores wrote it before long texts went in parts. */
export interface WholeRow {
  readonly owner: string;
  readonly id: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** JSON, whole. */
  readonly response: string;
  /** JSON, whole. */
  readonly inputItems: string;
}

/** Direct access to a SQL backend's tables, for what the port does not show. */
export interface SqlTables {
  /** How many rows stored_response_chunks holds, so a case can see that none outlives its entry. */
  countParts(): Promise<number>;
  /** Writes a row with its texts whole, as before stored_response_chunks existed. */
  insertWholeRow(row: WholeRow): Promise<void>;
}

/**
 * The stored-responses contract (previous_response_id, GET/DELETE /v1/responses/{id}); `tables`
 * for a SQL backend (which keeps long texts in parts) adds the cases that look at its tables.
 * `expiresByItself`: a backend that drops entries at their TTL on its own clock (KV), whose
 * `pruneExpired` has nothing to do; an expired entry must still read as gone.
 */
export function runResponseStoreContract(
  name: string,
  open: OpenStore<ResponseStore>,
  tables?: SqlTables,
  options: { readonly expiresByItself?: boolean } = {},
): void {
  describe(`response store contract: ${name}`, () => {
    const store = eachFresh(open);
    const storedParts = tables ? () => tables.countParts() : undefined;
    const prunes = !options.expiresByItself;

    it.skipIf(!tables)('reads a row written whole before texts went in parts, however long', async () => {
      const items = bigItems(1);
      await tables?.insertWholeRow({
        owner: 'alice',
        id: 'resp_whole',
        createdAt: T0,
        expiresAt: T0 + 60_000,
        response: JSON.stringify({ id: 'resp_whole', object: 'response' }),
        inputItems: JSON.stringify(items),
      });
      expect((await store().get('alice', 'resp_whole', T0 + 1))?.inputItems).toEqual(items);
      expect((await store().get('alice', 'resp_whole', T0 + 1))?.response.id).toBe('resp_whole');
      expect(await store().delete('alice', 'resp_whole', T0 + 1)).toBe(true);
      expect(await store().get('alice', 'resp_whole', T0 + 1)).toBeNull();
    });

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

    it('reads an id longer than any it stored as unknown (KV keys end at 512 bytes)', async () => {
      const id = `resp_${'é'.repeat(600)}`;
      expect(await store().get('alice', id, T0 + 1)).toBeNull();
      expect(await store().listInputItems('alice', id, { limit: 10, order: 'asc' }, T0 + 1)).toBeNull();
      expect(await store().delete('alice', id, T0 + 1)).toBe(false);
    });

    it('keeps a long conversation: several megabytes of input items (a coding agent’s file reads)', async () => {
      const file = 'x'.repeat(1_000_000);
      const items = [1, 2, 3].map((n) => ({ id: `item_${n}`, type: 'function_call_output', output: file }));
      await store().put(entry('alice', 'resp_long', { inputItems: items }));
      expect((await store().get('alice', 'resp_long', T0 + 1))?.inputItems).toHaveLength(3);
    });

    it('keeps a long conversation of multi-byte text and a large response exactly as put', async () => {
      // 4-byte characters (surrogate pairs in JS) and 3-byte ones: a part never splits a character.
      const items = [...bigItems(2, '😀'), ...bigItems(1, 'é€')];
      const response = {
        id: 'resp_big',
        object: 'response',
        output: [{ type: 'message', text: '€'.repeat(900_000) }],
      };
      await store().put(entry('alice', 'resp_big', { inputItems: items, response }));
      const got = await store().get('alice', 'resp_big', T0 + 1);
      expect(got?.inputItems).toEqual(items);
      expect(got?.response).toEqual(response);
      const page = await store().listInputItems('alice', 'resp_big', { limit: 1, order: 'desc' }, T0 + 1);
      expect(page?.items).toEqual(items.slice(-1));
      expect(await store().get('bob', 'resp_big', T0 + 1)).toBeNull();
    });

    it('replaces a long conversation put again with a shorter one, leaving nothing of the old', async () => {
      await store().put(entry('alice', 'resp_1', { inputItems: bigItems(4) }));
      const shorter = bigItems(1, 'y');
      await store().put(entry('alice', 'resp_1', { inputItems: shorter }));
      expect((await store().get('alice', 'resp_1', T0 + 1))?.inputItems).toEqual(shorter);
      const parts = storedParts ? await storedParts() : 0;
      await store().put(entry('alice', 'resp_1', { inputItems: [{ id: 'only' }] }));
      expect((await store().get('alice', 'resp_1', T0 + 1))?.inputItems).toEqual([{ id: 'only' }]);
      if (storedParts) {
        expect(parts).toBeGreaterThan(0);
        expect(await storedParts()).toBe(0);
      }
    });

    it('deletes and prunes a long conversation whole', async () => {
      await store().put(entry('alice', 'resp_del', { inputItems: bigItems(3) }));
      await store().put(entry('alice', 'resp_old', { inputItems: bigItems(3), expiresAt: T0 + 10 }));
      await store().put(entry('bob', 'resp_del', { inputItems: bigItems(3) }));
      expect(await store().delete('alice', 'resp_del', T0 + 1)).toBe(true);
      expect(await store().get('alice', 'resp_del', T0 + 1)).toBeNull();
      if (prunes) {
        expect(await store().pruneExpired(T0 + 10)).toBe(1);
        expect(await store().get('alice', 'resp_old', T0 + 1)).toBeNull();
      }
      expect((await store().get('bob', 'resp_del', T0 + 1))?.inputItems).toEqual(bigItems(3));
      expect(await store().delete('bob', 'resp_del', T0 + 1)).toBe(true);
      if (storedParts) expect(await storedParts()).toBe(0);
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
      if (!prunes) {
        expect(await store().get('alice', 'resp_new', T0 + 500)).not.toBeNull();
        expect(await store().get('alice', 'resp_new', T0 + 1_000)).toBeNull();
        return;
      }
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
