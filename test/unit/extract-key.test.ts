import { describe, expect, it } from 'vitest';
import { extractClientKey } from '../../src/auth/extract-key.js';

const key = (init: Record<string, string>) => extractClientKey(new Headers(init));

describe('extractClientKey', () => {
  it('reads Authorization: Bearer, case-insensitively, trimming spaces', () => {
    expect(key({ authorization: 'Bearer sk-abc' })).toBe('sk-abc');
    expect(key({ Authorization: 'bearer sk-abc' })).toBe('sk-abc');
    expect(key({ authorization: '  BEARER    sk-abc  ' })).toBe('sk-abc');
  });

  it('reads x-api-key under any casing of the header name', () => {
    expect(key({ 'x-api-key': 'sk-abc' })).toBe('sk-abc');
    expect(key({ 'X-API-Key': 'sk-abc' })).toBe('sk-abc');
    expect(key({ 'X-Api-Key': ' sk-abc ' })).toBe('sk-abc');
  });

  it('prefers Bearer when both are sent', () => {
    expect(key({ authorization: 'Bearer from-bearer', 'x-api-key': 'from-header' })).toBe('from-bearer');
  });

  it('falls back to x-api-key when Authorization is not a usable Bearer', () => {
    expect(key({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': 'sk-abc' })).toBe('sk-abc');
    expect(key({ authorization: 'Bearer ', 'x-api-key': 'sk-abc' })).toBe('sk-abc');
  });

  it('returns null when there is no key', () => {
    expect(key({})).toBeNull();
    expect(key({ authorization: 'Basic dXNlcjpwYXNz' })).toBeNull();
    expect(key({ authorization: 'Bearer' })).toBeNull();
    expect(key({ 'x-api-key': '   ' })).toBeNull();
  });
});
