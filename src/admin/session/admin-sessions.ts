import { sha256Hex } from '../../auth/key-secret.js';
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
  /** The live session behind a cookie value, or null (unknown, signed out or expired). */
  find(cookieValue: string, now: number): Promise<AdminSessionRecord | null>;
  end(cookieValue: string): Promise<void>;
}

/** Admin panel sessions over the session store; expired rows are purged as new ones start. */
export function createAdminSessions(store: AdminSessionStore, ttlMs: number): AdminSessions {
  return {
    ttlMs,
    async start(now) {
      await store.purgeExpired(now);
      const cookieValue = randomToken();
      const session: AdminSessionRecord = {
        idHash: await sha256Hex(cookieValue),
        csrfToken: randomToken(),
        createdAt: now,
        expiresAt: now + ttlMs,
      };
      await store.create(session);
      return { cookieValue, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
    },
    async find(cookieValue, now) {
      return store.find(await sha256Hex(cookieValue), now);
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
