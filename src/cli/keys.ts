import {
  type Arguments,
  enc,
  needArg,
  parseCommand,
  parseExpiry,
  parseLimit,
  parseNumber,
  refuseArgumentsOf,
  refuseContradiction,
  refuseEmpty,
  refuseOptionsOf,
  splitList,
  UsageError,
} from './admin-args.js';
import { listRows, output, runAdmin } from './run-admin.js';

const USAGE = `usage:
  switchboard keys create (--name NAME | --user USER) [--user USER] [--prefix sk] [--purpose default|cursor]
                          [--models 'gpt-4o,deepseek/*'] [--expires 30d|2026-12-31] [--ip 10.0.0.0/8,::1]
                          [--rpm N] [--rph N] [--tpm N] [--concurrent N] [--budget AMOUNT] (each N|none)
                          [--channel NAME]
                          [--byok-provider P --byok-key KEY] [--disabled] [--json]
  switchboard keys list [--user USER] [--json]
  switchboard keys show ID|NAME [--json]
  switchboard keys update ID|NAME [--name NAME] [same settings as create, except --user/--prefix]
                          [--no-channel] [--no-byok] [--json]
  switchboard keys disable|enable ID|NAME
  switchboard keys rotate ID|NAME               (new secret for the same key; the old secret is refused)
  switchboard keys revoke ID|NAME
  common: [--url URL --admin-token TOKEN] to act on a running gateway instead of the local database`;

const COLUMNS = ['id', 'name', 'user', 'key', 'purpose', 'models', 'expires', 'status'];

function row(key: Record<string, unknown>) {
  const models = key.models as string[];
  return {
    ...key,
    user: key.user_id,
    models: models.length ? models.join(',') : '*',
    expires: key.expires_at ?? 'never',
  };
}

const OPTIONS = {
  name: { type: 'string' },
  user: { type: 'string' },
  prefix: { type: 'string' },
  purpose: { type: 'string' },
  models: { type: 'string' },
  expires: { type: 'string' },
  ip: { type: 'string' },
  rpm: { type: 'string' },
  rph: { type: 'string' },
  tpm: { type: 'string' },
  concurrent: { type: 'string' },
  budget: { type: 'string' },
  channel: { type: 'string' },
  'byok-provider': { type: 'string' },
  'byok-key': { type: 'string' },
  'no-channel': { type: 'boolean' },
  'no-byok': { type: 'boolean' },
  disabled: { type: 'boolean' },
  limit: { type: 'string' },
} as const;

const SETTINGS = [
  'purpose',
  'models',
  'expires',
  'ip',
  'rpm',
  'rph',
  'tpm',
  'concurrent',
  'budget',
  'channel',
  'byok-provider',
  'byok-key',
  'no-channel',
  'no-byok',
  'disabled',
] as const;

/**
 * The options each action takes. `update` lists --user and --prefix to refuse them by name below
 * (fixed once the key is made); --no-channel and --no-byok on `create` ask for what a new key is.
 */
const TAKES: Record<string, readonly string[]> = {
  create: ['name', 'user', 'prefix', ...SETTINGS],
  list: ['user', 'limit'],
  show: [],
  update: ['name', 'user', 'prefix', ...SETTINGS],
  disable: [],
  enable: [],
  rotate: [],
  revoke: [],
};

const ONE_KEY: Arguments = { argument: 'ID|NAME' };

/** The argument each action takes: a key, or none (`create` is named by --name, `list` filtered by --user). */
const ARGUMENTS: Record<string, Arguments> = {
  create: { hint: '--name' },
  list: { hint: '--user' },
  show: ONE_KEY,
  update: ONE_KEY,
  disable: ONE_KEY,
  enable: ONE_KEY,
  rotate: ONE_KEY,
  revoke: ONE_KEY,
};

type Values = ReturnType<typeof parseCommand<typeof OPTIONS>>['values'];

/** The key settings given on the command line, as admin API fields. */
function settingsFrom(values: Values): Record<string, unknown> {
  // `none` clears a limit (the API's null): the `limits.keys` default, or no limit, applies.
  const limit = (name: 'rpm' | 'rph' | 'tpm' | 'concurrent' | 'budget') => {
    const text = values[name];
    if (text === undefined) return {};
    return { [name]: text.trim() === 'none' ? null : parseNumber(name, text) };
  };
  const limits = {
    ...limit('rpm'),
    ...limit('rph'),
    ...limit('tpm'),
    ...limit('concurrent'),
    ...limit('budget'),
  };
  if (!!values['byok-provider'] !== !!values['byok-key']) {
    throw new UsageError('--byok-provider and --byok-key go together');
  }
  refuseContradiction(values, 'channel', 'no-channel');
  refuseContradiction(values, 'byok-provider', 'no-byok');
  return {
    ...(values.purpose ? { purpose: values.purpose } : {}),
    ...(values.models !== undefined ? { models: splitList(values.models) } : {}),
    ...(values.expires
      ? { expires_at: values.expires === 'never' ? null : parseExpiry(values.expires) }
      : {}),
    ...(values.ip !== undefined ? { ip_allowlist: splitList(values.ip) } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
    ...(values.channel ? { channel_id: values.channel } : {}),
    ...(values['no-channel'] ? { channel_id: null } : {}),
    ...(values['byok-provider']
      ? { byok: { provider: values['byok-provider'], key: values['byok-key'] } }
      : {}),
    ...(values['no-byok'] ? { byok: null } : {}),
    ...(values.disabled ? { enabled: false } : {}),
  };
}

/** `switchboard keys …`: client keys, locally or through a gateway's admin API. */
export function keysCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const parse = () => parseCommand(rest, OPTIONS);
  return runAdmin(USAGE, parse, async (open) => {
    const { values, positionals } = parse();
    refuseOptionsOf('keys', action, values, TAKES);
    refuseArgumentsOf('keys', action, positionals, values, ARGUMENTS);
    // An empty `--models` or `--ip` is a setting (every model, any address); these have none (an
    // empty --limit would ask for no rows).
    refuseEmpty(values, [
      'name',
      'user',
      'prefix',
      'purpose',
      'expires',
      'channel',
      'byok-provider',
      'byok-key',
      'limit',
    ]);
    const target = positionals[0];
    const show = (key: unknown) => {
      output(values.json, key, [row(key as Record<string, unknown>)], COLUMNS);
      return 0;
    };
    const revealed = (key: Record<string, unknown>, verb: string) => {
      if (values.json) console.log(JSON.stringify(key, null, 2));
      else
        console.log(
          `${verb} key "${key.name}" (id ${key.id}, user ${key.user_id}). Shown only this once:\n\n    ${key.key}\n`,
        );
      return 0;
    };
    switch (action) {
      case 'create': {
        if (!values.name && !values.user) {
          throw new UsageError('keys create needs --name (or --user, to name the key after its user)');
        }
        const body = {
          name: values.name ?? values.user,
          ...(values.user ? { user_id: values.user } : {}),
          ...(values.prefix ? { prefix: values.prefix } : {}),
          ...settingsFrom(values),
        };
        return revealed(
          (await (await open()).request('POST', '/keys', body)) as Record<string, unknown>,
          'Created',
        );
      }
      case 'list': {
        const limit = parseLimit(values.limit);
        const rows = await listRows(await open(), '/keys', { user_id: values.user }, limit);
        output(values.json, rows, rows.map(row), COLUMNS);
        return 0;
      }
      case 'show':
        return show(
          await (await open()).request(
            'GET',
            `/keys/${enc(needArg(target, 'keys show needs an ID or NAME'))}`,
          ),
        );
      case 'update':
      case 'disable':
      case 'enable': {
        const id = needArg(target, `keys ${action} needs an ID or NAME`);
        // A key's owner and prefix are fixed once it is made: refused here rather than dropped.
        const fixed =
          action === 'update' &&
          (values.user !== undefined ? '--user' : values.prefix !== undefined ? '--prefix' : null);
        if (fixed)
          throw new UsageError(`keys update cannot change ${fixed}: it is fixed once the key is made`);
        const patch =
          action === 'update'
            ? { ...(values.name !== undefined ? { name: values.name } : {}), ...settingsFrom(values) }
            : { enabled: action === 'enable' };
        if (Object.keys(patch).length === 0) throw new UsageError('keys update needs at least one setting');
        return show(await (await open()).request('PATCH', `/keys/${enc(id)}`, patch));
      }
      case 'rotate': {
        const id = needArg(target, 'keys rotate needs an ID or NAME');
        const key = (await (await open()).request('POST', `/keys/${enc(id)}/rotate`)) as Record<
          string,
          unknown
        >;
        if (!values.json) console.log(`The old secret of key ${key.id} is refused from now on.`);
        return revealed(key, 'Rotated');
      }
      case 'revoke': {
        const id = needArg(target, 'keys revoke needs an ID or NAME');
        const key = (await (await open()).request('DELETE', `/keys/${enc(id)}`)) as Record<string, unknown>;
        if (values.json) console.log(JSON.stringify(key, null, 2));
        else console.log(`revoked key "${key.name}" (id ${key.id})`);
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown keys action "${action}"` : 'keys needs an action');
    }
  });
}
