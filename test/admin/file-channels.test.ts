import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';
import { bootstrap } from '../../src/runtime/node/bootstrap.js';
import { silentLogger } from '../../src/spec/logger.js';
import { SECRET_KEY } from './admin-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-file-channels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function settingsWith(channels: Record<string, unknown>[]) {
  return resolveSettings({
    env: {
      DATABASE_URL: `sqlite:${join(dir, 'g.db')}`,
      ADMIN_TOKEN: 'x'.repeat(20),
      SWITCHBOARD_SECRET_KEY: SECRET_KEY,
    },
    file: { path: 'test.yaml', text: JSON.stringify({ channels }) },
  });
}

const ch = (name: string, models: string[]) => ({
  name,
  provider: 'openai-compatible',
  base_url: 'http://127.0.0.1:1/v1',
  keys: [`${name}-upstream-key-123`],
  models,
});

describe('config-file channels across restarts', () => {
  it('follow the file, keep their enabled flag, and leave API channels alone', async () => {
    const first = await bootstrap({
      settings: settingsWith([ch('a', ['m-a']), ch('b', ['m-b'])]),
      logger: silentLogger,
    });
    const now = Date.now();
    const a = await first.storage.channels.get('a');
    expect(a?.source).toBe('file');
    expect(a?.config.keys[0]).toMatch(/^enc:v1:/);
    await first.storage.channels.put({ ...(a as NonNullable<typeof a>), enabled: false });
    await first.storage.channels.put({
      id: 'api-made',
      config: { ...(a as NonNullable<typeof a>).config, name: 'api-made' },
      enabled: true,
      source: 'api',
      createdAt: now,
      updatedAt: now,
    });
    await first.close();

    // The file now changes a's models and drops b.
    const second = await bootstrap({ settings: settingsWith([ch('a', ['m-a2'])]), logger: silentLogger });
    try {
      const stored = await second.storage.channels.list();
      expect(stored.map((c) => [c.id, c.source, c.enabled])).toEqual([
        ['a', 'file', false],
        ['api-made', 'api', true],
      ]);
      expect(stored[0]?.config.models).toEqual(['m-a2']);
      // Disabled channels are not routed; the API channel is, with its key opened.
      expect(second.channels.map((c) => c.name)).toEqual(['api-made']);
      expect(second.channels[0]?.keys).toEqual(['a-upstream-key-123']);
      expect(second.usingDemoChannel).toBe(false);
    } finally {
      await second.close();
    }
  });
});
