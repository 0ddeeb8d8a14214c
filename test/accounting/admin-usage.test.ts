import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fake-upstream/server.js';
import type { TestGateway } from '../support/start-gateway.js';
import {
  chat,
  newRequestId,
  recordOf,
  startAccountingGateway,
  startFakeUpstream,
  waitForAsync,
} from './harness.js';

const ADMIN_TOKEN = 'test-admin-token-accounting-0123456789';

interface LogEntry {
  request_id: string;
  status: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost: number | null;
  channel: string | null;
  upstream_key: string | null;
}

async function lastStartsOf(gw: TestGateway, keyId: string): Promise<number[]> {
  const page = await gw.node.storage.usage.list({ limit: 500, keyId });
  return page.records.map((r) => r.startedAt);
}

describe('admin request log and usage summaries', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  const ids: string[] = [];
  const admin = (path: string) =>
    fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startAccountingGateway(fake, {}, { ADMIN_TOKEN });
    fake.enqueue(
      { kind: 'ok' },
      { kind: 'status', status: 500 },
      { kind: 'ok' },
      { kind: 'drop', afterChunks: 2 },
    );
    for (let i = 0; i < 9; i++) {
      const id = newRequestId('admin');
      ids.push(id);
      const res = await chat(gw, id, {
        stream: i % 2 === 1,
        messages: [{ role: 'user', content: `question ${i}` }],
      });
      await res.text().catch(() => '');
    }
    for (const id of ids) await recordOf(gw, id);
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  it('needs the admin token', async () => {
    const res = await fetch(`${gw.url}/admin/api/logs`, { headers: { authorization: `Bearer ${gw.key}` } });
    expect(res.status).toBe(401);
  });

  it('pages the log newest first with a cursor, and shows one request in detail', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await admin(`/admin/api/logs?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { data: LogEntry[]; next_cursor: string | null };
      seen.push(...page.data.map((e) => e.request_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const failedStatus = (await recordOf(gw, ids[1] ?? '')).status;
    expect(failedStatus).toBeGreaterThanOrEqual(500);
    const errors = (await (await admin(`/admin/api/logs?status=${failedStatus}`)).json()) as {
      data: LogEntry[];
    };
    expect(errors.data.map((e) => e.request_id)).toContain(ids[1]);
    expect(errors.data.every((e) => e.status === failedStatus)).toBe(true);

    const detail = await admin(`/admin/api/logs/${ids[0]}`);
    const body = (await detail.json()) as { data: LogEntry[] };
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ request_id: ids[0], channel: 'fake', upstream_key: 'sk-…0001' });
    expect(JSON.stringify(body)).not.toContain('sk-upstream-test-0001');
    expect((await admin('/admin/api/logs/nope')).status).toBe(404);
    expect((await admin('/admin/api/logs?cursor=%%%')).status).toBe(400);
  });

  it('summaries from the rollups equal the sums of the raw records', async () => {
    const all: LogEntry[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (
        await admin(`/admin/api/logs?limit=500${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()) as {
        data: LogEntry[];
        next_cursor: string | null;
      };
      all.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    for (const group of ['all', 'model', 'channel', 'key', 'user']) {
      // A request that never reached a channel (all attempts failed) has no channel to count under.
      const counted = group === 'channel' ? all.filter((e) => e.channel !== null) : all;
      const res = await admin(`/admin/api/usage?group_by=${group}&from=0`);
      expect(res.status).toBe(200);
      const usage = (await res.json()) as {
        totals: {
          requests: number;
          errors: number;
          prompt_tokens: number;
          completion_tokens: number;
          cost: number;
        };
        groups: { value: string; requests: number }[];
        series: { requests: number }[];
      };
      expect(usage.totals.requests).toBe(counted.length);
      expect(usage.totals.errors).toBe(counted.filter((e) => e.status >= 400).length);
      expect(usage.totals.prompt_tokens).toBe(counted.reduce((n, e) => n + (e.prompt_tokens ?? 0), 0));
      expect(usage.totals.completion_tokens).toBe(
        counted.reduce((n, e) => n + (e.completion_tokens ?? 0), 0),
      );
      expect(usage.totals.cost).toBeCloseTo(
        counted.reduce((n, e) => n + (e.cost ?? 0), 0),
        9,
      );
      expect(usage.series.reduce((n, p) => n + p.requests, 0)).toBe(counted.length);
    }
    const byModel = (await (await admin('/admin/api/usage?group_by=model&from=0')).json()) as {
      groups: { value: string; error_rate: number; latency_ms: { p50: number | null } }[];
    };
    expect(byModel.groups[0]?.value).toBe('gpt-4o-mini');
    expect(byModel.groups[0]?.error_rate).toBeGreaterThan(0);
    expect(byModel.groups[0]?.latency_ms.p50).not.toBeNull();
  });

  it('exports the whole filtered log as CSV or JSON lines', async () => {
    const res = await admin('/admin/api/logs/export');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(
      /attachment; filename="switchboard-requests-.*\.csv"/,
    );
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]?.split(',').slice(0, 3)).toEqual(['request_id', 'started_at', 'user_id']);
    // Every token count the request log has, cache writes included (they are billed apart).
    const header = lines[0]?.split(',') ?? [];
    for (const column of [
      'prompt_tokens',
      'completion_tokens',
      'cached_tokens',
      'cache_write_tokens',
      'reasoning_tokens',
    ])
      expect(header).toContain(column);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual([...ids].sort());
    const failed = await admin('/admin/api/logs/export?format=jsonl&failed=true');
    expect(failed.headers.get('content-type')).toMatch(/ndjson/);
    const rows = (await failed.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: number; request_id: string });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.status >= 400 && ids.includes(r.request_id))).toBe(true);
    expect((await admin('/admin/api/logs/export?format=xml')).status).toBe(400);
    const refused = await fetch(`${gw.url}/admin/api/logs/export`, {
      headers: { authorization: `Bearer ${gw.key}` },
    });
    expect(refused.status).toBe(401);
  });

  it("shows each key's last use from the request log", async () => {
    const keys = (await (await admin('/admin/api/keys')).json()) as {
      data: { id: string; last_used_at: string | null }[];
    };
    const used = await gw.node.storage.usage.get(ids.at(-1) ?? '');
    const keyId = used[0]?.keyId;
    const shown = keys.data.find((k) => k.id === keyId);
    expect(shown?.last_used_at).toBe(
      new Date(Math.max(...(await lastStartsOf(gw, keyId ?? '')))).toISOString(),
    );
    const unused = await gw.node.storage.keys.create({
      id: 'never-used',
      name: 'never-used',
      prefix: 'sk',
      hash: 'f'.repeat(64),
      last4: 'abcd',
      models: [],
      purpose: 'default',
      createdAt: Date.now(),
      userId: 'default',
      enabled: true,
      expiresAt: null,
      ipAllowlist: [],
      limits: { rpm: null, rph: null, tpm: null, concurrent: null, budget: null },
      channelId: null,
      byok: null,
    });
    const one = (await (await admin(`/admin/api/keys/${unused.id}`)).json()) as {
      last_used_at: string | null;
    };
    expect(one.last_used_at).toBeNull();
  });

  it('shows the last hour per minute (the dashboard view), from the raw records', async () => {
    const res = await admin('/admin/api/usage?interval=minute');
    expect(res.status).toBe(200);
    const usage = (await res.json()) as {
      from: string;
      to: string;
      totals: { requests: number; errors: number; latency_ms: { p95: number | null } };
      series: { time: string; requests: number }[];
    };
    expect(Date.parse(usage.to) - Date.parse(usage.from)).toBe(3_600_000);
    expect(usage.totals.requests).toBe(ids.length);
    expect(usage.totals.errors).toBeGreaterThan(0);
    expect(usage.totals.latency_ms.p95).not.toBeNull();
    expect(usage.series.reduce((n, p) => n + p.requests, 0)).toBe(ids.length);
    for (const point of usage.series) expect(Date.parse(point.time) % 60_000).toBe(0);
    // The top tables of the last-hour view cover exactly the same requests as its totals.
    const byModel = (await (await admin('/admin/api/usage?interval=minute&group_by=model')).json()) as {
      totals: { requests: number };
      groups: { value: string; requests: number }[];
    };
    expect(byModel.groups.reduce((n, g) => n + g.requests, 0)).toBe(byModel.totals.requests);
    expect(byModel.totals.requests).toBe(ids.length);
    const failed = (await (await admin('/admin/api/logs?failed=true&limit=500')).json()) as {
      data: LogEntry[];
    };
    expect(failed.data.length).toBe(usage.totals.errors);
    expect(failed.data.every((e) => e.status >= 400)).toBe(true);
    expect((await admin('/admin/api/logs?failed=maybe')).status).toBe(400);
    const tooLong = await admin(`/admin/api/usage?interval=minute&from=${Date.now() - 7 * 3_600_000}`);
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { param: string } }).error.param).toBe('interval');
    // A time past the last one a date can hold (8.64e15 ms) is a 400, not a 500 from formatting it.
    for (const path of ['/admin/api/usage?to=9007199254740991', '/admin/api/logs?from=8640000000000001']) {
      const beyond = await admin(path);
      expect(beyond.status, path).toBe(400);
      expect(((await beyond.json()) as { error: { param: string } }).error.param, path).toMatch(
        /^(to|from)$/,
      );
    }
  });
});

describe('admin stats', () => {
  it('gains tokens, cost, error rate and latency per model and channel from the rollups', async () => {
    const fake = await startFakeUpstream();
    const gw = await startAccountingGateway(fake, {}, { ADMIN_TOKEN });
    try {
      for (let i = 0; i < 3; i++) await recordOf(gw, await sent(gw, i));
      // Journaled records are durable at once; the rollups these stats read fold them in at the
      // writer's next flush.
      await waitForAsync(async () => {
        const rows = await gw.node.storage.usage.rollups({ dimension: 'all', from: 0, to: Date.now() + 1 });
        return rows.reduce((n, r) => n + r.requests, 0) >= 3 ? true : null;
      }, 'the rollups of three records');
      const res = await fetch(`${gw.url}/admin/api/stats`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(200);
      const stats = (await res.json()) as {
        usage_24h: { per_model: { value: string; requests: number; cost: number; total_tokens: number }[] };
      };
      const model = stats.usage_24h.per_model[0];
      expect(model).toMatchObject({ value: 'gpt-4o-mini', requests: 3 });
      expect(model?.total_tokens).toBeGreaterThan(0);
      expect(model?.cost).toBeGreaterThan(0);
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});

async function sent(gw: TestGateway, i: number): Promise<string> {
  const id = newRequestId(`stats-${i}`);
  await (await chat(gw, id)).text();
  return id;
}
