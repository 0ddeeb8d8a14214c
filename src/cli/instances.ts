import { gatewayUrl, parseCommand, refuseArguments, UsageError } from './admin-args.js';
import { listData, output, runAdmin } from './run-admin.js';

const USAGE = `usage:
  switchboard instances list --url URL [--admin-token TOKEN] [--json]
  running gateway instances, from their heartbeats (needs a running gateway: --url or SWITCHBOARD_URL)`;

const COLUMNS = ['id', 'version', 'started', 'last_heartbeat', 'in_flight', 'status'];

function row(entry: Record<string, unknown>) {
  return {
    id: entry.self ? `${String(entry.id)} (answered)` : entry.id,
    version: entry.version,
    started: entry.started_at,
    last_heartbeat: entry.last_heartbeat,
    in_flight: entry.in_flight,
    status: entry.status,
  };
}

/** `switchboard instances list`: what `GET /admin/api/instances` of a running gateway says. */
export function instancesCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const parse = () => parseCommand(rest, {});
  return runAdmin(USAGE, parse, async (open) => {
    const { values, positionals } = parse();
    if (action !== 'list') {
      throw new UsageError(action ? `unknown instances action "${action}"` : 'instances needs an action');
    }
    refuseArguments('instances list', positionals);
    // Heartbeats live in the gateways (and Redis), not in the database the local mode opens.
    if (!gatewayUrl(values)) {
      throw new UsageError('instances list asks a running gateway: give --url URL (or SWITCHBOARD_URL)');
    }
    const answer = await (await open()).request('GET', '/instances');
    output(values.json, answer, listData(answer).map(row), COLUMNS);
    return 0;
  });
}
