/**
 * The signature on every request between an edge Worker and its origin: HMAC-SHA256 with the
 * shared EDGE_SECRET over `<unix seconds>.<body>`, sent as
 * `x-switchboard-signature: t=<unix seconds>,v1=<hex>`. The timestamp is signed with the body,
 * so a captured request cannot be re-dated; one older (or newer) than the replay window is
 * refused, and within the window a replayed usage batch is recognised by its id (origin-routes.ts).
 */
export const SIGNATURE_HEADER = 'x-switchboard-signature';
/** How far a signed timestamp may be from the receiver's clock, either way. */
export const REPLAY_WINDOW_S = 300;

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'stale' | 'mismatch';

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
  let hex = '';
  for (const byte of mac) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** The header value that signs `body` at `nowS` (unix seconds). */
export async function signEdgeBody(secret: string, body: string, nowS: number): Promise<string> {
  const t = Math.floor(nowS);
  return `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`;
}

/**
 * Checks a signature header against `body`. The comparison of the MACs takes the same time
 * wherever they differ, so the answer's timing does not guide a forger byte by byte.
 */
export async function verifyEdgeSignature(
  secret: string,
  header: string | null | undefined,
  body: string,
  nowS: number,
): Promise<SignatureCheck> {
  if (!header) return 'missing';
  const fields = new Map<string, string>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const t = fields.get('t');
  const v1 = fields.get('v1');
  if (!t || !/^\d{1,12}$/.test(t) || !v1 || !/^[0-9a-f]{64}$/i.test(v1)) return 'malformed';
  if (Math.abs(nowS - Number(t)) > REPLAY_WINDOW_S) return 'stale';
  const expected = await hmacHex(secret, `${t}.${body}`);
  return constantTimeEqual(expected, v1.toLowerCase()) ? 'ok' : 'mismatch';
}

/** String equality without an early exit: every character is compared whatever the first difference. */
export function constantTimeEqual(a: string, b: string): boolean {
  // Lengths are not secret here (both are 64 hex digits once the format is checked).
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
