/**
 * The signature on every request between an edge Worker and its origin: HMAC-SHA256 with the
 * shared EDGE_SECRET over `<unix seconds>\n<METHOD>\n<path>\n<body>`, sent as
 * `x-switchboard-signature: t=<unix seconds>,v1=<hex>`. The timestamp is signed with the body,
 * so a captured request cannot be re-dated; one older (or newer) than the replay window is
 * refused, and within the window a replayed usage batch is recognised by its id (origin-routes.ts).
 * The method and path are signed too, so a body signed for one endpoint is refused on another
 * whatever the endpoints' body schemas. (Newlines separate the parts: none can hold one.)
 */
export const SIGNATURE_HEADER = 'x-switchboard-signature';
/** How far a signed timestamp may be from the receiver's clock, either way. */
export const REPLAY_WINDOW_S = 300;

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'stale' | 'mismatch';

/** What a signature covers besides its timestamp. */
export interface SignedRequest {
  readonly method: string;
  /** The URL path, e.g. /internal/edge/usage (no query). */
  readonly path: string;
  readonly body: string;
}

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

const signedText = (t: string | number, req: SignedRequest) =>
  `${t}\n${req.method.toUpperCase()}\n${req.path}\n${req.body}`;

/** The header value that signs `req` at `nowS` (unix seconds). */
export async function signEdgeRequest(secret: string, req: SignedRequest, nowS: number): Promise<string> {
  const t = Math.floor(nowS);
  return `t=${t},v1=${await hmacHex(secret, signedText(t, req))}`;
}

type ParsedHeader = { readonly t: string; readonly v1: string };

function parseHeader(header: string | null | undefined, nowS: number): ParsedHeader | SignatureCheck {
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
  return { t, v1 };
}

/**
 * What can be told of a signature header without the body: missing, malformed, stale, or 'ok'
 * (worth reading the body to check the MAC). The origin asks this first, so a caller without a
 * plausible signature never gets it to read (and hold) a body.
 */
export function checkEdgeSignatureHeader(header: string | null | undefined, nowS: number): SignatureCheck {
  const parsed = parseHeader(header, nowS);
  return typeof parsed === 'string' ? parsed : 'ok';
}

/**
 * Checks a signature header against `req`. The comparison of the MACs takes the same time
 * wherever they differ, so the answer's timing does not guide a forger byte by byte.
 */
export async function verifyEdgeSignature(
  secret: string,
  header: string | null | undefined,
  req: SignedRequest,
  nowS: number,
): Promise<SignatureCheck> {
  const parsed = parseHeader(header, nowS);
  if (typeof parsed === 'string') return parsed;
  const expected = await hmacHex(secret, signedText(parsed.t, req));
  return constantTimeEqual(expected, parsed.v1.toLowerCase()) ? 'ok' : 'mismatch';
}

/** String equality without an early exit: every character is compared whatever the first difference. */
export function constantTimeEqual(a: string, b: string): boolean {
  // Lengths are not secret here (both are 64 hex digits once the format is checked).
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
