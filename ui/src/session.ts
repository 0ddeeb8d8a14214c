import { shallowRef } from 'vue';
import { clearSessionState, isSignedIn, sessionState, setSession } from './api/auth-state';
import { ApiError, api } from './api/client';
import type { SessionInfo } from './api/types';

/** Reactive: `session.csrfToken` (null when signed out), `session.expiresAt`, `session.checked`. */
export const session = sessionState;
export { isSignedIn, onSessionLost } from './api/auth-state';

/**
 * Why the last session check could not tell (a 5xx, or the gateway unreachable); null once it
 * answered. The login page shows it: such a failure is not "signed out".
 */
export const sessionCheckError = shallowRef<unknown>(null);

/** Signs in with the admin token. Throws ApiError (401 invalid_admin_token, 429 with retryAfter). */
export async function signIn(secret: string): Promise<void> {
  const info = await api<SessionInfo>('POST', '/session', { secret });
  sessionCheckError.value = null;
  setSession(info.csrf_token, info.expires_at, info.currency);
}

/**
 * Ends the session on the server and forgets it here, with the Playground's key. Throws ApiError
 * when the gateway did not end it (unreachable, 5xx): the HttpOnly cookie would stay valid, so
 * the panel stays signed in rather than pretend. A session already gone (401) is signed out.
 */
export async function signOut(): Promise<void> {
  if (isSignedIn()) {
    try {
      await api<void>('DELETE', '/session');
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
  }
  clearSessionState();
}

let loading: Promise<boolean> | null = null;

/**
 * Asks the server whether the cookie holds a live session (GET /session). Resolves true when
 * signed in, false otherwise. Only a 401 means signed out; any other failure leaves the session
 * unchecked (asked again on the next navigation) and is kept in `sessionCheckError`.
 */
export function loadSession(): Promise<boolean> {
  loading ??= (async () => {
    try {
      const info = await api<SessionInfo>('GET', '/session');
      setSession(info.csrf_token, info.expires_at, info.currency);
      sessionCheckError.value = null;
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        clearSessionState();
        sessionCheckError.value = null;
      } else {
        sessionCheckError.value = err;
      }
      return false;
    } finally {
      loading = null;
    }
  })();
  return loading;
}

/** Loads the session once per page load; later calls answer from memory. */
export async function ensureSession(): Promise<boolean> {
  if (sessionState.checked) return isSignedIn();
  return loadSession();
}
