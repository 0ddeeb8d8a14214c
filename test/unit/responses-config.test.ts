import { describe, expect, it } from 'vitest';
import { ConfigError, resolveSettings } from '../../src/config/settings.js';

const load = (text: string) => resolveSettings({ env: {}, file: { path: 'switchboard.yaml', text } });

describe('responses.store_ttl_days', () => {
  it('keeps stored responses 30 days unless set', () => {
    expect(resolveSettings({ env: {} }).responses.storeTtlMs).toBe(30 * 86_400_000);
    expect(load('responses:\n  store_ttl_days: 0.5\n').responses.storeTtlMs).toBe(43_200_000);
  });

  it.each(['0', '-1', '"soon"'])('refuses %s, naming the field', (value) => {
    expect(() => load(`responses:\n  store_ttl_days: ${value}\n`)).toThrow(ConfigError);
    expect(() => load(`responses:\n  store_ttl_days: ${value}\n`)).toThrow(/responses\.store_ttl_days/);
  });

  it('refuses an unknown key under responses', () => {
    expect(() => load('responses:\n  ttl: 3\n')).toThrow(/responses/);
  });
});
