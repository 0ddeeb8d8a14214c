import { sha256Hex } from '../../auth/key-secret.js';
import { toHex } from '../../encoding/hex.js';
import type { AdminSessionRecord, AdminSessionStore } from '../../storage/ports.js';

export interface StartedSession {
  /** The cookie value: 32 random bytes; only its hash is stored. */
  readonly cookieValue: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export interface AdminSessions {
  readonly ttlMs: number;
  start(now: number): Promise<StartedSession>;
  /**
   * The live session behind a cookie value, or null: unknown, signed out, expired, or signed in
   * with an admin token that has since been changed.
   */
  find(cookieValue: string, now: number): Promise<AdminSessionRecord | null>;
  end(cookieValue: string): Promise<void>;
}

/**
 * Admin panel sessions over the session store; expired rows are purged as new ones start. Each
 * session is tagged with (a hash of) the admin token's digest, so setting a new ADMIN_TOKEN ends
 * every session the old token opened.
 */
export function createAdminSessions(
  store: AdminSessionStore,
  ttlMs: number,
  tokenDigest: Uint8Array,
): AdminSessions {
  const tag = sha256Hex(`switchboard-session:${toHex(tokenDigest)}`).then((hex) => hex.slice(0, 32));
  return {
    ttlMs,
    async start(now) {
      await store.purgeExpired(now);
      const cookieValue = randomToken();
      const session: AdminSessionRecord = {
        idHash: await sha256Hex(cookieValue),
        csrfToken: randomToken(),
        tokenTag: await tag,
        createdAt: now,
        expiresAt: now + ttlMs,
      };
      await store.create(session);
      return { cookieValue, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
    },
    async find(cookieValue, now) {
      const idHash = await sha256Hex(cookieValue);
      const session = await store.find(idHash, now);
      if (!session) return null;
      if (session.tokenTag !== (await tag)) {
        await store.delete(idHash);
        return null;
      }
      return session;
    },
    async end(cookieValue) {
      await store.delete(await sha256Hex(cookieValue));
    },
  };
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Same-length strings compared without an early exit. */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
