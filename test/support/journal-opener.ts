/**
 * A process that opens usage journal files at agreed instants, to race another one doing the
 * same (test/unit/file-usage-buffer.test.ts). Usage: `journal-opener.ts <base> <rounds>`; it
 * prints `ready`, reads the first instant (epoch ms) and the gap between rounds from stdin, opens
 * `<base>/<round>/usage.jsonl` at each and prints `done`. On the next line from stdin it prints
 * one JSON line (per round: the file whose lock names it, or the error), then keeps its locks
 * until stdin closes. The report waits for that line because, while the other process backs
 * off, it moves the lock this one just took aside for an instant to read it, and puts it back.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileUsageBuffer } from '../../src/runtime/node/file-usage-buffer.js';
import { silentLogger } from '../../src/spec/logger.js';
import type { JournalSink } from '../../src/storage/sql/sql-usage-journal.js';

const [base = '', roundsArg = '0'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const sink: JournalSink = {
  write: async () => {},
  rollUp: async () => 0,
  interrupt: async () => 0,
  interruptOthers: async () => 0,
};

/** The journal files of `dir` whose lock names this process (as a bare pid, or as JSON). */
function heldBy(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.lock'))
    .filter((name) => {
      const text = readFileSync(join(dir, name), 'utf8');
      if (text === String(process.pid)) return true;
      try {
        return (JSON.parse(text) as { pid?: unknown }).pid === process.pid;
      } catch {
        return false;
      }
    })
    .map((name) => name.slice(0, -'.lock'.length));
}

process.stdout.write('ready\n');
let input = '';
/** Per round: the error, or null once the journal is open (what it holds is read at the report). */
let opened: (string | null)[] | null = null;
let reported = false;
process.stdin.on('data', (chunk: Buffer) => {
  input += chunk.toString();
  const lines = input.split('\n');
  if (opened === null && lines.length >= 2) openAll(lines[0] ?? '');
  if (opened === null || reported || lines.length < 3) return;
  reported = true;
  const taken = opened.map((error, round) => error ?? heldBy(join(base, String(round))).join(','));
  process.stdout.write(`${JSON.stringify(taken)}\n`);
});
process.stdin.on('end', () => process.exit(0));

function openAll(schedule: string) {
  const [first, gap] = schedule.trim().split(' ').map(Number);
  const results: (string | null)[] = [];
  for (let round = 0; round < rounds; round++) {
    const at = (first ?? 0) + round * (gap ?? 0);
    // Spin (not a timer) so both processes leave the wait within microseconds of each other.
    while (Date.now() < at) {}
    const path = join(base, String(round), 'usage.jsonl');
    try {
      fileUsageBuffer({
        path,
        sink,
        boot: `b${process.pid}`,
        logger: silentLogger,
        maxRecords: 10,
        now: Date.now,
      });
      results.push(null);
    } catch (err) {
      results.push(`error: ${(err as Error).message}`);
    }
  }
  opened = results;
  process.stdout.write('done\n');
}
