import type { UsageRecord } from '../../spec/usage.js';
import type { JournalEntry } from '../sql/sql-usage-journal.js';

/**
 * A stream entry read by a shipper. `entry` null: not a journal entry it can read, unless
 * `superseded` (a provisional record whose final one came in the same read: the final replaces
 * it in the database anyway, so it is acknowledged without being parsed).
 */
export interface Held {
  readonly id: string;
  readonly entry: JournalEntry | null;
  readonly superseded?: true;
}

/** `[id, [field, value, ...]]` as XREADGROUP / XAUTOCLAIM send it; nil fields: deleted. */
export type RawEntry = [string, string[] | null];

/** Entries of an XREADGROUP / XAUTOCLAIM reply; a deleted one (nil fields) is skipped. */
export function parseEntries(raw: readonly RawEntry[]): Held[] {
  const fieldsOf: { id: string; f: Record<string, string> }[] = [];
  for (const [id, fields] of raw) {
    if (!fields) continue;
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
    fieldsOf.push({ id, f });
  }
  // Final records first: the provisional ones they replace need no parse.
  const parsed = new Map<string, JournalEntry | null>();
  const finals = new Set<string>();
  for (const { id, f } of fieldsOf) {
    if (f.f !== '1') continue;
    const entry = parseEntry(f);
    parsed.set(id, entry);
    if (entry) finals.add(entry.entry);
  }
  return fieldsOf.map(({ id, f }): Held => {
    if (f.f === '1') return { id, entry: parsed.get(id) ?? null };
    if (f.e !== undefined && finals.has(f.e)) return { id, entry: null, superseded: true };
    return { id, entry: parseEntry(f) };
  });
}

/**
 * XAUTOCLAIM's reply. Redis 6.2 sends `[cursor, entries]`, and an entry deleted while pending
 * comes back with nil fields and stays pending: its id is in `deleted`, for the caller to
 * acknowledge (else every sweep would claim it again, and a batch of them would hide the live
 * entries behind). Redis 7 sends `[cursor, entries, deletedIds]` and has dropped those from the
 * pending list itself, so there is nothing to acknowledge. Both carry the entries second.
 */
export function autoclaimReply(reply: unknown): { entries: Held[]; deleted: string[] } {
  const raw = (Array.isArray(reply) ? (reply[1] ?? []) : []) as RawEntry[];
  return { entries: parseEntries(raw), deleted: raw.filter(([, fields]) => !fields).map(([id]) => id) };
}

/** A stream entry as the buffer writes it; one that is not (written by hand?) cannot be shipped. */
function parseEntry(f: Record<string, string>): JournalEntry | null {
  if (f.e === undefined || f.b === undefined || f.r === undefined) return null;
  try {
    return { entry: f.e, boot: f.b, final: f.f === '1', record: JSON.parse(f.r) as UsageRecord };
  } catch {
    return null;
  }
}
