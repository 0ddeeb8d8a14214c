import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Storage } from '../../storage/ports.js';
import { openSqliteStorage } from '../../storage/sqlite/sqlite-storage.js';

/**
 * Picks the storage backend from DATABASE_URL. `sqlite:<path>` (or a bare path ending in
 * .db/.sqlite) opens an embedded file, creating its folder; `sqlite::memory:` keeps nothing.
 */
export async function openStorage(databaseUrl: string): Promise<{ storage: Storage; description: string }> {
  const filename = sqliteFilename(databaseUrl);
  if (filename === null) {
    const scheme = databaseUrl.split(':')[0];
    throw new Error(`DATABASE_URL: unsupported scheme "${scheme}:" (use sqlite:./data/switchboard.db)`);
  }
  if (filename !== ':memory:') mkdirSync(dirname(resolve(filename)), { recursive: true });
  const storage = await openSqliteStorage(filename);
  return {
    storage,
    description: filename === ':memory:' ? 'sqlite (in memory)' : `sqlite ${resolve(filename)}`,
  };
}

/** The SQLite file DATABASE_URL names (`:memory:` for none), or null for another scheme. */
export function sqliteFilename(url: string): string | null {
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length) || null;
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length) || null;
  if (url.startsWith('file:')) return url.slice('file:'.length) || null;
  if (url === ':memory:' || /\.(db|sqlite3?)$/i.test(url)) return url;
  return null;
}
