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
}

export type NewKey = Omit<KeyRecord, 'revokedAt'>;

export interface KeyStore {
  create(key: NewKey): Promise<KeyRecord>;
  findByHash(hash: string): Promise<KeyRecord | null>;
  list(): Promise<KeyRecord[]>;
  /** Revokes by id or by name; resolves to how many keys it revoked. */
  revoke(idOrName: string, at: number): Promise<number>;
  count(): Promise<number>;
}

/** Everything the gateway persists, behind ports so backends can be swapped. */
export interface Storage {
  readonly keys: KeyStore;
  /** Resolves when the backend answers; rejects otherwise (used by /health). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
