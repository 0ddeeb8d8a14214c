import { type Kysely, sql } from 'kysely';
import type { Storage } from '../ports.js';
import type { UsageJournal } from '../usage-journal.js';
import { accountingView } from './accounting-schema.js';
import { sqlChannelStore, sqlMetaStore, sqlUserStore } from './admin-stores.js';
import { sqlAuditStore } from './audit-store.js';
import type { SqlDialect } from './dialect.js';
import { sqlKeyStore } from './key-store.js';
import { resealSqlSecrets } from './reseal-secrets.js';
import { sqlCacheStore } from './response-cache.js';
import type { Database } from './schema.js';
import { sqlSessionStore } from './session-store.js';
import { sqlResponseStore } from './stored-responses.js';
import { sqlUsageStore } from './usage-store.js';

export interface SqlBackend {
  readonly dialect: SqlDialect;
  readonly close: () => Promise<void>;
  /** The backend's synchronous usage journal, if it has one (SQLite); else records go in batches. */
  readonly openUsageJournal?: (bootId: string) => UsageJournal;
  /** The backend's own health ping (default: `select 1`). */
  readonly ping?: () => Promise<void>;
  /**
   * The database retention prunes run on, when it is not `db`: Postgres gives them a connection
   * without the query time-out, as a first prune of a large backlog may rightly take long.
   */
  readonly longWork?: Kysely<Database>;
}

/** Every storage port over one migrated SQL database; the backend opens `db` and closes it. */
export function sqlStorage(db: Kysely<Database>, backend: SqlBackend): Storage {
  const { dialect, close, openUsageJournal, ping } = backend;
  const longWork = backend.longWork ?? db;
  return {
    keys: sqlKeyStore(db, dialect),
    users: sqlUserStore(db),
    channels: sqlChannelStore(db, dialect),
    meta: sqlMetaStore(db),
    sessions: sqlSessionStore(db),
    usage: {
      ...sqlUsageStore(accountingView(db), dialect),
      prune: sqlUsageStore(accountingView(longWork), dialect).prune,
    },
    audit: { ...sqlAuditStore(db), prune: sqlAuditStore(longWork).prune },
    ...(openUsageJournal ? { openUsageJournal } : {}),
    responses: {
      ...sqlResponseStore(db, dialect),
      pruneExpired: sqlResponseStore(longWork, dialect).pruneExpired,
    },
    openResponseCache: (bounds) => sqlCacheStore(accountingView(db), bounds),
    resealSecrets: (reseal) => resealSqlSecrets(db, dialect, reseal),
    async ping() {
      if (ping) await ping();
      else await sql`select 1`.execute(db);
    },
    close,
  };
}
