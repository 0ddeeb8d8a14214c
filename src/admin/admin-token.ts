import { hexToBytes } from '../auth/constant-time.js';
import { generateKeySecret, sha256Hex } from '../auth/key-secret.js';
import type { MetaStore } from '../storage/ports.js';

export const ADMIN_TOKEN_META_KEY = 'admin_token_sha256';

export interface AdminToken {
  /** SHA-256 of the admin secret: all the gateway keeps. */
  readonly digest: Uint8Array;
  /** The secret, only when it was generated just now (to print once); otherwise null. */
  readonly generated: string | null;
}

/**
 * ADMIN_TOKEN from env wins. Without it, the hash stored on an earlier start is used; on the very
 * first start a token is generated, its hash stored, and the token handed back once to print.
 * Instances starting at once on a new database all end up with the one token whose hash was stored
 * first; only the instance that stored it prints it. There is no default password.
 */
export async function ensureAdminToken(meta: MetaStore, fromEnv: string | undefined): Promise<AdminToken> {
  if (fromEnv) return { digest: hexToBytes(await sha256Hex(fromEnv)), generated: null };
  const stored = await meta.get(ADMIN_TOKEN_META_KEY);
  if (stored) return { digest: hexToBytes(stored), generated: null };
  const token = generateKeySecret('admin');
  const digest = await sha256Hex(token);
  const kept = await meta.claim(ADMIN_TOKEN_META_KEY, digest);
  return { digest: hexToBytes(kept), generated: kept === digest ? token : null };
}
