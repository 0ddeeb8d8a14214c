import { existsSync } from 'node:fs';
import { createSecretBox, type SecretBox } from '../../auth/secret-box.js';
import { adoptSealingKey, SealingKeyMismatch } from '../../auth/secret-check.js';
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../../spec/logger.js';
import type { Storage } from '../../storage/ports.js';
import { discardGeneratedKey, loadSealingKey, type SealingKey } from './sealing-key.js';

/**
 * The secret box for a Node process over `storage`: the sealing key loaded (or generated), checked
 * against the database, and clear-text secrets from older versions sealed under it.
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
  const box = await createSecretBox(sealing.key);
  try {
    const migrated = await adoptSealingKey(storage, box, sealing.name);
    if (migrated > 0) logger?.info({ secrets: migrated }, 'sealed secrets that were stored in clear');
  } catch (err) {
    discardGeneratedKey(sealing);
    if (err instanceof SealingKeyMismatch && sealing.path && existsSync(`${sealing.path}.new`)) {
      throw new SealingKeyMismatch(
        `${err.message}; a key rotation was interrupted: ${sealing.path}.new holds the new key`,
      );
    }
    throw err;
  }
  return { box, sealing };
}
