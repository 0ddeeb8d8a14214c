import { describe, expect, it } from 'vitest';
import { bearerOrApiKey, googleApiKey } from '../../src/auth/extract-key.js';
import { redactQueryKeys } from '../../src/http/redact-url.js';

const request = (url: string, headers: Record<string, string> = {}) =>
  new Request(`http://127.0.0.1${url}`, { headers });

describe('googleApiKey (the Gemini routes)', () => {
  it('reads x-goog-api-key, then ?key=, then the usual headers', () => {
    const path = '/v1beta/models/m:generateContent';
    expect(googleApiKey.read(request(`${path}?key=from-query`, { 'x-goog-api-key': 'from-header' }))).toBe(
      'from-header',
    );
    expect(googleApiKey.read(request(`${path}?alt=sse&key=from-query`))).toBe('from-query');
    expect(googleApiKey.read(request(path, { authorization: 'Bearer from-bearer' }))).toBe('from-bearer');
    expect(googleApiKey.read(request(`${path}?key=`))).toBeNull();
  });

  it('is not read on the other routes', () => {
    expect(
      bearerOrApiKey.read(request('/v1/chat/completions?key=sk-abc', { 'x-goog-api-key': 'sk-abc' })),
    ).toBeNull();
  });
});

describe('redactQueryKeys', () => {
  it('replaces every query-string key value, leaving the rest', () => {
    expect(redactQueryKeys('POST /v1beta/models/m:streamGenerateContent?alt=sse&key=sk-1 done')).toBe(
      'POST /v1beta/models/m:streamGenerateContent?alt=sse&key=[redacted] done',
    );
    expect(redactQueryKeys('/x?key=sk-1&alt=sse and /y?KEY=sk-2')).toBe(
      '/x?key=[redacted]&alt=sse and /y?KEY=[redacted]',
    );
    expect(redactQueryKeys('/x?monkey=1&apikey=2')).toBe('/x?monkey=1&apikey=2');
  });
});
