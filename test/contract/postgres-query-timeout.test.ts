import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { freshSchema, type PostgresSchema, postgresUrl } from '../support/services.js';

const server = await postgresUrl('the Postgres query time-out tests');

/** The time-out the storages here are opened with: small, so a blocked query outlives it. */
const TIMEOUT_MS = 300;

/** A connection of its own, to hold locks the storage's queries wait for. */
async function blocker(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/**
 * Resolves once a query of this schema's has waited on a lock for twice the time-out (read from
 * the server's own clock, not a timer here): the work it belongs to has outlived the time-out.
 */
async function waitedPastTimeout(observer: pg.Client, lock: 'relation' | 'advisory'): Promise<void> {
  for (;;) {
    const { rows } = await observer.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where wait_event_type = 'Lock' and wait_event = $1
          and clock_timestamp() - query_start > make_interval(secs => $2)`,
      [lock, (2 * TIMEOUT_MS) / 1000],
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!server)(
  'the Postgres pool gives up on a query that gets no answer',
  { timeout: 20_000 },
  () => {
    let schema: PostgresSchema;
    let storage: Storage;
    let holder: pg.Client;
    beforeAll(async () => {
      schema = await freshSchema(server ?? '');
      storage = await openPostgresStorage(schema.url, { poolSize: 1, queryTimeoutMs: TIMEOUT_MS });
      holder = await blocker(schema.url);
    });
    afterAll(async () => {
      await holder?.end().catch(() => {});
      await storage?.close().catch(() => {});
      await schema?.drop();
    });

    // An admin or usage query stuck behind a hung connection or a lock held elsewhere kept its pool
    // slot until TCP gave up; with a pool of one, every request after it waited too.
    it('an admin query held past DATABASE_QUERY_TIMEOUT_MS fails with a clear error and frees its slot', async () => {
      await holder.query('begin');
      await holder.query('lock table channels in access exclusive mode');
      try {
        await expect(storage.channels.list()).rejects.toThrow(
          `the database did not answer within ${TIMEOUT_MS} ms (DATABASE_QUERY_TIMEOUT_MS)`,
        );
      } finally {
        await holder.query('rollback');
      }
      // The pool's one connection was the stuck one: the next query gets a new one.
      await expect(storage.channels.list()).resolves.toEqual([]);
    });

    it('a retention prune that waits longer than the time-out still completes', async () => {
      await holder.query('begin');
      await holder.query('lock table audit_log in access exclusive mode');
      const pruned = storage.audit.prune(Date.now());
      const settled = pruned.then(
        (n) => ({ n }),
        (err: Error) => ({ err: err.message }),
      );
      const observer = await blocker(server ?? '');
      try {
        await Promise.race([waitedPastTimeout(observer, 'relation'), settled]);
      } finally {
        await holder.query('rollback');
        await observer.end();
      }
      expect(await settled).toEqual({ n: 0 });
    });
  },
);

describe.skipIf(!server)('migrations are not cut by the query time-out', { timeout: 20_000 }, () => {
  let schema: PostgresSchema;
  afterAll(async () => {
    await schema?.drop();
  });

  // Instances starting together wait for the first one's migrations under an advisory lock; a
  // wait (or a migration) longer than the time-out must not fail the start.
  it('a start that waits on another instance migrating longer than the time-out opens', async () => {
    schema = await freshSchema(server ?? '');
    const holder = await blocker(schema.url);
    await holder.query('select pg_advisory_lock($1, hashtext(current_schema()))', [0x5_3b0a]);
    const opening = openPostgresStorage(schema.url, { poolSize: 1, queryTimeoutMs: TIMEOUT_MS });
    const settled = opening.then(
      (storage) => ({ storage }),
      (err: Error) => ({ err: err.message }),
    );
    const observer = await blocker(server ?? '');
    try {
      await Promise.race([waitedPastTimeout(observer, 'advisory'), settled]);
    } finally {
      await holder.query('select pg_advisory_unlock_all()');
      await holder.end();
      await observer.end();
    }
    const result = await settled;
    expect(result).not.toHaveProperty('err');
    if ('storage' in result) {
      await expect(result.storage.channels.list()).resolves.toEqual([]);
      await result.storage.close();
    }
  });
});
