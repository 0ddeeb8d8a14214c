import { parseArgs } from 'node:util';
import { loadSettings } from '../runtime/node/load-settings.js';
import { migrateDatabase } from '../runtime/node/open-storage.js';
import { refuseArguments } from './admin-args.js';

const USAGE = `usage:
  switchboard migrate [--json]
      Applies the pending database migrations (DATABASE_URL, SQLite or Postgres) and exits.
      Safe to run from several places at once on Postgres: migrations run under an advisory
      lock, so one applies them and the others find nothing to do.`;

/** `switchboard migrate`: migrations alone, for operators who migrate before a rollout. */
export async function migrateCommand(args: string[]): Promise<number> {
  let json: boolean;
  try {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false } },
    });
    refuseArguments('migrate', positionals);
    json = values.json === true;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const settings = loadSettings();
  const { applied, description } = await migrateDatabase(
    settings.databaseUrl,
    settings.database.connectTimeoutMs,
  );
  if (json) {
    console.log(JSON.stringify({ database: description, applied }));
  } else if (applied.length === 0) {
    console.log(`${description}: up to date, no migrations to apply`);
  } else {
    console.log(`${description}: applied ${applied.length} migration(s):`);
    for (const name of applied) console.log(`  ${name}`);
  }
  return 0;
}
