import type { Context } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import type { GatewayEnv } from '../../http/context.js';
import { getChannel } from '../channel-service.js';
import type { AdminContext } from '../context.js';
import { getKey } from '../key-admin.js';
import { getUser } from '../user-service.js';
import { type AuditLog, diffFields } from './audit-log.js';

export type AuditedObject = 'key' | 'user' | 'channel';

interface RouteCall {
  readonly id: string;
  readonly body: unknown;
  readonly sent: readonly string[];
}

/** How a mutation route is recorded: which object it changes and the action's name. */
export interface AuditSpec {
  readonly object: AuditedObject;
  readonly action: string | ((call: RouteCall) => string);
  /** Record no before/after (an action that changes no stored field, e.g. a channel test). */
  readonly noDiff?: boolean;
}

/** `enabled` alone is an enable or a disable; any other field makes it an update. */
export function patchAction(call: RouteCall): string {
  if (call.sent.length === 1 && call.sent[0] === 'enabled') {
    return (call.body as { enabled?: boolean }).enabled ? 'enable' : 'disable';
  }
  return 'update';
}

type Snapshot = Record<string, unknown>;

/** The object as the admin API shows it (secrets masked), or null when it is not there. */
async function snapshot(ctx: AdminContext, object: AuditedObject, id: string): Promise<Snapshot | null> {
  try {
    if (object === 'key') return { ...(await getKey(ctx, id)) };
    if (object === 'user') return { ...(await getUser(ctx, id)) };
    return { ...(await getChannel(ctx, id)) };
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'resource_not_found') return null;
    throw err;
  }
}

/**
 * Runs one admin route and, once it succeeded, appends what it changed: the object read before
 * and after through the same masked views the API answers with, so a secret can only appear
 * masked. A failed call records nothing.
 */
export async function runAudited<T>(
  ctx: AdminContext,
  log: AuditLog,
  c: Context<GatewayEnv>,
  spec: AuditSpec,
  call: RouteCall,
  handle: () => Promise<T>,
): Promise<T> {
  const diff = !spec.noDiff;
  const before = diff && call.id ? await snapshot(ctx, spec.object, call.id) : null;
  const result = await handle();
  const resultId = (result as { id?: unknown } | null)?.id;
  const afterId = typeof resultId === 'string' ? resultId : ((before?.id as string | undefined) ?? call.id);
  const after = diff && afterId ? await snapshot(ctx, spec.object, afterId) : null;
  await log.record(c, {
    action: typeof spec.action === 'string' ? spec.action : spec.action(call),
    objectType: spec.object,
    objectId: (before?.id as string | undefined) ?? (after?.id as string | undefined) ?? (call.id || null),
    // The name after a rename; the last name it had after a deletion.
    objectName: ((after ?? before)?.name as string | undefined) ?? null,
    changes: diff ? diffFields(before, after) : null,
  });
  return result;
}
