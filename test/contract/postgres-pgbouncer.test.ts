import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, openPostgresDatabase } from '../../src/storage/postgres/postgres-storage.js';
import { postgresUrl, serviceMissing } from '../support/services.js';

/**
 * docs/deployment.md recommends PgBouncer in transaction mode in front of Postgres, and says
 * migrating at start (or with `switchboard migrate`) is safe from several places at once. In
 * transaction mode each statement outside a transaction may run on another server connection:
 * a migration must take and drop its lock inside one transaction. The test runs its own
 * PgBouncer (the Debian package's binary; .ci/run installs it) on a free port, in front of a
 * database it makes and drops.
 */
const SUITE = 'the PgBouncer migration tests';
const server = await postgresUrl(SUITE);
const binary = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((path) => existsSync(path)) ?? null;
if (server && !binary) serviceMissing('PgBouncer', 'no pgbouncer binary (apt-get install pgbouncer)', SUITE);
const DB = `sb_pgbouncer_${process.pid}`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function query(text: string, database = 'test'): Promise<pg.QueryResult> {
  const url = new URL(server ?? '');
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Rejects when `promise` has not settled within `ms` (a start held on a leaked lock never does). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe.skipIf(!server || !binary)(
  'migrations through PgBouncer in transaction mode',
  { timeout: 60_000 },
  () => {
    let dir = '';
    let bouncer: ChildProcess | null = null;
    let url = '';
    beforeAll(async () => {
      await query(`create database ${DB}`);
      const user = new URL(server ?? '').username;
      dir = mkdtempSync(join(tmpdir(), 'sb-pgbouncer-'));
      chmodSync(dir, 0o777);
      const port = await freePort();
      const ini = join(dir, 'pgbouncer.ini');
      writeFileSync(
        ini,
        [
          '[databases]',
          `${DB} = host=127.0.0.1 port=5432 dbname=${DB} user=${user}`,
          '[pgbouncer]',
          'listen_addr = 127.0.0.1',
          `listen_port = ${port}`,
          'auth_type = any',
          'pool_mode = transaction',
          'default_pool_size = 4',
          // Idle server connections are handed out in turn, so consecutive statements of one
          // client land on different ones, as under load.
          'server_round_robin = 1',
          'unix_socket_dir =',
          `logfile = ${join(dir, 'pgbouncer.log')}`,
          `pidfile = ${join(dir, 'pgbouncer.pid')}`,
          // PgBouncer refuses to run as root: it then drops to this user.
          ...(process.getuid?.() === 0 ? ['user = nobody'] : []),
        ].join('\n'),
      );
      chmodSync(ini, 0o644);
      bouncer = spawn(binary ?? 'pgbouncer', [ini], { stdio: 'ignore' });
      url = `postgres://${user}@127.0.0.1:${port}/${DB}`;
      for (let i = 0; i < 100; i++) {
        const client = new pg.Client({ connectionString: url });
        try {
          await client.connect();
          await client.query('select 1');
          await client.end();
          return;
        } catch {
          await client.end().catch(() => {});
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      const log = spawnSync('cat', [join(dir, 'pgbouncer.log')], { encoding: 'utf8' }).stdout;
      throw new Error(`pgbouncer did not come up: ${log}`);
    });
    afterAll(async () => {
      bouncer?.kill('SIGTERM');
      await new Promise((resolve) => bouncer?.once('exit', resolve) ?? resolve(undefined));
      await query(`drop database if exists ${DB} with (force)`).catch(() => {});
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a migration leaves no lock behind, and a later start is not held', async () => {
      // PgBouncer has several server connections open (other instances' traffic).
      const warm = [1, 2, 3, 4].map(() => new pg.Client({ connectionString: url }));
      await Promise.all(warm.map((c) => c.connect()));
      await Promise.all(warm.map((c) => c.query('select pg_sleep(0.2)')));
      await Promise.all(warm.map((c) => c.end()));

      const first = openPostgresDatabase(url, 1);
      try {
        expect((await migratePostgres(first)).length).toBeGreaterThan(0);
      } finally {
        await first.destroy();
      }
      const held = await query(
        `select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
       where l.locktype = 'advisory' and d.datname = '${DB}' and l.granted`,
      );
      expect(held.rows[0]?.n).toBe(0);
      const later = openPostgresDatabase(url, 1);
      try {
        expect(await within(migratePostgres(later), 15_000, 'a later start')).toEqual([]);
      } finally {
        void later.destroy().catch(() => {});
      }
    });

    it('three instances starting together all start, one of them migrating', async () => {
      // A clean slate: PgBouncer's server connections ended, the database emptied.
      await query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${DB}'`);
      await query('drop schema public cascade; create schema public', DB);
      const dbs = [1, 2, 3].map(() => openPostgresDatabase(url, 2));
      try {
        const ran = await within(Promise.all(dbs.map((db) => migratePostgres(db))), 20_000, 'three starts');
        expect(ran.filter((names) => names.length > 0)).toHaveLength(1);
      } finally {
        // Not awaited: a start stuck on a lock would hold destroy() too (stopping PgBouncer frees it).
        void Promise.all(dbs.map((db) => db.destroy())).catch(() => {});
      }
    });
  },
);
