import { describe, expect, it, vi } from 'vitest';
import type { WorkerEnv } from '../../src/runtime/workers/worker-env.js';
import { workerSettings } from '../../src/runtime/workers/worker-settings.js';

/** Bindings are objects, vars and secrets strings: only the strings are settings. */
const env = (vars: Record<string, string>): WorkerEnv =>
  ({ DB: {}, COUNTERS: {}, ...vars }) as unknown as WorkerEnv;

describe('Worker settings from vars and secrets', () => {
  it('reads channels from CHANNELS, with $-brace references filled from secrets', () => {
    const settings = workerSettings(
      env({
        CHANNELS: JSON.stringify([
          { name: 'openai', provider: 'openai', keys: [`\${OPENAI_API_KEY}`], models: ['gpt-4o'] },
        ]),
        OPENAI_API_KEY: 'sk-upstream-from-a-secret',
        ADMIN_TOKEN: 'admin-token-of-sixteen+',
      }),
    );
    expect(settings.channels.map((c) => [c.name, c.keys])).toEqual([
      ['openai', ['sk-upstream-from-a-secret']],
    ]);
    expect(settings.secrets.adminToken).toBe('admin-token-of-sixteen+');
  });

  it('takes the rest of the config file from SWITCHBOARD_CONFIG, CHANNELS replacing its channels', () => {
    const settings = workerSettings(
      env({
        SWITCHBOARD_CONFIG: JSON.stringify({
          limits: { keys: { rpm: 30 } },
          channels: [{ name: 'old', keys: ['x'] }],
        }),
        CHANNELS: '[]',
      }),
    );
    expect(settings.channels).toEqual([]);
    expect(settings.accounting.limits).toMatchObject({ keys: { rpm: 30 } });
  });

  it('does not quote CHANNELS (upstream keys may be written in it) when it is not valid JSON', () => {
    const run = () =>
      workerSettings(env({ CHANNELS: '[{"name":"a","provider":"openai","keys":["sk-live-abcdef"]},]' }));
    expect(run).toThrow(/^CHANNELS: not valid JSON/);
    expect(run).not.toThrow(/abcdef/);
  });

  it('does not quote CHANNELS when V8 quotes it with a trailing ellipsis (the error is not at the end)', () => {
    // An unquoted key mid-text: V8 writes `..."…[sk-live-01"... is not valid JSON`.
    const unquoted =
      '[{"name":"openai","provider":"openai","keys":[sk-live-0123456789abcdefghijklmnop],"models":["gpt-4o"]}]';
    const run = () => workerSettings(env({ CHANNELS: unquoted }));
    expect(run).toThrow(/^CHANNELS: not valid JSON: Unexpected token/);
    expect(run).not.toThrow(/sk-live/);
    // And near the start of a long text: `"xsk-live…"... is not valid JSON`.
    const start = () => workerSettings(env({ CHANNELS: `xsk-live-${'0123456789'.repeat(5)}` }));
    expect(start).toThrow(/^CHANNELS: not valid JSON/);
    expect(start).not.toThrow(/sk-live/);
  });

  it('names the var that is not valid JSON', () => {
    expect(() => workerSettings(env({ CHANNELS: '[{"name":' }))).toThrow(/^CHANNELS: not valid JSON/);
    expect(() => workerSettings(env({ SWITCHBOARD_CONFIG: '[1, 2]' }))).toThrow(
      /SWITCHBOARD_CONFIG: must be an object/,
    );
  });

  it('ignores the Node-only settings a copied .env may carry', () => {
    const settings = workerSettings(env({ DATABASE_URL: 'not a url', PORT: 'eighty', REDIS_URL: 'nope' }));
    expect(settings.redisUrl).toBeNull();
  });
});

describe('usage flush interval on Workers', () => {
  // A Worker's timer lives only as long as the waitUntil of the request that set it, which
  // Cloudflare ends 30 s after the response: a longer interval's timed flush never fired, and
  // records waited for a full batch or the hourly cron (lost if the isolate went first).
  // A write may take 20 s (STORE_WRITE_MS: the edge's origin client, all its attempts): started
  // 20 s after the response, it ran past the 30 s cut-off, and a write cut off never settles.
  it('lowers an interval whose first write could outlive its request to 5 s, saying so', () => {
    const config = (ms: number) =>
      env({ SWITCHBOARD_CONFIG: JSON.stringify({ usage: { flush_interval_ms: ms } }) });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(workerSettings(config(45_000)).accounting.usage.flush_interval_ms).toBe(5_000);
      expect(String(warn.mock.calls[0]?.[0])).toContain('flush_interval_ms 45000 is lowered to 5000');
      expect(workerSettings(config(20_000)).accounting.usage.flush_interval_ms).toBe(5_000);
      expect(workerSettings(config(5_000)).accounting.usage.flush_interval_ms).toBe(5_000);
      expect(workerSettings(config(1_000)).accounting.usage.flush_interval_ms).toBe(1_000);
      expect(warn).toHaveBeenCalledTimes(2);
    } finally {
      warn.mockRestore();
    }
  });
});
