import { PAGE_LIMIT } from '../admin/page-limit.js';
import { enc, parseCommand, parseLimit, refuseArguments, refuseEmpty, UsageError } from './admin-args.js';
import { listData, output, runAdmin } from './run-admin.js';

const USAGE = `usage:
  switchboard audit list [--actor admin-token|session|cli|anonymous|SESSION] [--action ACTION]
                         [--object-type key|user|channel|session] [--object-id ID]
                         [--since 24h|ISO] [--until ISO] [--limit N] [--cursor C] [--json]
  common: [--url URL --admin-token TOKEN] to read a running gateway's log instead of the local database`;

const COLUMNS = ['time', 'actor', 'action', 'object', 'changes', 'address'];
const CHANGES_WIDTH = 80;

const OPTIONS = {
  actor: { type: 'string' },
  action: { type: 'string' },
  'object-type': { type: 'string' },
  'object-id': { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;

/**
 * `24h`, `30m`, `7d` mean that long ago; a date (`2026-12-01`: UTC midnight) or a time without an
 * offset (local time), as `--expires` reads them, goes to the API as full ISO 8601, which is all it
 * takes besides epoch ms; anything else goes as given, for the API to say what is wrong with it.
 */
export function timeFilter(text: string, now = Date.now()): string {
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  if (!match) {
    const at = /^\d+$/.test(text.trim()) ? Number.NaN : Date.parse(text);
    return Number.isNaN(at) ? text : new Date(at).toISOString();
  }
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 's'];
  return new Date(now - Number(match[1]) * unit).toISOString();
}

/** A value as text; an object without its unset (null) fields, e.g. limits {"rpm":60}. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    return JSON.stringify(Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null)));
  }
  return JSON.stringify(value);
}

/** `field: before → after; …`, cut to fit a terminal row. */
export function changesText(changes: unknown): string {
  if (!changes || typeof changes !== 'object') return '';
  const text = Object.entries(changes as Record<string, { before: unknown; after: unknown }>)
    .map(([field, c]) => `${field}: ${shown(c.before)} → ${shown(c.after)}`)
    .join('; ');
  return text.length > CHANGES_WIDTH ? `${text.slice(0, CHANGES_WIDTH - 1)}…` : text;
}

function row(entry: Record<string, unknown>) {
  const actor = entry.actor as { type: string; id: string | null };
  const object = entry.object as { type: string; id: string | null; name: string | null };
  const label = object.name && object.name !== object.id ? `${object.name} (${object.id})` : object.id;
  return {
    time: entry.at,
    actor: actor.id ? `${actor.type}:${actor.id}` : actor.type,
    action: entry.action,
    object: label ? `${object.type} ${label}` : object.type,
    changes: changesText(entry.changes),
    address: entry.address ?? '',
  };
}

/** `switchboard audit list`: who changed what, newest first, from the admin API's audit log. */
export function auditCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const parse = () => parseCommand(rest, OPTIONS);
  return runAdmin(USAGE, parse, async (open) => {
    const { values, positionals } = parse();
    if (action !== 'list') {
      throw new UsageError(action ? `unknown audit action "${action}"` : 'audit needs an action');
    }
    refuseArguments('audit list', positionals);
    // An unset shell variable (`--since "$FROM"`) is refused, not dropped (every entry listed)
    // nor sent for the API to refuse.
    refuseEmpty(values, Object.keys(OPTIONS));
    const limit = parseLimit(values.limit, PAGE_LIMIT.max) ?? PAGE_LIMIT.default;
    const filters: [string, string | undefined][] = [
      ['actor', values.actor],
      ['action', values.action],
      ['object_type', values['object-type']],
      ['object_id', values['object-id']],
      ['since', values.since === undefined ? undefined : timeFilter(values.since)],
      ['until', values.until === undefined ? undefined : timeFilter(values.until)],
      ['limit', String(limit)],
      ['cursor', values.cursor],
    ];
    const query = filters
      .filter((f): f is [string, string] => f[1] !== undefined)
      .map(([name, value]) => `${name}=${enc(value)}`)
      .join('&');
    const answer = (await (await open()).request('GET', `/audit?${query}`)) as {
      next_cursor?: string | null;
    };
    output(values.json, answer, listData(answer).map(row), COLUMNS);
    if (!values.json && answer.next_cursor) console.log(`\nmore: add --cursor ${answer.next_cursor}`);
    return 0;
  });
}
