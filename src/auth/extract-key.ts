/**
 * The client key from `Authorization: Bearer …` or `x-api-key` (header names are
 * case-insensitive, so `X-API-Key` is the same header). Bearer wins when both are sent.
 */
export function extractClientKey(headers: Headers): string | null {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match?.[1]) return match[1].trim();
  }
  const apiKey = headers.get('x-api-key')?.trim();
  return apiKey ? apiKey : null;
}
