/**
 * Compares a presented secret with a stored SHA-256 digest without an early exit: both sides
 * are 32-byte digests, so the time taken says nothing about how much of the secret matched.
 */
export async function secretMatchesDigest(presented: string, digest: Uint8Array): Promise<boolean> {
  const hashed = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(presented)));
  if (digest.length !== hashed.length) return false;
  let diff = 0;
  for (let i = 0; i < hashed.length; i++) diff |= (hashed[i] as number) ^ (digest[i] as number);
  return diff === 0;
}

export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
