import { toHex } from '../encoding/hex.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_LENGTH = 40;

/** A new client key: `<prefix>-` followed by 40 random base62 characters (~238 bits). */
export function generateKeySecret(prefix: string): string {
  const out: string[] = [];
  const bytes = new Uint8Array(64);
  while (out.length < SECRET_LENGTH) {
    crypto.getRandomValues(bytes);
    for (const byte of bytes) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 248 && out.length < SECRET_LENGTH) out.push(ALPHABET[byte % 62] as string);
    }
  }
  return `${prefix}-${out.join('')}`;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return toHex(digest);
}

/** What may be shown of a key: its prefix and last four characters. */
export function keyHint(prefix: string, last4: string): string {
  return `${prefix}-…${last4}`;
}

export const KEY_PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,15}$/;
