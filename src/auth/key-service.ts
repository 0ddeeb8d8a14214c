import type { KeyRecord, KeyStore } from '../storage/ports.js';
import { generateKeySecret, KEY_PREFIX_PATTERN, sha256Hex } from './key-secret.js';

export interface CreateKeyInput {
  readonly name: string;
  readonly prefix?: string;
  readonly models?: readonly string[];
  readonly purpose?: string;
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
  const secret = generateKeySecret(prefix);
  const record = await store.create({
    id: crypto.randomUUID(),
    name: input.name.trim(),
    prefix,
    hash: await sha256Hex(secret),
    last4: secret.slice(-4),
    models: [...(input.models ?? [])],
    purpose: input.purpose ?? 'default',
    createdAt: now,
  });
  return { record, secret };
}
