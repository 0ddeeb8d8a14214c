import { describe, expect, it } from 'vitest';
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
