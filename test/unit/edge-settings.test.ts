import { describe, expect, it } from 'vitest';
import { DEFAULT_KEY_TTL_S, edgeSettings } from '../../src/runtime/workers/edge/edge-settings.js';
import type { WorkerEnv } from '../../src/runtime/workers/worker-env.js';

const SECRET = 'a-shared-edge-secret-of-32-chars-or-more';
const env = (vars: Record<string, string>) => vars as unknown as WorkerEnv;

describe('edge mode settings (Worker vars)', () => {
  it('is off without ORIGIN_URL: the Worker is the D1 gateway', () => {
    expect(edgeSettings(env({ EDGE_SECRET: SECRET }))).toBeNull();
  });

  it('reads ORIGIN_URL, EDGE_SECRET and the key TTL (25 s by default)', () => {
    expect(edgeSettings(env({ ORIGIN_URL: 'https://origin.example.com/', EDGE_SECRET: SECRET }))).toEqual({
      originUrl: 'https://origin.example.com/',
      secret: SECRET,
      keyTtlMs: DEFAULT_KEY_TTL_S * 1000,
    });
    expect(
      edgeSettings(env({ ORIGIN_URL: 'https://o.example', EDGE_SECRET: SECRET, EDGE_KEY_TTL_S: '10' }))
        ?.keyTtlMs,
    ).toBe(10_000);
  });

  it('refuses to start without a long enough EDGE_SECRET, a bad URL or a bad TTL', () => {
    expect(() => edgeSettings(env({ ORIGIN_URL: 'https://o.example' }))).toThrow(/EDGE_SECRET/);
    expect(() => edgeSettings(env({ ORIGIN_URL: 'https://o.example', EDGE_SECRET: 'short' }))).toThrow(
      /EDGE_SECRET/,
    );
    expect(() => edgeSettings(env({ ORIGIN_URL: 'origin.example', EDGE_SECRET: SECRET }))).toThrow(
      /ORIGIN_URL/,
    );
    for (const ttl of ['0', 'abc', '99999'])
      expect(() =>
        edgeSettings(env({ ORIGIN_URL: 'https://o.example', EDGE_SECRET: SECRET, EDGE_KEY_TTL_S: ttl })),
      ).toThrow(/EDGE_KEY_TTL_S/);
  });
});
