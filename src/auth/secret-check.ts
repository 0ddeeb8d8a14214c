import type { Logger } from '../spec/logger.js';
import type { Storage } from '../storage/ports.js';
import { createSecretBox, isSealed, type SecretBox } from './secret-box.js';
import { mapSecretHeaders, secretHeaderValues } from './secret-headers.js';

/** A sealed known text in the meta store: tells at start whether the sealing key is the right one. */
export const KEY_CHECK_META = 'secret_key_check';
const KEY_CHECK_TEXT = 'switchboard sealing key check v1';

/** The sealing key cannot open what this database holds: stopping beats garbling data. */
export class SealingKeyMismatch extends Error {}

/**
 * Makes a database and a sealing key agree before anything uses them: a wrong key stops here
 * with one message; secrets stored in clear (before sealing was the default) are sealed; the
 * check value is written so the next start can tell a wrong key at once.
 * Resolves to how many clear-text secrets it sealed.
 */
export async function adoptSealingKey(storage: Storage, box: SecretBox, keyName: string): Promise<number> {
  const wrongKey = () =>
    new SealingKeyMismatch(
      `${keyName} is not the key this database's secrets were sealed with; ` +
        'start with the original key (docs/deployment.md, "Back up the sealing key")',
    );
  let check = await storage.meta.get(KEY_CHECK_META);
  const channels = await storage.channels.list();
  const keys = (await storage.keys.list()).filter((k) => k.byok !== null);
  const sealed = [
    ...channels.flatMap((c) => c.config.keys),
    ...keys.map((k) => k.byok?.sealedKey ?? ''),
  ].filter(isSealed);
  if (check !== null && (await box.open(check).catch(() => null)) !== KEY_CHECK_TEXT) {
    // Another key, but nothing sealed to lose (say, SWITCHBOARD_SECRET_KEY set after a first
    // start that generated a key file): the new key takes over.
    if (sealed.length > 0) throw wrongKey();
    check = null;
  }
  // A database from before the check value existed: one of its sealed secrets tells instead.
  if (check === null && sealed[0] && (await box.open(sealed[0]).catch(() => null)) === null) throw wrongKey();
  let migrated = 0;
  for (const channel of channels) {
    const { headers } = channel.config;
    const clear = [...channel.config.keys, ...secretHeaderValues(headers)].filter((v) => !isSealed(v));
    if (clear.length === 0) continue;
    const sealOnce = (v: string) => (isSealed(v) ? Promise.resolve(v) : box.seal(v));
    const config = {
      ...channel.config,
      keys: await Promise.all(channel.config.keys.map(sealOnce)),
      headers: await mapSecretHeaders(headers, sealOnce),
    };
    await storage.channels.put({ ...channel, config });
    migrated += clear.length;
  }
  for (const key of keys) {
    if (!key.byok || isSealed(key.byok.sealedKey)) continue;
    await storage.keys.update(key.id, {
      byok: { ...key.byok, sealedKey: await box.seal(key.byok.sealedKey) },
    });
    migrated++;
  }
  if (check === null) await storage.meta.set(KEY_CHECK_META, await box.seal(KEY_CHECK_TEXT));
  return migrated;
}

/**
 * A secret box under `key`, checked against the database (a wrong key throws
 * SealingKeyMismatch), with clear-text secrets from older versions sealed under it.
 */
export async function openCheckedBox(
  storage: Storage,
  key: string,
  keyName: string,
  logger?: Logger,
): Promise<SecretBox> {
  const box = await createSecretBox(key);
  const migrated = await adoptSealingKey(storage, box, keyName);
  if (migrated > 0) logger?.info({ secrets: migrated }, 'sealed secrets that were stored in clear');
  return box;
}
