import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_POOL_SIZE, DEFAULT_QUERY_TIMEOUT_MS } from '../../config/settings.js';
import type { Storage } from '../../storage/ports.js';
import { migrateSqlite, openSqliteDatabase, openSqliteStorage } from '../../storage/sqlite/sqlite-storage.js';
import { databaseUrlProblem, invalidPostgresUrl } from './database-url-problem.js';

export interface OpenStorageOptions {
  /** Postgres connections this process holds at most (default 10). */
  readonly poolSize?: number;
  /** Longest wait for a Postgres connection (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** A Postgres query unanswered this long fails (default 30 s). */
  readonly queryTimeoutMs?: number;
  /** Run pending migrations first (default); false refuses a database that is behind. */
  readonly migrate?: boolean;
}

/**
 * Picks the storage backend from DATABASE_URL. `postgres://` (or `postgresql://`) opens a pool
 * on a shared server; `sqlite:<path>` (or a bare path ending in .db/.sqlite) opens an embedded
 * file, creating its folder; `sqlite::memory:` keeps nothing.
 */
export async function openStorage(
  databaseUrl: string,
  options: OpenStorageOptions = {},
): Promise<{ storage: Storage; description: string }> {
  const target = storageTarget(databaseUrl);
  if (target.kind === 'postgres') {
    const { openPostgresStorage } = await loadPostgres();
    const storage = await openPostgresStorage(databaseUrl, {
      poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      queryTimeoutMs: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      migrate: options.migrate ?? true,
    });
    return { storage, description: target.description };
  }
  if (target.filename !== ':memory:') mkdirSync(dirname(resolve(target.filename)), { recursive: true });
  const storage = await openSqliteStorage(target.filename, { migrate: options.migrate ?? true });
  return { storage, description: target.description };
}

/** `switchboard migrate`: runs the pending migrations alone; resolves to their names. */
export async function migrateDatabase(
  databaseUrl: string,
  connectTimeoutMs?: number,
): Promise<{ applied: string[]; description: string }> {
  const target = storageTarget(databaseUrl);
  if (target.kind === 'sqlite' && target.filename !== ':memory:')
    mkdirSync(dirname(resolve(target.filename)), { recursive: true });
  const postgres = target.kind === 'postgres' ? await loadPostgres() : null;
  const db =
    target.kind === 'sqlite'
      ? openSqliteDatabase(target.filename)
      : (postgres ?? (await loadPostgres())).openPostgresDatabase(
          databaseUrl,
          1,
          connectTimeoutMs === undefined ? {} : { connectionTimeoutMillis: connectTimeoutMs },
        );
  try {
    const applied = postgres ? await postgres.migratePostgres(db) : await migrateSqlite(db);
    return { applied, description: target.description };
  } finally {
    await db.destroy();
  }
}

/** Loaded only for a Postgres URL: a SQLite gateway or CLI call never pays for the driver. */
function loadPostgres() {
  return import('../../storage/postgres/postgres-storage.js');
}

type StorageTarget =
  | { kind: 'postgres'; description: string }
  | { kind: 'sqlite'; filename: string; description: string };

function storageTarget(databaseUrl: string): StorageTarget {
  if (isPostgresUrl(databaseUrl)) return { kind: 'postgres', description: describePostgres(databaseUrl) };
  const filename = sqliteFilename(databaseUrl);
  if (filename === null) throw new Error(databaseUrlProblem(databaseUrl));
  return {
    kind: 'sqlite',
    filename,
    description: filename === ':memory:' ? 'sqlite (in memory)' : `sqlite ${resolve(filename)}`,
  };
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** Host, port and database for the start line: never the user's password. */
function describePostgres(url: string): string {
  try {
    const parsed = new URL(url);
    return `postgres ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    throw new Error(invalidPostgresUrl());
  }
}

/** The SQLite file DATABASE_URL names (`:memory:` for none), or null for another scheme. */
export function sqliteFilename(url: string): string | null {
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length) || null;
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length) || null;
  if (url.startsWith('file:')) return url.slice('file:'.length) || null;
  if (url === ':memory:' || /\.(db|sqlite3?)$/i.test(url)) return url;
  return null;
}
