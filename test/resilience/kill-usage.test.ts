import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { buildGatewayBundle, type GatewayBundle } from '../support/gateway-cluster.js';
import { journalRowsOnFile } from '../support/journal-rows-on-file.js';
import { channel } from '../support/start-gateway.js';

/**
 * `kill -9` under load, ten times over one SQLite file: every request whose client got a
 * complete answer has its one final record, requests in flight at the kill are `interrupted`
 * (or final, when the gateway finished before the client read the end), and after the last
 * restart the hourly rollups equal the sum of the raw records.
 */

const KILLS = 10;
const CLIENTS = 24;
/** Each round kills once this many of its requests were answered (the load is flowing)... */
const ANSWERS_PER_ROUND = 12;
/** ...and this long after, so the kill lands mid-traffic. */
const KILL_AFTER_MS = 100;
const ADMIN_TOKEN = 'kill-usage-admin-token-0123456789';

/** Bundled once, so each of the eleven starts loads one file instead of transpiling the sources. */
let bundle: GatewayBundle;
let fake: FakeUpstream;
let dir: string;
let child: ChildProcess | null = null;
/** The client key the first start printed (the database keeps it across restarts). */
let key: string | null = null;

beforeAll(async () => {
  bundle = await buildGatewayBundle('kill-usage');
  fake = await startFakeUpstream({ record: false });
  // Streams drip (so some are mid-answer at each kill); JSON answers come at once.
  fake.onKey('k', { kind: 'drip', intervalMs: 15 });
  fake.onKey('hang', { kind: 'hang' });
  dir = mkdtempSync(join(tmpdir(), 'switchboard-kill-'));
  writeFileSync(
    join(dir, 'switchboard.yaml'),
    JSON.stringify({
      // A long batch interval: at every kill the rollups are behind the raw records.
      usage: { flush_interval_ms: 10_000 },
      channels: [
        channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k'], models: ['m'] }),
        // Never answers: a request to it is still waiting on its upstream when the gateway dies.
        channel({ name: 'silent', base_url: fake.baseUrl, keys: ['hang'], models: ['slow'] }),
      ],
    }),
  );
}, 60_000);
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
  bundle?.remove();
});

interface Started {
  readonly url: string;
  /** The first client key, printed on the first start only. */
  readonly key: string | null;
  readonly proc: ChildProcess;
}

async function startGateway(): Promise<Started> {
  const proc = spawn(process.execPath, [bundle.file, 'serve'], {
    env: {
      ...process.env,
      CONFIG: join(dir, 'switchboard.yaml'),
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, 'usage.db')}`,
      ADMIN_TOKEN,
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child = proc;
  let key: string | null = null;
  let keyFollows = false;
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('exit', () => reject(new Error('gateway exited before listening')));
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.includes('No client keys existed')) keyFollows = true;
      const secret = /^\s+(\S+)\s*$/.exec(line)?.[1];
      if (secret && keyFollows && !key) key = secret;
      const listening = /listening on (http:\/\/\S+)/.exec(line)?.[1];
      if (listening) resolve(listening);
    });
  });
  return { url, key, proc };
}

async function kill(proc: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGKILL');
  await exited;
}

/** One request; resolves to whether the client holds a complete answer. */
async function request(url: string, key: string, id: string, stream: boolean, model = 'm'): Promise<boolean> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: `hello ${id}` }] }),
  });
  if (res.status !== 200 || res.headers.get('x-request-id') !== id) return false;
  if (!stream) {
    const body = (await res.json()) as { choices?: unknown[] };
    return Array.isArray(body.choices);
  }
  // Complete as soon as `[DONE]` arrives, even if the connection dies before the close.
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    text += decoder.decode(value, { stream: true });
    if (text.includes('data: [DONE]')) {
      void reader.cancel().catch(() => {});
      return true;
    }
  }
}

interface Tally {
  readonly answered: Set<string>;
  readonly unanswered: Set<string>;
}

/** CLIENTS loops of mixed stream and JSON requests until `stop` resolves. */
async function load(url: string, key: string, round: number, stop: Promise<void>, tally: Tally) {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let n = 0; !stopped; n++) {
        const id = `kill-${round}-${client}-${n}`;
        const ok = await request(url, key, id, (client + n) % 2 === 0).catch(() => false);
        (ok ? tally.answered : tally.unanswered).add(id);
      }
    }),
  );
}

interface Row {
  request_id: string;
  status: number;
  error_code: string | null;
  open: number;
}

describe('usage survives kill -9', () => {
  it(`loses no answered request's record over ${KILLS} kills, and rollups equal the records`, async () => {
    const tally: Tally = { answered: new Set(), unanswered: new Set() };
    for (let round = 0; round < KILLS; round++) {
      const gateway = await startGateway();
      key ??= gateway.key;
      if (!key) throw new Error('the first start printed no client key');
      let kick = () => {};
      const stop = new Promise<void>((resolve) => {
        kick = resolve;
      });
      const before = tally.answered.size;
      const running = load(gateway.url, key, round, stop, tally);
      const deadline = Date.now() + 15_000;
      while (tally.answered.size - before < ANSWERS_PER_ROUND && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS));
      await kill(gateway.proc);
      kick();
      await running;
    }

    // The last start marks what was in flight and folds what was not rolled up.
    const last = await startGateway();
    const db = new BetterSqlite3(join(dir, 'usage.db'), { readonly: true });
    try {
      const rows = db.prepare('select * from usage_records').all() as Row[];
      const byId = new Map<string, Row[]>();
      for (const row of rows) byId.set(row.request_id, [...(byId.get(row.request_id) ?? []), row]);

      expect(tally.answered.size).toBeGreaterThanOrEqual(KILLS * ANSWERS_PER_ROUND);
      const missing = [...tally.answered].filter((id) => !byId.has(id));
      const duplicates = [...byId].filter(([, list]) => list.length > 1).map(([id]) => id);
      const notFinal = [...tally.answered].filter((id) => byId.get(id)?.[0]?.status !== 200);
      expect({ missing, duplicates, notFinal }).toEqual({ missing: [], duplicates: [], notFinal: [] });
      expect(rows.filter((row) => row.open === 1)).toEqual([]);

      // Requests cut by a kill: interrupted, or final when the gateway had finished (and written
      // the record) before the client read the end; never anything else.
      const cut = [...tally.unanswered].flatMap((id) => byId.get(id) ?? []);
      const interrupted = cut.filter((row) => row.error_code === 'interrupted');
      expect(interrupted.length).toBeGreaterThan(0);
      expect(cut.filter((row) => row.error_code !== 'interrupted' && row.status !== 200)).toEqual([]);
      expect(interrupted.every((row) => row.status === 500)).toBe(true);
      // The figures of the run, for the record (the assertions above are what gate).
      console.info(
        `kill-usage: ${KILLS} kills, ${tally.answered.size} answered (0 without a record, 0 duplicates), ` +
          `${tally.unanswered.size} cut by a kill (${interrupted.length} recorded interrupted), ${rows.length} records`,
      );

      // Rollups, rebuilt at start from what the killed processes had not folded, equal the sums.
      expect(db.prepare('select count(*) as n from usage_records where rolled_up = 0').get()).toEqual({
        n: 0,
      });
      // Every final row the killed processes committed has moved into the log.
      expect(db.prepare('select count(*) as n from usage_pending').get()).toEqual({ n: 0 });
      for (const [dimension, column] of [
        ['all', "'*'"],
        ['key', 'key_id'],
        ['model', 'coalesce(model_served, model_asked)'],
        ['channel', 'channel'],
      ] as const) {
        const fromRecords = db
          .prepare(
            `select ${column} as value, count(*) as requests,
               sum(case when status >= 400 and status <> 499 then 1 else 0 end) as errors,
               sum(coalesce(prompt_tokens, 0)) as prompt, sum(coalesce(completion_tokens, 0)) as completion
             from usage_records where ${column} is not null group by value order by value`,
          )
          .all();
        const fromRollups = db
          .prepare(
            `select value, sum(requests) as requests, sum(errors) as errors,
               sum(prompt_tokens) as prompt, sum(completion_tokens) as completion
             from usage_hourly where dimension = ? group by value order by value`,
          )
          .all(dimension);
        expect(fromRollups, dimension).toEqual(fromRecords);
      }

      // The usage API shows an interrupted request as such.
      const sample = interrupted[0] as Row;
      const shown = await fetch(`${last.url}/admin/api/logs/${sample.request_id}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(shown.status).toBe(200);
      expect(JSON.stringify(await shown.json())).toContain('"interrupted"');
    } finally {
      db.close();
      await kill(last.proc);
    }
  }, 240_000);
  it('a JSON request still waiting on its upstream at the kill is recorded interrupted', async () => {
    const gateway = await startGateway();
    key ??= gateway.key;
    if (!key) throw new Error('no client key');
    const id = 'waiting-at-the-kill';
    void request(gateway.url, key, id, false, 'slow').catch(() => false);
    // Wait for its provisional row (written once it has waited a moment), then kill.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const db = new BetterSqlite3(join(dir, 'usage.db'), { readonly: true });
      const rows = journalRowsOnFile(db, id);
      db.close();
      if (rows.length > 0) break;
      if (Date.now() > deadline) throw new Error('no provisional row for the waiting request');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await kill(gateway.proc);
    const last = await startGateway();
    try {
      const shown = await fetch(`${last.url}/admin/api/logs/${id}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(shown.status).toBe(200);
      const text = JSON.stringify(await shown.json());
      expect(text).toContain('"interrupted"');
      expect(text).toContain('"slow"');
    } finally {
      await kill(last.proc);
    }
  }, 60_000);
});
