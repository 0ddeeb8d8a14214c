import { parseArgs } from 'node:util';
import { keyHint } from '../auth/key-secret.js';
import { createClientKey } from '../auth/key-service.js';
import { loadSettings } from '../runtime/node/load-settings.js';
import { openStorage } from '../runtime/node/open-storage.js';
import type { KeyRecord } from '../storage/ports.js';
import { printTable } from './table.js';

const USAGE = `usage:
  switchboard keys create --name NAME [--prefix sk] [--models 'gpt-4o,deepseek/*'] [--json]
  switchboard keys list [--json]
  switchboard keys revoke ID_OR_NAME`;

/** `switchboard keys …` against the local database named by DATABASE_URL / the config file. */
export async function keysCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      prefix: { type: 'string' },
      models: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const settings = loadSettings();
  const { storage } = await openStorage(settings.databaseUrl);
  try {
    switch (action) {
      case 'create': {
        if (!values.name) throw new UsageError('keys create needs --name');
        const models = values.models
          ? values.models
              .split(',')
              .map((m) => m.trim())
              .filter(Boolean)
          : [];
        const { record, secret } = await createClientKey(storage.keys, {
          name: values.name,
          prefix: values.prefix,
          models,
        });
        if (values.json) console.log(JSON.stringify({ ...publicView(record), key: secret }));
        else
          console.log(
            `Created key "${record.name}" (id ${record.id}). Shown only this once:\n\n    ${secret}\n`,
          );
        return 0;
      }
      case 'list': {
        const keys = (await storage.keys.list()).map(publicView);
        if (values.json) console.log(JSON.stringify(keys));
        else printTable(keys, ['id', 'name', 'key', 'models', 'created', 'status']);
        return 0;
      }
      case 'revoke': {
        const target = positionals[0];
        if (!target) throw new UsageError('keys revoke needs an id or a name');
        const count = await storage.keys.revoke(target, Date.now());
        if (count === 0) {
          console.error(`no active key with id or name "${target}"`);
          return 1;
        }
        console.log(`revoked ${count} key${count === 1 ? '' : 's'}`);
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown keys action "${action}"` : 'keys needs an action');
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  } finally {
    await storage.close();
  }
}

class UsageError extends Error {}

function publicView(record: KeyRecord) {
  return {
    id: record.id,
    name: record.name,
    key: keyHint(record.prefix, record.last4),
    models: record.models.join(',') || '*',
    created: new Date(record.createdAt).toISOString(),
    status: record.revokedAt === null ? 'active' : 'revoked',
  };
}
