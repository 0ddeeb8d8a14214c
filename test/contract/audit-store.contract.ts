import { describe, expect, it } from 'vitest';
import type { AuditStore, NewAuditEntry } from '../../src/storage/audit-port.js';
import { eachFresh, type OpenStore } from './opened.js';

const T0 = Date.parse('2026-05-01T00:00:00Z');

function entry(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    at: T0,
    actor: { type: 'admin-token', id: null },
    action: 'create',
    objectType: 'key',
    objectId: 'k1',
    objectName: 'alpha',
    changes: { name: { before: null, after: 'alpha' }, limits: { before: null, after: { rpm: 5 } } },
    address: '127.0.0.1',
    userAgent: 'test/1',
    ...overrides,
  };
}

/** The audit log port: append-only, newest first, filters, cursor pages, retention prune. */
export function runAuditStoreContract(name: string, open: OpenStore<AuditStore>): void {
  describe(`audit store contract: ${name}`, () => {
    const store = eachFresh(open);

    it('gives back an appended entry whole, with a sequence number', async () => {
      const appended = await store().append(entry({ actor: { type: 'session', id: 'abc123' } }));
      expect(appended.seq).toBeGreaterThan(0);
      const page = await store().list({ limit: 10 });
      expect(page.nextCursor).toBeNull();
      expect(page.entries).toEqual([
        { ...entry({ actor: { type: 'session', id: 'abc123' } }), seq: appended.seq },
      ]);
    });

    it('keeps null changes and unknown address as null', async () => {
      await store().append(entry({ changes: null, address: null, userAgent: null, objectId: null }));
      const [only] = (await store().list({ limit: 10 })).entries;
      expect(only).toMatchObject({ changes: null, address: null, userAgent: null, objectId: null });
    });

    it('lists newest first, entries of the same millisecond in append order reversed', async () => {
      await store().append(entry({ at: T0, objectId: 'a' }));
      await store().append(entry({ at: T0 + 5, objectId: 'b' }));
      await store().append(entry({ at: T0 + 5, objectId: 'c' }));
      const ids = (await store().list({ limit: 10 })).entries.map((e) => e.objectId);
      expect(ids).toEqual(['c', 'b', 'a']);
    });

    it('filters by actor type or id, action, object type and id, and time range', async () => {
      await store().append(entry({ at: T0, actor: { type: 'cli', id: null }, objectId: 'k1' }));
      await store().append(entry({ at: T0 + 10, actor: { type: 'session', id: 's1' }, action: 'update' }));
      await store().append(entry({ at: T0 + 20, objectType: 'user', objectId: 'u1', action: 'delete' }));
      const ids = async (q: Parameters<AuditStore['list']>[0]) =>
        (await store().list(q)).entries.map((e) => `${e.objectType}:${e.objectId}@${e.at - T0}`);
      expect(await ids({ limit: 10, actor: 'cli' })).toEqual(['key:k1@0']);
      expect(await ids({ limit: 10, actor: 's1' })).toEqual(['key:k1@10']);
      expect(await ids({ limit: 10, action: 'delete' })).toEqual(['user:u1@20']);
      expect(await ids({ limit: 10, objectType: 'key' })).toEqual(['key:k1@10', 'key:k1@0']);
      expect(await ids({ limit: 10, objectId: 'u1' })).toEqual(['user:u1@20']);
      expect(await ids({ limit: 10, since: T0 + 10 })).toEqual(['user:u1@20', 'key:k1@10']);
      expect(await ids({ limit: 10, until: T0 + 10 })).toEqual(['key:k1@0']);
      expect(await ids({ limit: 10, since: T0 + 5, until: T0 + 15 })).toEqual(['key:k1@10']);
    });

    it('pages with a cursor: every entry once, none twice, across equal timestamps', async () => {
      for (let i = 0; i < 7; i++)
        await store().append(entry({ at: T0 + Math.floor(i / 3), objectId: `k${i}` }));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await store().list({ limit: 3, cursor, objectType: 'key' });
        seen.push(...page.entries.map((e) => e.objectId ?? ''));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(['k6', 'k5', 'k4', 'k3', 'k2', 'k1', 'k0']);
    });

    it('says there is no next page when the last page is exactly full', async () => {
      for (let i = 0; i < 2; i++) await store().append(entry({ at: T0 + i }));
      expect((await store().list({ limit: 2 })).nextCursor).toBeNull();
    });

    it('prunes only entries older than the cut-off', async () => {
      await store().append(entry({ at: T0, objectId: 'old' }));
      await store().append(entry({ at: T0 + 1000, objectId: 'new' }));
      expect(await store().prune(T0 + 1000)).toBe(1);
      expect((await store().list({ limit: 10 })).entries.map((e) => e.objectId)).toEqual(['new']);
      expect(await store().prune(T0 + 1000)).toBe(0);
    });
  });
}
