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
  user_id: string;
  enabled: number;
  expires_at: number | null;
  /** JSON array of CIDRs. */
  ip_allowlist: string;
  /** JSON object {rpm, rph, tpm, budget}. */
  limits: string;
  channel_id: string | null;
  /** JSON {provider, sealedKey, hint} or null. */
  byok: string | null;
}

export interface UsersTable {
  id: string;
  name: string;
  email: string | null;
  notes: string | null;
  enabled: number;
  created_at: number;
  updated_at: number;
}

export interface ChannelsTable {
  id: string;
  /** JSON of the config-file channel shape, upstream keys sealed. */
  config: string;
  enabled: number;
  source: string;
  created_at: number;
  updated_at: number;
}

export interface MetaTable {
  key: string;
  value: string;
  updated_at: Generated<number>;
}

export interface AdminSessionsTable {
  /** SHA-256 hex of the cookie value. */
  id_hash: string;
  csrf_token: string;
  token_tag: string;
  created_at: number;
  expires_at: number;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: number;
  actor_type: string;
  actor_id: string | null;
  action: string;
  object_type: string;
  object_id: string | null;
  object_name: string | null;
  /** JSON {field: {before, after}} or null. */
  changes: string | null;
  address: string | null;
  user_agent: string | null;
}

export interface Database {
  client_keys: ClientKeysTable;
  meta: MetaTable;
  users: UsersTable;
  channels: ChannelsTable;
  admin_sessions: AdminSessionsTable;
  audit_log: AuditLogTable;
}
