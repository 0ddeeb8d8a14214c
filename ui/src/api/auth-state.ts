import { reactive } from 'vue';
import { forgetPlaygroundKey } from './playground-key';

/** The admin session as the panel knows it; the session cookie itself is HttpOnly. */
export interface SessionState {
  csrfToken: string | null;
  expiresAt: string | null;
  /** true once GET /session has answered (signed in or not) */
  checked: boolean;
  /** the session ended while the panel was open (expired, or signed out elsewhere): the sign-in page says so */
  lost: boolean;
  /** the deployment's currency, as the session answer names it (null when signed out): key budgets are in it */
  currency: string | null;
}

export const sessionState = reactive<SessionState>({
  csrfToken: null,
  expiresAt: null,
  checked: false,
  lost: false,
  currency: null,
});

export function isSignedIn(): boolean {
  return sessionState.csrfToken !== null;
}

export function setSession(csrfToken: string, expiresAt: string, currency: string): void {
  sessionState.csrfToken = csrfToken;
  sessionState.expiresAt = expiresAt;
  sessionState.currency = currency;
  sessionState.checked = true;
  sessionState.lost = false;
}

/** Signed out (or the session is gone): also forgets the Playground's client key. */
export function clearSessionState(): void {
  sessionState.csrfToken = null;
  sessionState.expiresAt = null;
  sessionState.currency = null;
  sessionState.checked = true;
  forgetPlaygroundKey();
}

type Listener = () => void;
const lostListeners = new Set<Listener>();

/**
 * Called when an admin request answers 401 (the session is gone); the router sends the user to
 * /login, which says that the session has ended.
 */
export function onSessionLost(listener: Listener): () => void {
  lostListeners.add(listener);
  return () => lostListeners.delete(listener);
}

export function notifySessionLost(): void {
  sessionState.lost = true;
  for (const listener of lostListeners) listener();
}
