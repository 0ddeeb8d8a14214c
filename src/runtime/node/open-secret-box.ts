import { existsSync } from 'node:fs';
import type { SecretBox } from '../../auth/secret-box.js';
import { openCheckedBox, SealingKeyMismatch } from '../../auth/secret-check.js';
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../../spec/logger.js';
import type { Storage } from '../../storage/ports.js';
import { discardGeneratedKey, loadSealingKey, type SealingKey } from './sealing-key.js';

/**
 * The secret box for a Node process over `storage` (the CLI's; the server's is built by
 * createApp): the sealing key loaded (or generated), checked against the database, and
 * clear-text secrets from older versions sealed under it.
 */
export async function openSecretBox(
  settings: Settings,
  storage: Storage,
  logger?: Logger,
): Promise<{ box: SecretBox; sealing: SealingKey }> {
  const sealing = loadSealingKey({
    envKey: settings.secrets.secretKey,
    databaseUrl: settings.databaseUrl,
    ...(logger ? { logger } : {}),
  });
  try {
    return { box: await openCheckedBox(storage, sealing.key, sealing.name, logger), sealing };
  } catch (err) {
    throw sealingRejected(sealing, err);
  }
}

/**
 * The database refused `sealing`: a key file generated on this start is removed again, and a
 * mismatch next to a `<key file>.new` names the interrupted rotation. Returns the error to throw.
 */
export function sealingRejected(sealing: SealingKey, err: unknown): unknown {
  discardGeneratedKey(sealing);
  if (err instanceof SealingKeyMismatch && sealing.path && existsSync(`${sealing.path}.new`)) {
    return new SealingKeyMismatch(
      `${err.message}; a key rotation was interrupted: ${sealing.path}.new holds the new key`,
    );
  }
  return err;
}
