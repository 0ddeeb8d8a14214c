import { describe, expect, it } from 'vitest';
import { createSecretBox, maskSecret } from '../../src/auth/secret-box.js';
import { isSecretHeader, mapSecretHeaders, secretHeaderValues } from '../../src/auth/secret-headers.js';

/** Channel headers that carry a secret: sealed at rest, masked in the admin API and panel. */
const SECRET = [
  'Authorization',
  'Proxy-Authorization',
  'x-api-key',
  'X-Portkey-Api-Key',
  'x-goog-api-key',
  'api-key',
  'Helicone-Auth',
  'cf-aig-authorization',
  'X-Auth-Token',
  'X-Access-Token',
  'X-Client-Secret',
  'Cookie',
  'X-Password',
  'X-Passwd',
  'X-Api-Pass',
  'X_Api_Pass',
  'X-Pass',
  'X-Passphrase',
  'X-Pwd',
  'X-Credential',
  'X-Credentials',
  'X-Amz-Credential',
  'X-Signature',
  'X-Hub-Signature-256',
  'X-Sig',
  'X-Session',
  'X-Session-Id',
  'X-Private-Key',
  'X-Jwt',
  'X-Bearer',
  'X-Otp',
  'X-Pin',
];

/** Ordinary headers channels send: shown as they are. */
const ORDINARY = [
  'HTTP-Referer',
  'Referer',
  'X-Title',
  'OpenAI-Organization',
  'OpenAI-Project',
  'OpenAI-Beta',
  'anthropic-version',
  'anthropic-beta',
  'api-version',
  'User-Agent',
  'Accept',
  'Accept-Language',
  'Content-Type',
  'X-Request-Id',
  'X-Team',
  'X-Stainless-Lang',
  'x-goog-user-project',
  'X-Cache-Bypass',
  'X-Compass-Region',
  'X-Spinner',
  'X-Design',
  'X-Passenger-Count',
];

describe('isSecretHeader', () => {
  // The rule only ever widens: a header that stops counting as secret would be sent upstream
  // still sealed (`enc:v1:…`). So `X-Portkey-Provider` ("portkey") stays masked, as it always was.
  it('keeps every name the old rule held secret', () => {
    expect(isSecretHeader('X-Portkey-Provider')).toBe(true);
    expect(isSecretHeader('X-Keyword')).toBe(true);
  });

  it.each(SECRET)('%s is a secret', (name) => {
    expect(isSecretHeader(name)).toBe(true);
    expect(isSecretHeader(name.toLowerCase())).toBe(true);
  });

  it.each(ORDINARY)('%s is not', (name) => {
    expect(isSecretHeader(name)).toBe(false);
    expect(isSecretHeader(name.toLowerCase())).toBe(false);
  });
});

describe('headers stored before the rule counted them as secret', () => {
  // An older version stored X-Password and X-Credential in clear: they were ordinary headers then.
  const stored = { 'X-Password': 'hunter2-clear', 'X-Credential': 'cred-clear-0123456789', 'X-Title': 'App' };

  it('open to their clear value (sent upstream as they were), with or without a sealing key', async () => {
    for (const box of [
      await createSecretBox('sealing-key-0123456789abcdef'),
      await createSecretBox(undefined),
    ]) {
      expect(await mapSecretHeaders(stored, (v) => box.open(v))).toEqual(stored);
    }
  });

  it('are sealed on the next write and open again to the same value', async () => {
    const box = await createSecretBox('sealing-key-0123456789abcdef');
    const sealed = await mapSecretHeaders(stored, (v) => box.seal(v));
    expect(sealed['X-Password']).toMatch(/^enc:v1:/);
    expect(sealed['X-Credential']).toMatch(/^enc:v1:/);
    expect(sealed['X-Title']).toBe('App');
    expect(await mapSecretHeaders(sealed, (v) => box.open(v))).toEqual(stored);
  });

  it('count among the secrets scrubbed from upstream errors and logs', () => {
    expect(secretHeaderValues(stored).sort()).toEqual(['cred-clear-0123456789', 'hunter2-clear']);
    expect(maskSecret('cred-clear-0123456789')).not.toContain('clear');
  });
});
