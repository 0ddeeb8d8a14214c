import { ensureDefaultUser } from '../admin/user-service.js';
import type { Storage } from '../storage/ports.js';
import { createClientKey } from './key-service.js';

/** The meta entry that says which start made (or is making) the database's first client key. */
export const FIRST_KEY_META_KEY = 'first_client_key';

/**
 * On a start with an empty key table, makes the `first-key` client key and resolves to its
 * secret (to be shown once); null when keys exist, or when another start claimed the first key:
 * instances starting together on a new database, where each counted no key, make one between
 * them, and only the one that made it prints it. A database whose first key was made once (and
 * removed since) gets no other: its operator makes keys with the CLI or the admin API.
 */
export async function createFirstKeyIfNone(storage: Storage, now = Date.now): Promise<string | null> {
  if ((await storage.keys.count()) > 0) return null;
  const mine = crypto.randomUUID();
  if ((await storage.meta.claim(FIRST_KEY_META_KEY, mine)) !== mine) return null;
  const owner = await ensureDefaultUser({ storage, now });
  const { secret } = await createClientKey(storage.keys, { name: 'first-key', userId: owner.id });
  return secret;
}
