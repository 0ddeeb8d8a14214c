import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import type { ResponseStore } from '../../src/storage/response-store.js';
import { freshSchema, type PostgresSchema, postgresUrl } from '../support/services.js';

const server = await postgresUrl('the Postgres stored-response lock order test');

const T0 = 1_750_000_000_000;
/** About 3 MB of input items: the entry has parts in stored_response_chunks. */
const LONG_ITEMS = Array.from({ length: 3 }, (_, n) => ({
  id: `item_${n}`,
  type: 'function_call_output',
  output: 'x'.repeat(1_000_000),
}));

/**
 * Another gateway process deletes an entry (DELETE /v1/responses/{id}) at the moment it expires,
 * while this one prunes: both must lock the entry's row before its parts, or each holds what the
 * other waits for and Postgres aborts one of them (deadlock detected).
 */
describe.skipIf(!server)('postgres stored responses: a prune and a delete of one entry at once', () => {
  let schema: PostgresSchema;
  let storage: Awaited<ReturnType<typeof openPostgresStorage>>;
  let store: ResponseStore;

  beforeAll(async () => {
    schema = await freshSchema(server ?? '');
    storage = await openPostgresStorage(schema.url, { poolSize: 2 });
    if (!storage.responses) throw new Error('postgres storage has no response store');
    store = storage.responses;
  });
  afterAll(async () => {
    await storage?.close();
    await schema?.drop();
  });

  it('takes the row before its parts, so neither is aborted as a deadlock', async () => {
    await store.put({
      owner: 'alice',
      id: 'resp_expiring',
      createdAt: T0,
      expiresAt: T0 + 60_000,
      response: { id: 'resp_expiring', object: 'response' },
      inputItems: LONG_ITEMS,
    });
    const other = new pg.Client({ connectionString: schema.url });
    // Who waits for whom, asked outside the other process's transaction (which would see a snapshot).
    const watcher = new pg.Client({ connectionString: schema.url });
    await other.connect();
    await watcher.connect();
    try {
      const [{ pid }] = (await other.query('select pg_backend_pid() as pid')).rows as [{ pid: number }];
      // The other process's delete, as the store runs it: the row (its clock says not yet expired)...
      await other.query('begin');
      const deleted = await other.query(
        'delete from stored_responses where owner = $1 and id = $2 and expires_at > $3',
        ['alice', 'resp_expiring', T0 + 59_999],
      );
      expect(deleted.rowCount).toBe(1);
      // ...while this process prunes what expired by its clock, and waits for that row.
      const pruning = store.pruneExpired(T0 + 60_000).then(
        (n) => ({ ok: true as const, n }),
        (err: unknown) => ({ ok: false as const, err: String(err) }),
      );
      await Promise.race([
        waitUntilBlockedBy(watcher, pid),
        pruning.then((result) => {
          throw new Error(`the prune ended without waiting for the row: ${JSON.stringify(result)}`);
        }),
      ]);
      // ...then the entry's parts. The prune must not hold them yet.
      const parts = await other
        .query('delete from stored_response_chunks where owner = $1 and id = $2', ['alice', 'resp_expiring'])
        .then(
          (r) => ({ ok: true as const, n: r.rowCount }),
          (err: unknown) => ({ ok: false as const, err: String(err) }),
        );
      await other.query(parts.ok ? 'commit' : 'rollback');
      expect(parts).toMatchObject({ ok: true });
      expect(parts.ok && parts.n).toBeGreaterThan(0);
      // The delete took the entry: the prune finds nothing left to prune, and fails on nothing.
      expect(await pruning).toEqual({ ok: true, n: 0 });
      expect(await store.get('alice', 'resp_expiring', T0)).toBeNull();
      const left = await other.query('select count(*)::int as n from stored_response_chunks');
      expect(left.rows[0]).toEqual({ n: 0 });
    } finally {
      await other.end();
      await watcher.end();
    }
  });
});

/** Resolves once some other backend waits for a lock that backend `pid` holds (10 s at most). */
async function waitUntilBlockedBy(client: pg.Client, pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`nothing waited for backend ${pid} within 10 s`);
    const { rows } = await client.query(
      'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
      [pid],
    );
    if ((rows[0] as { n: number }).n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
