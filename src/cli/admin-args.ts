import { type ParseArgsConfig, parseArgs } from 'node:util';
import { PAGE_LIMIT } from '../admin/page-limit.js';
import { loadSettings } from '../runtime/node/load-settings.js';
import { type AdminClient, localAdminClient, remoteAdminClient } from './admin-client.js';

/** A wrong command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

const COMMON = {
  url: { type: 'string' },
  'admin-token': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/**
 * Parses a subcommand's options plus the shared --url / --admin-token / --json. An empty --url or
 * --admin-token (`--url "$GATEWAY"` with the variable unset) is refused: dropped, the command
 * would act on the local database, even with SWITCHBOARD_URL naming the gateway meant. So is an
 * --admin-token with no URL to take it to: it says a running gateway was meant, and the command
 * would act on the local database. ADMIN_TOKEN in the environment alone is no such choice.
 */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  const parsed = asUsage(() =>
    parseArgs({ args, allowPositionals: true, strict: true, options: { ...COMMON, ...options } }),
  );
  refuseEmpty(parsed.values, ['url', 'admin-token']);
  const { values } = parsed as { values: { url?: string; 'admin-token'?: string } };
  if (values['admin-token'] !== undefined && !gatewayUrl(values))
    throw new UsageError(
      '--admin-token needs --url (or SWITCHBOARD_URL): without one the command acts on the local database',
    );
  return parsed;
}

/** parseArgs' refusals (an unknown option, a missing value) as a wrong command line. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** An environment variable's value; set but empty (or blank), it counts as unset. */
function fromEnv(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

/** The running gateway the command acts on: --url, else SWITCHBOARD_URL (an empty one is unset). */
export function gatewayUrl(values: { url?: string }): string | undefined {
  return values.url ?? fromEnv('SWITCHBOARD_URL');
}

/** Remote with --url (token from --admin-token or ADMIN_TOKEN), otherwise the local database. */
export async function openAdminClient(values: {
  url?: string;
  'admin-token'?: string;
}): Promise<AdminClient> {
  const url = gatewayUrl(values);
  if (url) {
    const token = values['admin-token'] ?? fromEnv('ADMIN_TOKEN');
    if (!token) throw new UsageError('--url needs --admin-token (or ADMIN_TOKEN in the environment)');
    return remoteAdminClient(url, token);
  }
  return localAdminClient(loadSettings());
}

/** `30d`, `12h`, `45m`, `90s` from now, or an ISO time, as an ISO string. */
export function parseExpiry(text: string, now = Date.now()): string {
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  if (match) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 's'];
    return new Date(now + Number(match[1]) * unit).toISOString();
  }
  // Date.parse reads a bare number as a year (`45` is 2045, `7` July 2001), not the days meant.
  if (/^\d+$/.test(text.trim()))
    throw new UsageError(
      `--expires: "${text}" needs a unit: ${text.trim()}d for days, ${text.trim()}h for hours`,
    );
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw new UsageError(`--expires: "${text}" is neither a duration (30d, 12h) nor a date`);
  return new Date(at).toISOString();
}

export function splitList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  // Number('') is 0: an unset shell variable (--budget "$BUDGET") would set a zero budget.
  if (text.trim() === '') throw new UsageError(`--${name}: a number is needed, not an empty value`);
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new UsageError(`--${name}: "${text}" is not a non-negative number`);
  return value;
}

/**
 * `--limit` as a count of rows: a whole number, at least the admin API's smallest page
 * (PAGE_LIMIT.min), and at most `max` when it goes to the API as one page (`audit list`); the
 * lists the CLI pages through (`keys list`) take any count. Outside that, the API would refuse it
 * (exit 1, `limit: Too small`): it is a wrong command line instead.
 */
export function parseLimit(text: string | undefined, max?: number): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(value) && value >= PAGE_LIMIT.min && (max === undefined || value <= max))
    return value;
  const range = max === undefined ? `of ${PAGE_LIMIT.min} or more` : `from ${PAGE_LIMIT.min} to ${max}`;
  throw new UsageError(`--limit: "${text}" is not a whole number ${range}`);
}

/**
 * Refuses an option given an empty value (an unset shell variable: `--expires "$EXPIRY"`).
 * Dropped, it would leave the setting unset with exit code 0: a key that never expires, owned by
 * the `default` user, bound to no channel.
 */
export function refuseEmpty(values: Readonly<Record<string, unknown>>, names: readonly string[]): void {
  for (const name of names) {
    const value = values[name];
    if (typeof value === 'string' && value.trim() === '')
      throw new UsageError(`--${name}: a value is needed, not an empty one`);
  }
}

/**
 * Refuses options a command does not take (`keys disable two --rpm 5`): ignored, the command
 * would exit 0 with the setting unchanged. The shared --url, --admin-token and --json are taken.
 */
export function refuseOptions(
  command: string,
  values: Readonly<Record<string, unknown>>,
  taken: readonly string[] = [],
): void {
  const extra = Object.keys(values).filter(
    (name) => values[name] !== undefined && !(name in COMMON) && !taken.includes(name),
  );
  if (extra.length > 0) throw new UsageError(`${command} takes no ${extra.map((n) => `--${n}`).join(', ')}`);
}

/**
 * Refuses the options `command action` does not take, given each action's options: one command's
 * option typed on another (`keys revoke two --expires 2027-01-01`, `users create bob --rpm 10`)
 * would otherwise be ignored with exit code 0. An unknown action is left to the command to name.
 */
export function refuseOptionsOf(
  command: string,
  action: string | undefined,
  values: Readonly<Record<string, unknown>>,
  takes: Readonly<Record<string, readonly string[]>>,
): void {
  if (action !== undefined && Object.hasOwn(takes, action))
    refuseOptions(`${command} ${action}`, values, takes[action]);
}

/** The argument an action takes (`ID|NAME`, or none), and the option one stray argument is likely for. */
export interface Arguments {
  readonly argument?: string;
  readonly hint?: string;
}

/**
 * Refuses positional arguments beyond the one `command` takes: ignored, `users create bob carol`
 * would create bob alone and `keys list alice` list every key, with exit code 0. A lone extra
 * argument is shown as the option it was likely meant for (`keys list alice`: `--user alice`),
 * unless that option is given too.
 */
export function refuseArguments(
  command: string,
  positionals: readonly string[],
  { argument, hint }: Arguments = {},
  values: Readonly<Record<string, unknown>> = {},
): void {
  const extra = positionals.slice(argument === undefined ? 0 : 1);
  if (extra.length === 0) return;
  const named = extra.map((a) => `"${a}"`).join(', ');
  const message =
    argument === undefined
      ? `${command} takes no argument${extra.length > 1 ? 's' : ''} ${named}`
      : `${command} takes one ${argument}, not also ${named}`;
  const hinted = extra.length === 1 && hint !== undefined && values[hint.slice(2)] === undefined;
  throw new UsageError(hinted ? `${message} (did you mean ${hint} ${extra[0]}?)` : message);
}

/** refuseArguments for `command action`, given each action's arguments; an unknown action is left to the command. */
export function refuseArgumentsOf(
  command: string,
  action: string | undefined,
  positionals: readonly string[],
  values: Readonly<Record<string, unknown>>,
  takes: Readonly<Record<string, Arguments>>,
): void {
  if (action !== undefined && Object.hasOwn(takes, action))
    refuseArguments(`${command} ${action}`, positionals, takes[action], values);
}

/** Refuses an option given with the `--no-…` option that clears the same setting. */
export function refuseContradiction(
  values: Readonly<Record<string, unknown>>,
  option: string,
  clearing: string,
): void {
  if (values[clearing] && values[option] !== undefined)
    throw new UsageError(`--${option} and --${clearing} contradict each other`);
}

export function needArg(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(what);
  return value;
}

export function enc(segment: string): string {
  return encodeURIComponent(segment);
}
