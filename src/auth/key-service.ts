import { isPipelineName, PIPELINE_NAMES } from '../pipelines/names.js';
import {
  DEFAULT_USER_ID,
  type KeyLimits,
  type KeyRecord,
  type KeySecretFields,
  type KeyStore,
} from '../storage/ports.js';
import { generateKeySecret, KEY_PREFIX_PATTERN, sha256Hex } from './key-secret.js';

export interface CreateKeyInput {
  readonly name: string;
  readonly prefix?: string;
  readonly models?: readonly string[];
  readonly purpose?: string;
  /** Owner; the `default` user when absent. */
  readonly userId?: string;
  readonly enabled?: boolean;
  readonly expiresAt?: number | null;
  readonly ipAllowlist?: readonly string[];
  readonly limits?: Partial<KeyLimits>;
  readonly channelId?: string | null;
  readonly byok?: KeyRecord['byok'];
}

export interface CreatedKey {
  readonly record: KeyRecord;
  /** The only time the secret exists outside the client's hands. */
  readonly secret: string;
}

/** Creates a client key: the secret is returned once, only its hash is stored. */
export async function createClientKey(
  store: KeyStore,
  input: CreateKeyInput,
  now = Date.now(),
): Promise<CreatedKey> {
  const prefix = input.prefix ?? 'sk';
  if (!KEY_PREFIX_PATTERN.test(prefix)) {
    throw new Error(`invalid key prefix "${prefix}": 1-16 letters, digits or _, starting with a letter`);
  }
  if (!input.name.trim()) throw new Error('a key needs a name');
  const purpose = input.purpose ?? 'default';
  if (!isPipelineName(purpose)) {
    throw new Error(`unknown purpose "${purpose}" (known: ${PIPELINE_NAMES.join(', ')})`);
  }
  const { secret, stored } = await newSecret(prefix);
  const record = await store.create({
    id: crypto.randomUUID(),
    name: input.name.trim(),
    prefix,
    ...stored,
    models: [...(input.models ?? [])],
    purpose,
    createdAt: now,
    userId: input.userId ?? DEFAULT_USER_ID,
    enabled: input.enabled ?? true,
    expiresAt: input.expiresAt ?? null,
    ipAllowlist: [...(input.ipAllowlist ?? [])],
    limits: { rpm: null, rph: null, tpm: null, concurrent: null, budget: null, ...input.limits },
    channelId: input.channelId ?? null,
    byok: input.byok ?? null,
  });
  return { record, secret };
}

/**
 * Rotation: a new secret for the key, with its prefix; the id and every setting stay, so its
 * usage, limit windows and budget spend carry on. The old secret finds no key from then on.
 * Null when the key is gone or revoked.
 */
export async function rotateClientKey(store: KeyStore, key: KeyRecord): Promise<CreatedKey | null> {
  const { secret, stored } = await newSecret(key.prefix);
  const record = await store.replaceSecret(key.id, stored);
  return record ? { record, secret } : null;
}

/** A new secret, and what the store keeps of it. */
async function newSecret(prefix: string): Promise<{ secret: string; stored: KeySecretFields }> {
  const secret = generateKeySecret(prefix);
  return { secret, stored: { hash: await sha256Hex(secret), last4: secret.slice(-4) } };
}
