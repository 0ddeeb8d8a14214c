import { parseArgs } from 'node:util';
import { createSecretBox } from '../auth/secret-box.js';
import { envSchema } from '../config/schema.js';
import { loadSettings } from '../runtime/node/load-settings.js';
import { openSecretBox } from '../runtime/node/open-secret-box.js';
import { openStorage } from '../runtime/node/open-storage.js';
import { generateSealingKey, stageKeyFile } from '../runtime/node/sealing-key.js';
import { refuseArguments } from './admin-args.js';

const NEW_KEY_ENV = 'SWITCHBOARD_NEW_SECRET_KEY';

const USAGE = `usage:
  switchboard secrets rotate [--new-key-env NAME] [--json]
      Re-seals every stored upstream key under a new sealing key, in one transaction.
      The new key is generated, or read from the environment variable NAME
      (default ${NEW_KEY_ENV}, when set). Stop the gateway first; start it after.`;

/** `switchboard secrets rotate`: always on the local database (the key never crosses the network). */
export async function secretsCommand(args: string[]): Promise<number> {
  let values: { 'new-key-env'?: string; json?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { 'new-key-env': { type: 'string' }, json: { type: 'boolean', default: false } },
    }));
    if (positionals[0] === 'rotate') refuseArguments('secrets rotate', positionals.slice(1));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (positionals[0] !== 'rotate') {
    console.error(USAGE);
    return 2;
  }
  const envName = values['new-key-env'] ?? NEW_KEY_ENV;
  const given = process.env[envName]?.trim() || null;
  if (values['new-key-env'] && !given) {
    console.error(`--new-key-env ${envName}: that environment variable is not set`);
    return 2;
  }
  // Checked as SWITCHBOARD_SECRET_KEY is at start: a key the gateway would refuse to start with
  // would leave every secret sealed under a key nothing can use.
  const valid = given === null ? null : envSchema.shape.SWITCHBOARD_SECRET_KEY.safeParse(given);
  if (valid && !valid.success) {
    const reason = valid.error.issues[0]?.message ?? 'not a usable sealing key';
    console.error(
      `${envName}: ${reason.replace('SWITCHBOARD_SECRET_KEY', 'the new key')}; nothing was re-sealed`,
    );
    return 2;
  }
  return rotate(given, envName, values.json === true);
}

async function rotate(given: string | null, envName: string, json: boolean): Promise<number> {
  const settings = loadSettings();
  const { storage } = await openStorage(settings.databaseUrl, {
    poolSize: 2,
    connectTimeoutMs: settings.database.connectTimeoutMs,
    queryTimeoutMs: settings.database.queryTimeoutMs,
    migrate: settings.database.migrate,
  });
  try {
    const { box: oldBox, sealing } = await openSecretBox(settings, storage);
    if (sealing.source === 'memory') {
      console.error(
        'secrets rotate: DATABASE_URL is an in-memory database; there is nothing stored to rotate',
      );
      return 1;
    }
    if (!storage.resealSecrets) {
      console.error('secrets rotate: this storage backend cannot re-seal secrets in one transaction');
      return 1;
    }
    const newKey = given ?? generateSealingKey();
    if (newKey === sealing.key) {
      console.error('secrets rotate: the new key is the current key');
      return 1;
    }
    const newBox = await createSecretBox(newKey);
    const staged = sealing.path ? stageKeyFile(sealing.path, newKey) : null;
    let count: number;
    try {
      count = await storage.resealSecrets(async (sealed) => newBox.seal(await oldBox.open(sealed)));
    } catch (err) {
      staged?.abandon();
      throw err;
    }
    staged?.commit();
    // Straight on the database, not through the admin API: recorded here, as the CLI's.
    await storage.audit.append({
      at: Date.now(),
      actor: { type: 'cli', id: null },
      action: 'rotate',
      objectType: 'secrets',
      objectId: null,
      objectName: 'sealing key',
      changes: { resealed: { before: null, after: count } },
      address: null,
      userAgent: null,
    });
    if (json) {
      console.log(JSON.stringify({ resealed: count, key_file: sealing.path }));
    } else if (sealing.path) {
      console.log(`Re-sealed ${count} secret(s) under a new key, now in ${sealing.path}.`);
      console.log('Back that file up again (the old copy no longer opens anything); restart the gateway.');
    } else {
      console.log(`Re-sealed ${count} secret(s) under a new key.`);
      console.log('SWITCHBOARD_SECRET_KEY must hold the new key before the gateway starts again:');
      // A key the operator chose is never echoed; a generated one is shown this once.
      console.log(given ? `    SWITCHBOARD_SECRET_KEY=$${envName}` : `    SWITCHBOARD_SECRET_KEY=${newKey}`);
    }
    return 0;
  } finally {
    await storage.close();
  }
}
