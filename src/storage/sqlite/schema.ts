import type { Generated } from 'kysely';

export interface ClientKeysTable {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  last4: string;
  /** JSON array of model patterns. */
  models: string;
  purpose: string;
  created_at: number;
  revoked_at: number | null;
}

export interface MetaTable {
  key: string;
  value: string;
  updated_at: Generated<number>;
}

export interface Database {
  client_keys: ClientKeysTable;
  meta: MetaTable;
}
