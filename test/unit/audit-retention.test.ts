import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createAuditLog, diffFields } from '../../src/admin/audit/audit-log.js';
import { resolveSettings } from '../../src/config/settings.js';
import type { GatewayEnv } from '../../src/http/context.js';
import { createMemoryAuditStore } from '../../src/storage/memory/memory-audit.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-06-01T00:00:00Z');

describe('audit retention', () => {
  it('deletes entries past the retention when a new one is recorded, checking at most hourly', async () => {
    const store = createMemoryAuditStore();
    const MIN = 60_000;
    let now = T0;
    const log = createAuditLog({ store, now: () => now, retentionMs: 10 * MIN });
    const app = new Hono<GatewayEnv>();
    app.post('/:id', async (c) => {
      await log.record(c, {
        action: 'update',
        objectType: 'key',
        objectId: c.req.param('id'),
        objectName: null,
        changes: null,
      });
      return c.body(null, 204);
    });
    const ids = async () => (await store.list({ limit: 10 })).entries.map((e) => e.objectId);
    await app.request('/a', { method: 'POST' });
    now = T0 + 30 * MIN;
    await app.request('/b', { method: 'POST' });
    // a is past the retention, but the last check was less than an hour ago.
    expect(await ids()).toEqual(['b', 'a']);
    now = T0 + 61 * MIN;
    await app.request('/c', { method: 'POST' });
    expect(await ids()).toEqual(['c']);
  });

  it('keeps everything by default, and reads the setting from the config file', () => {
    const settings = (text: string) => resolveSettings({ env: {}, file: { path: 'c.yaml', text } });
    expect(settings('{}').admin.auditRetentionMs).toBeNull();
    expect(settings('admin:\n  audit_retention_days: 90\n').admin.auditRetentionMs).toBe(90 * DAY);
    expect(() => settings('admin:\n  audit_retention_days: -1\n')).toThrow(/audit_retention_days/);
  });
});

describe('audit field diff', () => {
  it('lists only changed fields, and leaves blank ones out of a creation', () => {
    expect(diffFields({ a: 1, b: [1], updated_at: 'x' }, { a: 1, b: [1, 2], updated_at: 'y' })).toEqual({
      b: { before: [1], after: [1, 2] },
    });
    expect(diffFields(null, { name: 'n', models: [], limits: { rpm: null }, email: null })).toEqual({
      name: { before: null, after: 'n' },
    });
    expect(diffFields({ a: 1 }, { a: 1 })).toBeNull();
  });
});
