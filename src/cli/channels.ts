import {
  type Arguments,
  enc,
  needArg,
  parseCommand,
  parseLimit,
  parseNumber,
  refuseArgumentsOf,
  refuseContradiction,
  refuseEmpty,
  refuseOptionsOf,
  splitList,
  UsageError,
} from './admin-args.js';
import { listRows, output, runAdmin, yesNo } from './run-admin.js';

const USAGE = `usage:
  switchboard channels list [--json]
  switchboard channels add NAME --provider P [--base-url URL] [--keys K1,K2] [--models a,b]
                           [--model-map 'alias=upstream,…'] [--priority N] [--weight N] [--disabled] [--json]
  switchboard channels update NAME [same settings as add] [--no-base-url] [--no-keys] [--no-models]
                              [--no-model-map] [--json]
                              (--no-base-url: the provider's default URL; --no-models: serve any
                              model; --no-keys: no upstream key)
  switchboard channels show NAME [--json]
  switchboard channels test NAME [--model M] [--json]
  switchboard channels disable|enable NAME
  switchboard channels remove NAME
  common: [--url URL --admin-token TOKEN] to act on a running gateway instead of the local database`;

const COLUMNS = ['name', 'provider', 'base_url', 'keys', 'models', 'priority', 'weight', 'enabled', 'source'];

function row(channel: Record<string, unknown>) {
  const models = [...(channel.models as string[]), ...Object.keys(channel.model_map as object)];
  return {
    ...channel,
    base_url: channel.base_url ?? '(default)',
    keys: (channel.keys as string[]).join(',') || '-',
    models: models.length ? models.join(',') : '*',
    enabled: yesNo(channel.enabled),
  };
}

const OPTIONS = {
  provider: { type: 'string' },
  'base-url': { type: 'string' },
  keys: { type: 'string' },
  models: { type: 'string' },
  'model-map': { type: 'string' },
  priority: { type: 'string' },
  weight: { type: 'string' },
  disabled: { type: 'boolean' },
  'no-base-url': { type: 'boolean' },
  'no-keys': { type: 'boolean' },
  'no-models': { type: 'boolean' },
  'no-model-map': { type: 'boolean' },
  model: { type: 'string' },
  limit: { type: 'string' },
} as const;

const SETTINGS = ['provider', 'base-url', 'keys', 'models', 'model-map', 'priority', 'weight', 'disabled'];

/** The options each action takes. */
const TAKES: Record<string, readonly string[]> = {
  list: ['limit'],
  add: SETTINGS,
  update: [...SETTINGS, 'no-base-url', 'no-keys', 'no-models', 'no-model-map'],
  show: [],
  test: ['model'],
  disable: [],
  enable: [],
  remove: [],
};

const ONE_CHANNEL: Arguments = { argument: 'NAME' };

/** The argument each action takes: a channel's name, or none. */
const ARGUMENTS: Record<string, Arguments> = {
  list: {},
  add: ONE_CHANNEL,
  update: ONE_CHANNEL,
  show: ONE_CHANNEL,
  test: { ...ONE_CHANNEL, hint: '--model' },
  disable: ONE_CHANNEL,
  enable: ONE_CHANNEL,
  remove: ONE_CHANNEL,
};

type Values = ReturnType<typeof parseCommand<typeof OPTIONS>>['values'];

function fieldsFrom(values: Values): Record<string, unknown> {
  const modelMap = values['model-map']
    ? Object.fromEntries(
        (splitList(values['model-map']) ?? []).map((pair) => {
          const [alias, upstream] = pair.split('=');
          if (!alias || !upstream) throw new UsageError(`--model-map: "${pair}" is not alias=upstream`);
          return [alias.trim(), upstream.trim()];
        }),
      )
    : undefined;
  return {
    ...(values.provider ? { provider: values.provider } : {}),
    ...(values['base-url'] ? { base_url: values['base-url'] } : {}),
    // null: back to the provider's default (an API error for a provider that has none).
    ...(values['no-base-url'] ? { base_url: null } : {}),
    ...(values.keys !== undefined ? { keys: splitList(values.keys) } : {}),
    ...(values['no-keys'] ? { keys: [] } : {}),
    ...(values.models !== undefined ? { models: splitList(values.models) } : {}),
    ...(values['no-models'] ? { models: [] } : {}),
    ...(modelMap ? { model_map: modelMap } : {}),
    ...(values['no-model-map'] ? { model_map: {} } : {}),
    ...(values.priority !== undefined ? { priority: parsePriority(values.priority) } : {}),
    ...(values.weight !== undefined ? { weight: parseNumber('weight', values.weight) } : {}),
  };
}

/** An integer, negative included; an empty value (Number('') is 0) is a wrong command line. */
function parsePriority(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value)) {
    throw new UsageError(`--priority: "${text}" is not a whole number`);
  }
  return value;
}

/** `switchboard channels …`: upstream channels, locally or through a gateway's admin API. */
export function channelsCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const parse = () => parseCommand(rest, OPTIONS);
  return runAdmin(USAGE, parse, async (open) => {
    const { values, positionals } = parse();
    refuseOptionsOf('channels', action, values, TAKES);
    refuseArgumentsOf('channels', action, positionals, values, ARGUMENTS);
    // An unset shell variable (`--base-url "$URL"`, `--keys "$KEY"`) is refused, not dropped nor
    // sent: an empty --keys, --models or --model-map would wipe the channel's keys or aliases, or
    // make it serve any model. That is asked for by name: --no-base-url, --no-keys, --no-models,
    // --no-model-map.
    refuseEmpty(values, [
      'provider',
      'base-url',
      'keys',
      'models',
      'model-map',
      'priority',
      'weight',
      'model',
      'limit',
    ]);
    refuseContradiction(values, 'base-url', 'no-base-url');
    refuseContradiction(values, 'keys', 'no-keys');
    refuseContradiction(values, 'models', 'no-models');
    refuseContradiction(values, 'model-map', 'no-model-map');
    const name = () => enc(needArg(positionals[0], `channels ${action} needs a NAME`));
    const show = (channel: unknown) => {
      output(values.json, channel, [row(channel as Record<string, unknown>)], COLUMNS);
      return 0;
    };
    switch (action) {
      case 'list': {
        const limit = parseLimit(values.limit);
        const rows = await listRows(await open(), '/channels', {}, limit);
        output(values.json, rows, rows.map(row), COLUMNS);
        return 0;
      }
      case 'add': {
        if (!values.provider) throw new UsageError('channels add needs --provider');
        const body = { name: needArg(positionals[0], 'channels add needs a NAME'), ...fieldsFrom(values) };
        return show(
          await (await open()).request(
            'POST',
            '/channels',
            values.disabled ? { ...body, enabled: false } : body,
          ),
        );
      }
      case 'update': {
        const patch = { ...fieldsFrom(values), ...(values.disabled ? { enabled: false } : {}) };
        if (Object.keys(patch).length === 0)
          throw new UsageError('channels update needs at least one setting');
        return show(await (await open()).request('PATCH', `/channels/${name()}`, patch));
      }
      case 'show':
        return show(await (await open()).request('GET', `/channels/${name()}`));
      case 'disable':
      case 'enable':
        return show(
          await (await open()).request('PATCH', `/channels/${name()}`, { enabled: action === 'enable' }),
        );
      case 'remove': {
        const answer = await (await open()).request('DELETE', `/channels/${name()}`);
        if (values.json) console.log(JSON.stringify(answer));
        else console.log(`removed channel "${positionals[0]}"`);
        return 0;
      }
      case 'test': {
        const result = (await (
          await open()
        ).request('POST', `/channels/${name()}/test`, values.model ? { model: values.model } : {})) as Record<
          string,
          unknown
        >;
        if (values.json) console.log(JSON.stringify(result, null, 2));
        else
          console.log(
            `${result.ok ? 'ok' : 'FAILED'}: channel ${result.channel}, model ${result.model}, ` +
              `status ${result.status ?? '-'}, ${result.latency_ms} ms${result.error ? `, ${result.error}` : ''}`,
          );
        return result.ok ? 0 : 1;
      }
      default:
        throw new UsageError(action ? `unknown channels action "${action}"` : 'channels needs an action');
    }
  });
}
