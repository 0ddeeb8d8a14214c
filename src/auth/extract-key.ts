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

/** Where a front door's clients send their key, and how to say so when they sent none. */
export interface KeySource {
  read(request: Request): string | null;
  /** Completes "no API key: send it …". */
  readonly hint: string;
}

export const bearerOrApiKey: KeySource = {
  read: (request) => extractClientKey(request.headers),
  hint: 'as "Authorization: Bearer <key>" or in the "x-api-key" header',
};

/**
 * Google's API conventions (Gemini CLI, @google/genai): the `x-goog-api-key` header or the `key`
 * query parameter, then the usual headers. A query key is redacted from logs (see
 * src/http/redact-url.ts): URLs end up in logs.
 */
export const googleApiKey: KeySource = {
  read(request) {
    const header = request.headers.get('x-goog-api-key')?.trim();
    if (header) return header;
    const query = new URL(request.url).searchParams.get('key')?.trim();
    if (query) return query;
    return extractClientKey(request.headers);
  },
  hint: 'in the "x-goog-api-key" header or the "key" query parameter',
};
