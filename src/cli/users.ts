import {
  type Arguments,
  enc,
  needArg,
  parseCommand,
  parseLimit,
  refuseArgumentsOf,
  refuseContradiction,
  refuseEmpty,
  refuseOptionsOf,
  UsageError,
} from './admin-args.js';
import { listRows, output, runAdmin, yesNo } from './run-admin.js';

const USAGE = `usage:
  switchboard users list [--json]
  switchboard users create NAME [--email E] [--notes TEXT] [--json]
  switchboard users show ID|NAME [--json]
  switchboard users update ID|NAME [--name N] [--email E | --no-email] [--notes TEXT | --no-notes] [--json]
  switchboard users disable|enable ID|NAME      (a disabled user's keys are refused at once)
  switchboard users delete ID|NAME              (deletes the user's keys too)
  common: [--url URL --admin-token TOKEN] to act on a running gateway instead of the local database`;

const COLUMNS = ['id', 'name', 'email', 'enabled', 'created'];

function row(user: Record<string, unknown>) {
  return { ...user, email: user.email ?? '', enabled: yesNo(user.enabled), created: user.created_at };
}

/** The options each action takes. */
const TAKES: Record<string, readonly string[]> = {
  list: ['limit'],
  create: ['email', 'notes'],
  show: [],
  update: ['name', 'email', 'no-email', 'notes', 'no-notes'],
  disable: [],
  enable: [],
  delete: [],
};

const ONE_USER: Arguments = { argument: 'ID|NAME' };

/** The argument each action takes: a user, a new user's name, or none. */
const ARGUMENTS: Record<string, Arguments> = {
  list: {},
  create: { argument: 'NAME' },
  show: ONE_USER,
  update: ONE_USER,
  disable: ONE_USER,
  enable: ONE_USER,
  delete: ONE_USER,
};

/** `switchboard users …`: tenants, locally or through a gateway's admin API. */
export function usersCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const parse = () =>
    parseCommand(rest, {
      email: { type: 'string' },
      notes: { type: 'string' },
      name: { type: 'string' },
      'no-email': { type: 'boolean' },
      'no-notes': { type: 'boolean' },
      limit: { type: 'string' },
    });
  return runAdmin(USAGE, parse, async (open) => {
    const { values, positionals } = parse();
    refuseOptionsOf('users', action, values, TAKES);
    refuseArgumentsOf('users', action, positionals, values, ARGUMENTS);
    // An unset shell variable (`--email "$EMAIL"`) is refused, not dropped: --no-email clears.
    // An empty --limit would ask for no rows.
    refuseEmpty(values, ['name', 'email', 'notes', 'limit']);
    refuseContradiction(values, 'email', 'no-email');
    refuseContradiction(values, 'notes', 'no-notes');
    const target = positionals[0];
    const show = (user: unknown) => {
      output(values.json, user, [row(user as Record<string, unknown>)], COLUMNS);
      return 0;
    };
    switch (action) {
      case 'list': {
        const limit = parseLimit(values.limit);
        const rows = await listRows(await open(), '/users', {}, limit);
        output(values.json, rows, rows.map(row), COLUMNS);
        return 0;
      }
      case 'create':
        return show(
          await (await open()).request('POST', '/users', {
            name: needArg(target, 'users create needs a NAME'),
            ...(values.email ? { email: values.email } : {}),
            ...(values.notes ? { notes: values.notes } : {}),
          }),
        );
      case 'show':
        return show(
          await (await open()).request(
            'GET',
            `/users/${enc(needArg(target, 'users show needs an ID or NAME'))}`,
          ),
        );
      case 'update':
      case 'disable':
      case 'enable': {
        const patch =
          action === 'update'
            ? {
                ...(values.name ? { name: values.name } : {}),
                ...(values.email ? { email: values.email } : {}),
                ...(values['no-email'] ? { email: null } : {}),
                ...(values.notes ? { notes: values.notes } : {}),
                ...(values['no-notes'] ? { notes: null } : {}),
              }
            : { enabled: action === 'enable' };
        if (Object.keys(patch).length === 0)
          throw new UsageError('users update needs --name, --email, --no-email, --notes or --no-notes');
        const id = needArg(target, `users ${action} needs an ID or NAME`);
        return show(await (await open()).request('PATCH', `/users/${enc(id)}`, patch));
      }
      case 'delete': {
        const id = needArg(target, 'users delete needs an ID or NAME');
        const answer = (await (await open()).request('DELETE', `/users/${enc(id)}`)) as {
          keys_deleted: number;
        };
        if (values.json) console.log(JSON.stringify(answer));
        else console.log(`deleted user "${id}" and ${answer.keys_deleted} key(s)`);
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown users action "${action}"` : 'users needs an action');
    }
  });
}
