import type { Context } from 'hono';
import type { ClientAddressOf } from '../../auth/middleware.js';
import type { GatewayEnv } from '../../http/context.js';
import type { Logger } from '../../spec/logger.js';
import type { AuditActor, AuditChange, AuditStore, NewAuditEntry } from '../../storage/audit-port.js';

/** The header the CLI sends on every admin call, so its changes are recorded as the CLI's. */
export const CLIENT_HEADER = 'x-switchboard-client';

const PRUNE_EVERY_MS = 3_600_000;
const USER_AGENT_MAX = 300;

export interface AuditLogOptions {
  readonly store: AuditStore;
  readonly now: () => number;
  readonly clientAddress?: ClientAddressOf;
  /** Entries older than this are deleted (checked at most hourly, on append); null keeps all. */
  readonly retentionMs?: number | null;
  readonly logger?: Logger;
}

export type AuditFacts = Pick<
  NewAuditEntry,
  'action' | 'objectType' | 'objectId' | 'objectName' | 'changes'
> & {
  /** Who, when the request itself does not say (a sign-in names the session it opened). */
  readonly actor?: AuditActor;
};

/** Appends audit entries with who, when and from where, read off the admin request. */
export interface AuditLog {
  record(c: Context<GatewayEnv>, facts: AuditFacts): Promise<void>;
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  let lastPrune = Number.NEGATIVE_INFINITY;
  const prune = async (now: number) => {
    const retention = options.retentionMs ?? null;
    if (retention === null || now - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now;
    try {
      const removed = await options.store.prune(now - retention);
      if (removed > 0) options.logger?.info({ removed }, 'pruned audit entries past retention');
    } catch (err) {
      options.logger?.warn({ err: String(err) }, 'audit retention prune failed');
    }
  };
  return {
    async record(c, facts) {
      const now = options.now();
      const { actor, ...rest } = facts;
      await options.store.append({
        ...rest,
        at: now,
        actor: actor ?? c.get('adminActor') ?? { type: 'anonymous', id: null },
        address: options.clientAddress?.(c) ?? null,
        userAgent: c.req.header('user-agent')?.slice(0, USER_AGENT_MAX) ?? null,
      });
      await prune(now);
    },
  };
}

/** The actor behind an admin request made with the admin token. */
export function tokenActor(c: Context<GatewayEnv>): AuditActor {
  return c.req.header(CLIENT_HEADER)?.toLowerCase() === 'cli'
    ? { type: 'cli', id: null }
    : { type: 'admin-token', id: null };
}

/** A panel session's reference in the log: a prefix of its stored hash, never the cookie. */
export function sessionRef(idHash: string): string {
  return idHash.slice(0, 12);
}

/** Fields that change without anyone changing them, left out of the diff. */
const VOLATILE = new Set(['last_used_at', 'updated_at']);

type Snapshot = Readonly<Record<string, unknown>>;

/** null, [], or an object of nulls (a key's unset limits): nothing worth listing on a creation. */
function isBlank(value: unknown): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.values(value as object).every((v) => v === null);
}

/**
 * Before → after of every field that differs; a missing side (create, delete) is null, and then
 * fields that were or are blank are left out.
 */
export function diffFields(
  before: Snapshot | null,
  after: Snapshot | null,
): Record<string, AuditChange> | null {
  const names = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const changes: Record<string, AuditChange> = {};
  for (const name of names) {
    if (VOLATILE.has(name)) continue;
    const was = before?.[name] ?? null;
    const now = after?.[name] ?? null;
    if ((before === null || after === null) && isBlank(was) && isBlank(now)) continue;
    if (JSON.stringify(was) !== JSON.stringify(now)) changes[name] = { before: was, after: now };
  }
  return Object.keys(changes).length > 0 ? changes : null;
}
