import { createHash } from 'node:crypto';

/**
 * SHA-256 hex on the calling thread. crypto.subtle.digest answers through Node's thread pool,
 * a hop that costs tens of microseconds on every authenticated request; this costs about two.
 */
export function sha256HexSync(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
