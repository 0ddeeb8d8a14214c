import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileUsageBuffer } from '../../src/runtime/node/file-usage-buffer.js';
import { silentLogger } from '../../src/spec/logger.js';
import type { JournalEntry, JournalSink } from '../../src/storage/sql/sql-usage-journal.js';
import { blankUsageRecord } from '../../src/usage/blank-record.js';
import { waitFor } from '../support/http.js';

/** A database that is up or down, keeping one row per entry as the SQL sink does. */
function databaseSink() {
  const rows = new Map<string, JournalEntry>();
  const state = { up: true };
  const sink: JournalSink = {
    async write(entries) {
      if (!state.up) throw new Error('connect ECONNREFUSED');
      for (const e of entries) if (e.final || !rows.has(e.entry)) rows.set(e.entry, e);
    },
    rollUp: async () => 0,
    interrupt: async () => 0,
    interruptOthers: async () => 0,
  };
  return { sink, rows, state };
}

/** A pid no process has any more. */
async function deadPid(): Promise<number> {
  const gone = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => gone.once('exit', resolve));
  return gone.pid ?? 0;
}

const OPENER = fileURLToPath(new URL('../support/journal-opener.ts', import.meta.url));
const FILLER = fileURLToPath(new URL('../support/journal-file-filler.ts', import.meta.url));

/** Starts test/support/journal-opener.ts; resolves once it is ready to race. */
async function startOpener(base: string, rounds: number) {
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), OPENER, base, String(rounds)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  await waitFor(() => out.startsWith('ready\n'), 'the opener to start', 15_000);
  /** Resolves once it has opened its journal in every round. */
  const done = () => waitFor(() => out.includes('ready\ndone\n'), 'the opener to finish its rounds', 15_000);
  /** What it holds (asked once both openers are done: see test/support/journal-opener.ts). */
  const result = async (): Promise<string[]> => {
    child.stdin?.write('report\n');
    await waitFor(() => out.split('\n').length > 3, 'the opener to report', 15_000);
    return JSON.parse(out.split('\n')[2] ?? '[]') as string[];
  };
  return { child, done, result };
}

const record = (id: string) => ({ ...blankUsageRecord(id, 'chat', 1_000), status: 200, firstByteMs: 7 });

describe('the local usage journal file (Postgres without Redis)', () => {
  let dir: string;
  let other: ChildProcess | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-journal-file-'));
  });
  let openers: ChildProcess[] = [];
  afterEach(() => {
    other?.kill('SIGKILL');
    other = null;
    for (const o of openers) o.kill('SIGKILL');
    openers = [];
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what could not be shipped for the next start, which marks requests in flight interrupted', async () => {
    const path = join(dir, 'usage.jsonl');
    const db = databaseSink();
    db.state.up = false;
    const first = fileUsageBuffer({
      path,
      sink: db.sink,
      boot: 'a',
      logger: silentLogger,
      maxRecords: 10,
      now: Date.now,
    });
    expect(await first.recover()).toBe(0);
    first.append('e1', record('r1'));
    first.append('e2', record('r2'));
    first.open('e3', record('r3'));
    await first.close();
    expect(db.rows.size).toBe(0);

    db.state.up = true;
    const second = fileUsageBuffer({
      path,
      sink: db.sink,
      boot: 'b',
      logger: silentLogger,
      maxRecords: 10,
      now: Date.now,
    });
    expect(await second.recover()).toBe(1);
    await waitFor(() => db.rows.size === 3, 'the replayed records shipped');
    expect(db.rows.get('e3')?.record).toMatchObject({
      requestId: 'r3',
      status: 500,
      errorCode: 'interrupted',
      latencyMs: 7,
    });
    expect(db.rows.get('e1')?.record.status).toBe(200);
    await second.close();
  });

  it('keeps every record whose append returned when the disk takes only part of a write', async () => {
    const path = join(dir, 'usage.jsonl');
    // A process whose files may not grow past 4 KiB: the write that crosses it takes part of its
    // line without an error, and the writes after it fail.
    const tsx = import.meta.resolve('tsx');
    const out = execFileSync('bash', [
      '-c',
      'ulimit -f 4 && exec "$0" --import "$1" "$2" "$3" 20',
      process.execPath,
      tsx,
      FILLER,
      path,
    ]).toString();
    const acknowledged = JSON.parse(out.trim()) as string[];
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.length).toBeLessThan(20);

    const db = databaseSink();
    const next = fileUsageBuffer({
      path,
      sink: db.sink,
      boot: 'b',
      logger: silentLogger,
      maxRecords: 100,
      now: Date.now,
    });
    await next.recover();
    await waitFor(() => db.rows.size >= acknowledged.length, 'the recovered records shipped');
    await next.close();
    expect([...db.rows.keys()].sort()).toEqual([...acknowledged].sort());
  });

  it("keeps a dead process's journal file until its records are in this one", async () => {
    const path = join(dir, 'usage.jsonl');
    const left: JournalEntry = { entry: 'old', boot: 'x', final: true, record: record('r-old') };
    writeFileSync(join(dir, 'usage.1.jsonl'), `${JSON.stringify(left)}\n`);
    writeFileSync(join(dir, 'usage.1.jsonl.lock'), String(await deadPid()));
    // Rewriting this process's file fails (a full disk, an I/O error at start).
    mkdirSync(`${path}.next`);
    const db = databaseSink();
    db.state.up = false;
    const failing = fileUsageBuffer({
      path,
      sink: db.sink,
      boot: 'b',
      logger: silentLogger,
      maxRecords: 10,
      now: Date.now,
    });
    await expect(failing.recover()).rejects.toThrow();
    await failing.close();
    expect(readFileSync(join(dir, 'usage.1.jsonl'), 'utf8')).toContain('r-old');

    // The next start, on a disk that works again, ships it.
    rmSync(`${path}.next`, { recursive: true });
    db.state.up = true;
    const next = fileUsageBuffer({
      path,
      sink: db.sink,
      boot: 'c',
      logger: silentLogger,
      maxRecords: 10,
      now: Date.now,
    });
    await next.recover();
    await waitFor(() => db.rows.has('old'), 'the dead slot shipped');
    await next.close();
    expect(existsSync(join(dir, 'usage.1.jsonl'))).toBe(false);
  });

  it("shows /health a category of the shipping failure, never the database's own error text", async () => {
    const logged: object[] = [];
    const logger = { ...silentLogger, error: (obj: object) => void logged.push(obj) };
    let failure: Error = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), {
      code: 'ECONNREFUSED',
    });
    const sink: JournalSink = {
      async write() {
        throw failure;
      },
      rollUp: async () => 0,
      interrupt: async () => 0,
      interruptOthers: async () => 0,
    };
    const buffer = fileUsageBuffer({
      path: join(dir, 'usage.jsonl'),
      sink,
      boot: 'a',
      logger,
      maxRecords: 10,
      now: Date.now,
    });
    await buffer.recover();
    buffer.append('e1', record('r1'));
    const lastError = async () =>
      ((await buffer.health.check()).detail as { last_error: string | null }).last_error;
    expect(await waitFor(lastError, 'a failed shipping attempt')).toBe('database unreachable');
    // The detail (an internal address) is for the operator's log only.
    expect(JSON.stringify(logged)).toContain('10.0.0.5:5432');
    await buffer.close();

    failure = new Error('permission denied for table usage_records (user switchboard_app)');
    const again = fileUsageBuffer({
      path: join(dir, 'usage.jsonl'),
      sink,
      boot: 'b',
      logger,
      maxRecords: 10,
      now: Date.now,
    });
    await again.recover();
    const category = async () =>
      ((await again.health.check()).detail as { last_error: string | null }).last_error;
    expect(await waitFor(category, 'a failed shipping attempt')).toBe('database write failed');
    await again.close();
  });

  it('says the backlog is full at the bound, and is not full again once it drains', async () => {
    const db = databaseSink();
    db.state.up = false;
    const buffer = fileUsageBuffer({
      path: join(dir, 'u.jsonl'),
      sink: db.sink,
      boot: 'a',
      logger: silentLogger,
      maxRecords: 2,
      now: Date.now,
    });
    await buffer.recover();
    buffer.append('e1', record('r1'));
    expect(buffer.backlogFull?.()).toBe(false);
    buffer.append('e2', record('r2'));
    expect(buffer.backlogFull?.()).toBe(true);
    db.state.up = true;
    await waitFor(() => buffer.backlogFull?.() === false, 'the backlog to drain', 10_000);
    expect(db.rows.size).toBe(2);
    await buffer.close();
  });

  it('takes the next slot when a live process holds the file, and ships the slots of dead ones', async () => {
    const path = join(dir, 'usage.jsonl');
    other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    writeFileSync(`${path}.lock`, String(other.pid));
    // Slot 2 was left by a process that died (its pid is gone), with a record never shipped.
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    const left: JournalEntry = { entry: 'old', boot: 'x', final: true, record: record('r-old') };
    writeFileSync(join(dir, 'usage.2.jsonl'), `${JSON.stringify(left)}\n`);
    writeFileSync(join(dir, 'usage.2.jsonl.lock'), String(gone.pid));
    const db = databaseSink();
    const buffer = fileUsageBuffer({
      path,
      sink: db.sink,
      boot: 'a',
      logger: silentLogger,
      maxRecords: 10,
      now: Date.now,
    });
    await buffer.recover();
    buffer.append('new', record('r-new'));
    await waitFor(() => db.rows.size === 2, 'both records shipped');
    expect(existsSync(join(dir, 'usage.1.jsonl'))).toBe(true);
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(String(other.pid));
    expect(existsSync(join(dir, 'usage.2.jsonl'))).toBe(false);
    await buffer.close();
  });

  it('takes over a lock left with its own pid (a container restarted as pid 1) and replays that file', async () => {
    const path = join(dir, 'usage.jsonl');
    const done: JournalEntry = { entry: 'done', boot: 'x', final: true, record: record('r-done') };
    const open: JournalEntry = { entry: 'open', boot: 'x', final: false, record: record('r-open') };
    writeFileSync(path, `${JSON.stringify(done)}\n${JSON.stringify(open)}\n`);
    writeFileSync(`${path}.lock`, String(process.pid));
    const db = databaseSink();
    const buffer = fileUsageBuffer({
      path,
      sink: db.sink,
      boot: 'a',
      logger: silentLogger,
      maxRecords: 10,
      now: Date.now,
    });
    expect(await buffer.recover()).toBe(1);
    await waitFor(() => db.rows.size === 2, 'the previous boot records shipped');
    expect(db.rows.get('open')?.record.errorCode).toBe('interrupted');
    expect(db.rows.get('done')?.record.status).toBe(200);
    expect(existsSync(join(dir, 'usage.1.jsonl'))).toBe(false);
    await buffer.close();
  });

  it('does not hand the same file to a second journal of the same process', async () => {
    const path = join(dir, 'usage.jsonl');
    const db = databaseSink();
    const options = { path, sink: db.sink, logger: silentLogger, maxRecords: 10, now: Date.now };
    const first = fileUsageBuffer({ ...options, boot: 'a' });
    const second = fileUsageBuffer({ ...options, boot: 'b' });
    await first.recover();
    await second.recover();
    first.open('e1', record('r1'));
    // Had the second taken the first's file, it would have replayed e1 as interrupted.
    expect(existsSync(join(dir, 'usage.1.jsonl'))).toBe(true);
    second.append('e2', record('r2'));
    await waitFor(() => db.rows.has('e2'), 'the second journal shipping');
    expect(db.rows.has('e1')).toBe(false);
    await second.close();
    await first.close();
  });

  it.skipIf(process.platform !== 'linux')(
    'takes over a lock whose pid now belongs to another process (pid reused after a reboot)',
    async () => {
      const path = join(dir, 'usage.jsonl');
      other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
      const left: JournalEntry = { entry: 'old', boot: 'x', final: true, record: record('r-old') };
      writeFileSync(path, `${JSON.stringify(left)}\n`);
      // The lock names a live pid, but that process started after the lock's owner did.
      writeFileSync(`${path}.lock`, JSON.stringify({ pid: other.pid, started: 'another-boot/12345' }));
      const db = databaseSink();
      const buffer = fileUsageBuffer({
        path,
        sink: db.sink,
        boot: 'a',
        logger: silentLogger,
        maxRecords: 10,
        now: Date.now,
      });
      await buffer.recover();
      await waitFor(() => db.rows.has('old'), 'the stranded record shipped');
      expect(existsSync(join(dir, 'usage.1.jsonl'))).toBe(false);
      await buffer.close();
    },
  );

  it('gives two processes starting at once on a stale lock distinct files, and respects both', async () => {
    const rounds = 40;
    const stale = String(await deadPid());
    for (let round = 0; round < rounds; round++) {
      mkdirSync(join(dir, String(round)));
      writeFileSync(join(dir, String(round), 'usage.jsonl.lock'), stale);
    }
    const a = await startOpener(dir, rounds);
    const b = await startOpener(dir, rounds);
    openers = [a.child, b.child];
    const go = `${Date.now() + 200} 15\n`;
    a.child.stdin?.write(go);
    b.child.stdin?.write(go);
    await Promise.all([a.done(), b.done()]);
    const [tookA, tookB] = await Promise.all([a.result(), b.result()]);
    const both = tookA.map((x, round) => [x, tookB[round]]);
    for (const [x, y] of both) {
      expect([x, y].sort()).toEqual(['usage.1.jsonl', 'usage.jsonl']);
    }
    // Both openers are alive and hold their files: a third start takes the slot after theirs.
    const db = databaseSink();
    const path = join(dir, '0', 'usage.jsonl');
    const third = fileUsageBuffer({
      path,
      sink: db.sink,
      boot: 'c',
      logger: silentLogger,
      maxRecords: 10,
      now: Date.now,
    });
    await third.recover();
    expect(existsSync(join(dir, '0', 'usage.2.jsonl'))).toBe(true);
    await third.close();
  }, 60_000);
});
