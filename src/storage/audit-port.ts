/** Who made an admin change: the bearer admin token, a panel session, or the CLI. */
export type AuditActorType = 'admin-token' | 'session' | 'cli' | 'anonymous';

export interface AuditActor {
  readonly type: AuditActorType;
  /** Which one: a panel session's short reference (never the cookie); null otherwise. */
  readonly id: string | null;
}

/** One field of an object before and after the change; secrets appear only masked. */
export interface AuditChange {
  readonly before: unknown;
  readonly after: unknown;
}

/** What is appended: the store adds the sequence number. */
export interface NewAuditEntry {
  readonly at: number;
  readonly actor: AuditActor;
  /** create, update, delete, revoke, rotate, enable, disable, sign-in, sign-in-failure, … */
  readonly action: string;
  /** key, user, channel, session, … */
  readonly objectType: string;
  readonly objectId: string | null;
  readonly objectName: string | null;
  /** Changed fields only; null when the action changes no fields (a sign-in, a test). */
  readonly changes: Readonly<Record<string, AuditChange>> | null;
  readonly address: string | null;
  readonly userAgent: string | null;
}

export interface AuditEntry extends NewAuditEntry {
  /** Increases with every append: orders entries of the same millisecond. */
  readonly seq: number;
}

export interface AuditQuery {
  /** Matches the actor's type or its id. */
  readonly actor?: string;
  readonly action?: string;
  readonly objectType?: string;
  readonly objectId?: string;
  /** Inclusive. */
  readonly since?: number;
  /** Exclusive. */
  readonly until?: number;
  readonly limit: number;
  /** Opaque, from the previous page's `nextCursor`. */
  readonly cursor?: string | null;
}

export interface AuditPage {
  /** Newest first. */
  readonly entries: AuditEntry[];
  readonly nextCursor: string | null;
}

/**
 * The audit log of admin actions. Append-only: nothing updates an entry; `prune` deletes only
 * entries past the retention period.
 */
export interface AuditStore {
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  list(query: AuditQuery): Promise<AuditPage>;
  /** Deletes entries made before `before`; resolves to how many. */
  prune(before: number): Promise<number>;
}

/** The filters, for backends that filter in code. */
export function matchesAuditQuery(entry: AuditEntry, query: AuditQuery): boolean {
  if (query.actor !== undefined && entry.actor.type !== query.actor && entry.actor.id !== query.actor)
    return false;
  if (query.action !== undefined && entry.action !== query.action) return false;
  if (query.objectType !== undefined && entry.objectType !== query.objectType) return false;
  if (query.objectId !== undefined && entry.objectId !== query.objectId) return false;
  if (query.since !== undefined && entry.at < query.since) return false;
  if (query.until !== undefined && entry.at >= query.until) return false;
  return true;
}
