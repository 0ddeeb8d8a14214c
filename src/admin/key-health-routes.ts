import type { Hono, MiddlewareHandler } from 'hono';
import { maskSecret } from '../auth/secret-box.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from '../http/context.js';
import type { GatewayHealth } from '../router/health-snapshot.js';
import type { Channel } from '../spec/channel.js';
import type { AuditLog } from './audit/audit-log.js';
import { findChannel } from './channel-service.js';
import type { AdminContext } from './context.js';

export interface KeyHealthDeps {
  readonly admin: MiddlewareHandler<GatewayEnv>;
  readonly ctx: AdminContext;
  readonly channels: () => readonly Channel[];
  readonly reenableKey: GatewayHealth['reenableKey'];
  readonly audit: AuditLog;
}

/**
 * `POST /admin/api/channels/{id}/keys/{index}/reenable`: puts a key the upstream rejected
 * (401/403) back into rotation now, instead of at its next re-check. Answers with the masked key
 * and whether it was flagged; the key itself never leaves.
 */
export function mountKeyHealthRoutes(app: Hono<GatewayEnv>, deps: KeyHealthDeps): void {
  app.post('/admin/api/channels/:id/keys/:index/reenable', deps.admin, async (c) => {
    const id = c.req.param('id');
    const index = c.req.param('index');
    if (!/^\d{1,4}$/.test(index)) {
      throw new GatewayError('invalid_request', `key index must be a whole number, not "${index}"`, {
        param: 'index',
      });
    }
    const keyIndex = Number(index);
    await findChannel(deps.ctx, id);
    // The router's copy holds the opened keys; a disabled channel is not routed and has no health.
    const routed = deps.channels().find((channel) => channel.id === id);
    const key = routed?.keys[keyIndex];
    if (routed && key === undefined) {
      throw new GatewayError('resource_not_found', `channel "${id}" has no key #${keyIndex}`, {
        param: 'index',
      });
    }
    // Health knows the key by its fingerprint: the index is read against the current key list.
    const reenabled = await deps.reenableKey(id, keyIndex);
    const masked = key ? maskSecret(key) : null;
    await deps.audit.record(c, {
      action: 'reenable-key',
      objectType: 'channel',
      objectId: id,
      objectName: id,
      changes: { [`keys[${keyIndex}]`]: { before: reenabled ? 'flagged' : 'in rotation', after: masked } },
    });
    return c.json({ channel: id, key_index: keyIndex, key: masked, reenabled });
  });
}
