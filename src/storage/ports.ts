import type { ChannelConfig } from '../config/schema.js';
import type { CacheBounds, CacheStore, UsageStore } from './accounting-ports.js';
import type { AuditStore } from './audit-port.js';
import type { ResponseStore } from './response-store.js';
import type { UsageJournal } from './usage-journal.js';

/** A client key as stored: never the secret, only its SHA-256 and a hint. */
export interface KeyRecord {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  /** Hex SHA-256 of the whole secret. */
  readonly hash: string;
  readonly last4: string;
  /** Allowed model patterns (exact or glob); empty = all. */
  readonly models: readonly string[];
  /** Pipeline chosen for this key's traffic: `default`, or a registered pipeline such as `cursor`. */
  readonly purpose: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
  /** The owning user (tenant); keys made without one belong to the `default` user. */
  readonly userId: string;
  readonly enabled: boolean;
  /** Epoch ms after which the key is refused; null = never. */
  readonly expiresAt: number | null;
  /** CIDRs the caller's address must fall in; empty = anywhere. */
  readonly ipAllowlist: readonly string[];
  readonly limits: KeyLimits;
  /** When set, this key's traffic goes only to this channel (by id). */
  readonly channelId: string | null;
  /** "Bring your own key": the key's own upstream key for one provider, sealed at rest. */
  readonly byok: ByokKey | null;
}

/** Stored and returned now; enforced by the limits layer. null = no limit. */
export interface KeyLimits {
  readonly rpm: number | null;
  readonly rph: number | null;
  readonly tpm: number | null;
  /** Requests of this key in flight at once. */
  readonly concurrent: number | null;
  /** Spend cap in the deployment's currency (that of the prices; USD by default). */
  readonly budget: number | null;
}

export interface ByokKey {
  readonly provider: string;
  /** Sealed with the secret box (never the clear key). */
  readonly sealedKey: string;
  /** Masked form for display. */
  readonly hint: string;
}

export type NewKey = Omit<KeyRecord, 'revokedAt'>;

/** What a key stores of its secret: the hash, and the last four characters for display. */
export type KeySecretFields = Pick<KeyRecord, 'hash' | 'last4'>;

export type KeyPatch = Partial<
  Pick<
    KeyRecord,
    'name' | 'enabled' | 'expiresAt' | 'ipAllowlist' | 'limits' | 'channelId' | 'byok' | 'models' | 'purpose'
  >
>;

export interface KeyStore {
  create(key: NewKey): Promise<KeyRecord>;
  findByHash(hash: string): Promise<KeyRecord | null>;
  list(): Promise<KeyRecord[]>;
  /** Revokes by id or by name; resolves to how many keys it revoked. */
  revoke(idOrName: string, at: number): Promise<number>;
  count(): Promise<number>;
  get(id: string): Promise<KeyRecord | null>;
  update(id: string, patch: KeyPatch): Promise<KeyRecord | null>;
  /**
   * Rotation: gives an unrevoked key a new secret; the id and everything else stay, so its usage,
   * limit windows and budget spend carry on. The old hash finds nothing from then on. Resolves to
   * the key, or null when there is no such key or it is revoked; rejects a hash another key has.
   */
  replaceSecret(id: string, secret: KeySecretFields): Promise<KeyRecord | null>;
  delete(id: string): Promise<boolean>;
  /** Deletes every key of a user; resolves to how many. */
  deleteByUser(userId: string): Promise<number>;
}

/** A tenant: owns client keys. Disabling it stops all its keys at once. */
export interface UserRecord {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly notes: string | null;
  readonly enabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type UserPatch = Partial<Pick<UserRecord, 'name' | 'email' | 'notes' | 'enabled'>>;

/** The user that owns keys created without one (and the first key `serve` prints). */
export const DEFAULT_USER_ID = 'default';

export interface UserStore {
  create(user: UserRecord): Promise<UserRecord>;
  get(id: string): Promise<UserRecord | null>;
  findByName(name: string): Promise<UserRecord | null>;
  list(): Promise<UserRecord[]>;
  update(id: string, patch: UserPatch, at: number): Promise<UserRecord | null>;
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
}

/**
 * A channel as stored: the config-file shape (upstream keys sealed, `key` folded into `keys`),
 * plus whether it is enabled and who manages it.
 */
export interface ChannelRecord {
  /** Same as `config.name`; names are unique and immutable. */
  readonly id: string;
  readonly config: ChannelConfig;
  readonly enabled: boolean;
  /** `file`: loaded from the config file at start (read-only over the API); `api`: made live. */
  readonly source: 'file' | 'api';
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ChannelStore {
  list(): Promise<ChannelRecord[]>;
  get(id: string): Promise<ChannelRecord | null>;
  /** Inserts or replaces by id. */
  put(record: ChannelRecord): Promise<ChannelRecord>;
  delete(id: string): Promise<boolean>;
}

/** Small named values (e.g. the admin token's hash). */
export interface MetaStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  /**
   * Sets the value only if the key has none, atomically; resolves to the value stored: this one,
   * or the one another writer (another instance starting at the same time) stored first.
   */
  claim(key: string, value: string): Promise<string>;
}

/** A signed-in admin panel session; only the SHA-256 of the cookie value is stored. */
export interface AdminSessionRecord {
  readonly idHash: string;
  /** Sent back by the panel in `x-csrf-token` on every write; useless without the cookie. */
  readonly csrfToken: string;
  /** Which admin token signed it in: a session ends when the admin token changes. */
  readonly tokenTag: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface AdminSessionStore {
  create(session: AdminSessionRecord): Promise<void>;
  /** The session, or null when unknown or expired at `now`. */
  find(idHash: string, now: number): Promise<AdminSessionRecord | null>;
  delete(idHash: string): Promise<void>;
  /** Drops sessions expired before `now`; resolves to how many. */
  purgeExpired(now: number): Promise<number>;
}

/** Everything the gateway persists, behind ports so backends can be swapped. */
export interface Storage {
  readonly keys: KeyStore;
  readonly users: UserStore;
  readonly channels: ChannelStore;
  readonly meta: MetaStore;
  /** Admin panel sign-in sessions. */
  readonly sessions: AdminSessionStore;
  /** The durable usage log and its hourly rollups (src/storage/accounting-ports.ts). */
  readonly usage: UsageStore;
  /** The audit log of admin actions (src/storage/audit-port.ts). */
  readonly audit: AuditStore;
  /**
   * Opens the crash-safe usage journal over `usage` for one boot of the gateway (`bootId`
   * names this process, so rows another boot left open can be told apart at start).
   * Backends without one leave it out: records are then written in batches (`insertBatch`).
   */
  openUsageJournal?(bootId: string): UsageJournal;
  /** Opens the response cache kept in this backend, bounded as given. */
  openResponseCache(bounds: CacheBounds): CacheStore;
  /**
   * Stored Responses API answers (`previous_response_id`); a backend without it leaves it out
   * and the gateway keeps them in process memory.
   */
  readonly responses?: ResponseStore;
  /** Resolves when the backend answers; rejects otherwise (used by /health). */
  ping(): Promise<void>;
  /**
   * Passes every sealed secret (channel keys, BYOK keys, the key check) through `reseal` and
   * stores the results, all in one transaction; resolves to how many secrets it re-sealed.
   * Backends that cannot do it atomically leave it out (`secrets rotate` then refuses).
   */
  resealSecrets?(reseal: (sealed: string) => Promise<string>): Promise<number>;
  close(): Promise<void>;
}
