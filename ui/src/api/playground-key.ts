/**
 * The client key the Playground uses, kept in this tab's sessionStorage (never localStorage): the
 * new-key dialog's "Use in Playground" puts a new key here. It is forgotten when the admin session ends.
 */
const STORAGE_KEY = 'sb.playgroundKey';

export function readPlaygroundKey(): string {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

/** Remembers the key for this tab; an empty key forgets it. */
export function storePlaygroundKey(key: string): void {
  try {
    if (key) sessionStorage.setItem(STORAGE_KEY, key);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage unavailable (private mode): the key lives in the page only
  }
}

/**
 * After a rotation (the same key, a new secret): when the Playground holds the key's old secret
 * (`masked` is its masked form before, `prefix-…last4`), it takes the new one, so it does not go
 * on sending a secret the gateway now refuses. Another key held there stays.
 */
export function followRotation(masked: string, prefix: string, secret: string): void {
  const held = readPlaygroundKey();
  const last4 = masked.slice(-4);
  if (held && held !== secret && held.startsWith(`${prefix}-`) && held.endsWith(last4)) {
    storePlaygroundKey(secret);
  }
}

const MODEL_STORAGE_KEY = 'sb.playgroundModel';

/** The model last chosen in the Playground (this tab), so leaving and coming back keeps it. */
export function readPlaygroundModel(): string | null {
  try {
    return sessionStorage.getItem(MODEL_STORAGE_KEY) || null;
  } catch {
    return null;
  }
}

export function storePlaygroundModel(model: string | null): void {
  try {
    if (model) sessionStorage.setItem(MODEL_STORAGE_KEY, model);
    else sessionStorage.removeItem(MODEL_STORAGE_KEY);
  } catch {
    // storage unavailable: the choice lives in the page only
  }
}

export function forgetPlaygroundKey(): void {
  storePlaygroundKey('');
  storePlaygroundModel(null);
}
