import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupCommit } from '../../src/storage/sqlite/group-commit.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { journalRowsOnFile } from '../support/journal-rows-on-file.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * The journal commits the records of all the requests that end in one event-loop turn together,
 * and each answer's last bytes wait for that commit. Requests go through the gateway's own fetch
 * (no socket): a client there reads the whole answer within the same turn, before a commit left
 * for later would have run. The check is a second connection to the database file, as another
 * process (or the next start, after a kill -9) would see it.
 */
describe('group commit: many requests ending at once', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let dir: string;
  let reader: BetterSqlite3.Database;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-group-commit-'));
    const file = join(dir, 'usage.db');
    fake = await startFakeUpstream();
    fake.onKey('k', { kind: 'drip', intervalMs: 2 });
    gw = await startTestGateway(
      {
        usage: { flush_interval_ms: 60_000 },
        channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k'], models: ['m'] })],
      },
      { DATABASE_URL: `sqlite:${file}` },
    );
    reader = new BetterSqlite3(file, { readonly: true });
  });
  afterAll(async () => {
    reader?.close();
    await gw?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The rows of a request on file now (read synchronously: nothing else runs meanwhile). */
  const committed = (id: string) => journalRowsOnFile(reader, id);

  const kinds = {
    json: { path: '/v1/chat/completions', marker: null, body: {} },
    relayed: {
      path: '/v1/chat/completions',
      marker: 'data: [DONE]',
      body: { stream: true, stream_options: { include_usage: true } },
    },
    translated: { path: '/v1/messages', marker: 'message_stop', body: { stream: true, max_tokens: 50 } },
  } as const;

  /** Sends one request; resolves to what a second connection reads the moment the answer is whole. */
  async function send(kind: keyof typeof kinds, id: string) {
    const { path, marker, body } = kinds[kind];
    const res = await gw.node.gateway.fetch(
      new Request(`http://gateway${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${gw.key}`,
          'content-type': 'application/json',
          'x-request-id': id,
        },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...body }),
      }),
    );
    if (marker === null) {
      await res.text();
      return committed(id);
    }
    const stream = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { done, value } = await stream.read();
      if (done) throw new Error(`${id} ended without ${marker}`);
      text += decoder.decode(value, { stream: true });
      if (!text.includes(marker)) continue;
      const rows = committed(id);
      await stream.cancel();
      return rows;
    }
  }

  it('every answer, JSON or streamed, has its final record committed when its client holds it', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => {
      const kind = (['json', 'relayed', 'translated'] as const)[i % 3] as keyof typeof kinds;
      return { kind, id: `group-${kind}-${i}` };
    });
    const seen = await Promise.all(ids.map(({ kind, id }) => send(kind, id)));
    const notCommitted = ids.filter((_, i) => JSON.stringify(seen[i]) !== '[{"status":200,"open":0}]');
    expect(notCommitted.map(({ id }) => id)).toEqual([]);
    expect(seen).toHaveLength(30);
  });
});

describe('group commit: one failing write', () => {
  it('fails alone: the other writes of its turn are committed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-group-commit-'));
    const db = new BetterSqlite3(join(dir, 'g.db'));
    try {
      db.pragma('journal_mode = WAL');
      db.exec('create table t (id integer primary key, v text not null)');
      const insert = db.prepare('insert into t (id, v) values (?, ?)');
      const queue = groupCommit(db);
      const results = await Promise.allSettled([
        queue(() => insert.run(1, 'a')),
        queue(() => insert.run(1, 'duplicate')),
        queue(() => insert.run(2, 'b')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(db.prepare('select id, v from t order by id').all()).toEqual([
        { id: 1, v: 'a' },
        { id: 2, v: 'b' },
      ]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('group commit: a transaction of the storage open on the same connection', () => {
  it('waits for it to end, so a rollback of that transaction does not take the committed rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-group-commit-'));
    const db = new BetterSqlite3(join(dir, 'g.db'));
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    try {
      db.pragma('journal_mode = WAL');
      db.exec('create table t (id integer primary key, v text not null)');
      const insert = db.prepare('insert into t (id, v) values (?, ?)');
      const queue = groupCommit(db);
      // An admin transaction (Kysely on this connection) awaiting async work, e.g. resealing keys.
      db.exec('begin');
      db.prepare('insert into t (id, v) values (?, ?)').run(9, 'admin');
      let reported = false;
      const written = queue(() => insert.run(1, 'usage')).then(() => {
        reported = true;
      });
      for (let i = 0; i < 5; i++) await turn();
      // Not reported committed while it could only be a savepoint inside the open transaction.
      expect(reported).toBe(false);
      db.exec('rollback');
      await written;
      expect(db.prepare('select id, v from t order by id').all()).toEqual([{ id: 1, v: 'usage' }]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
