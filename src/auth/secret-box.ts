/**
 * Seals upstream secrets (channel keys, "bring your own key" keys) before they reach the
 * database: AES-256-GCM under a key derived from the sealing key (SWITCHBOARD_SECRET_KEY, or the
 * key file the Node runtime generates beside the database: src/runtime/node/sealing-key.ts).
 * Without a key the box is "open": secrets are stored as given, and features that demand
 * encryption (BYOK) refuse with a clear message.
 */
export interface SecretBox {
  /** Whether sealing really encrypts. */
  readonly encrypts: boolean;
  seal(clear: string): Promise<string>;
  /** Opens a sealed value; a value stored before encryption was configured is returned as is. */
  open(stored: string): Promise<string>;
}

const SEALED_PREFIX = 'enc:v1:';

/** Whether a stored value is sealed (as opposed to clear text kept from before sealing was on). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

export async function createSecretBox(secretKey: string | undefined): Promise<SecretBox> {
  if (!secretKey) {
    return {
      encrypts: false,
      async seal(clear) {
        return clear;
      },
      async open(stored) {
        if (isSealed(stored)) {
          throw new Error(
            'this value was encrypted: the gateway needs the sealing key (SWITCHBOARD_SECRET_KEY) used to store it',
          );
        }
        return stored;
      },
    };
  }
  // SHA-256 of the operator's secret gives a uniform 256-bit AES key whatever its length.
  const material = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secretKey));
  const key = await crypto.subtle.importKey('raw', material, 'AES-GCM', false, ['encrypt', 'decrypt']);
  return {
    encrypts: true,
    async seal(clear) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv },
        key,
        new TextEncoder().encode(clear),
      );
      return `${SEALED_PREFIX}${toBase64(iv)}:${toBase64(new Uint8Array(sealed))}`;
    },
    async open(stored) {
      if (!isSealed(stored)) return stored;
      const [iv, data] = stored.slice(SEALED_PREFIX.length).split(':');
      try {
        const clear = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: fromBase64(iv ?? '') },
          key,
          fromBase64(data ?? ''),
        );
        return new TextDecoder().decode(clear);
      } catch {
        throw new Error(
          'cannot decrypt a stored secret: the sealing key (SWITCHBOARD_SECRET_KEY or the key file) differs from the one used to store it',
        );
      }
    },
  };
}

/** What every masked secret holds, where the hidden part was: no key or header value has it. */
export const MASK_MARK = '…';

/** What may be shown of an upstream key: `sk-…abcd` for long keys, less for short ones. */
export function maskSecret(secret: string): string {
  if (secret === '') return '';
  if (secret.length >= 12) return `${secret.slice(0, 3)}${MASK_MARK}${secret.slice(-4)}`;
  if (secret.length >= 8) return `${MASK_MARK}${secret.slice(-2)}`;
  return MASK_MARK;
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}
