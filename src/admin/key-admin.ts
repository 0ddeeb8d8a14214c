import { keyHint } from '../auth/key-secret.js';
import { type CreateKeyInput, createClientKey, rotateClientKey } from '../auth/key-service.js';
import { maskSecret } from '../auth/secret-box.js';
import { isHeaderSafeKey } from '../config/upstream-key.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { ByokKey, KeyPatch, KeyRecord } from '../storage/ports.js';
import { type AdminContext, iso, page } from './context.js';
import type {
  CreatedKeyView,
  KeyCreate,
  KeyPatchInput,
  KeyView,
  ListPage,
  ListQuery,
  RotatedKeyView,
} from './schemas.js';
import { ensureDefaultUser, findUser } from './user-service.js';

/**
 * `userEnabled`: whether the key's user is enabled (a disabled user's keys are refused, so they
 * do not show as active).
 */
export function keyView(
  record: KeyRecord,
  userEnabled: boolean,
  now: number,
  lastUsedAt: number | null = null,
): KeyView {
  return {
    id: record.id,
    name: record.name,
    user_id: record.userId,
    key: keyHint(record.prefix, record.last4),
    prefix: record.prefix,
    purpose: record.purpose,
    models: [...record.models],
    expires_at: record.expiresAt === null ? null : iso(record.expiresAt),
    ip_allowlist: [...record.ipAllowlist],
    enabled: record.enabled,
    limits: { ...record.limits },
    channel_id: record.channelId,
    byok: record.byok ? { provider: record.byok.provider, key: record.byok.hint } : null,
    status: keyStatus(record, userEnabled, now),
    created_at: iso(record.createdAt),
    revoked_at: record.revokedAt === null ? null : iso(record.revokedAt),
    last_used_at: lastUsedAt === null ? null : iso(lastUsedAt),
  };
}

/** The first reason the gateway would refuse the key, in the order it checks them; else active. */
function keyStatus(record: KeyRecord, userEnabled: boolean, now: number): KeyView['status'] {
  if (record.revokedAt !== null) return 'revoked';
  if (record.expiresAt !== null && record.expiresAt <= now) return 'expired';
  if (!record.enabled) return 'disabled';
  return userEnabled ? 'active' : 'user_disabled';
}

/** Whether the key's user is enabled (deleting a user deletes its keys: none is left without one). */
async function userEnabled(ctx: AdminContext, userId: string): Promise<boolean> {
  return (await ctx.storage.users.get(userId))?.enabled ?? true;
}

/** A key by id, or by name when exactly one key (preferring unrevoked ones) has that name. */
export async function findKey(ctx: AdminContext, idOrName: string): Promise<KeyRecord> {
  const byId = await ctx.storage.keys.get(idOrName);
  if (byId) return byId;
  let named = (await ctx.storage.keys.list()).filter((k) => k.name === idOrName);
  const unrevoked = named.filter((k) => k.revokedAt === null);
  // Several keys, all revoked: the name is ambiguous, not unknown.
  if (named.length > 1 && unrevoked.length > 0) named = unrevoked;
  if (named.length > 1) {
    throw new GatewayError(
      'resource_conflict',
      `${named.length} keys are named "${idOrName}": use the key id`,
    );
  }
  const found = named[0];
  if (!found) throw new GatewayError('resource_not_found', `no key "${idOrName}"`);
  return found;
}

export async function listKeys(ctx: AdminContext, query: ListQuery): Promise<ListPage<KeyView>> {
  let keys = await ctx.storage.keys.list();
  if (query.user_id) {
    const user = await findUser(ctx, query.user_id);
    keys = keys.filter((k) => k.userId === user.id);
  }
  const now = ctx.now();
  const shown = keys.slice(query.offset, query.offset + query.limit);
  const [lastUsed, users] = await Promise.all([
    ctx.storage.usage.lastUsedByKey(shown.map((k) => k.id)),
    ctx.storage.users.list(),
  ]);
  const disabledUsers = new Set(users.filter((u) => !u.enabled).map((u) => u.id));
  return page(keys, query, (k) => keyView(k, !disabledUsers.has(k.userId), now, lastUsed.get(k.id) ?? null));
}

export async function getKey(ctx: AdminContext, idOrName: string): Promise<KeyView> {
  return withLastUse(ctx, await findKey(ctx, idOrName));
}

async function withLastUse(ctx: AdminContext, key: KeyRecord): Promise<KeyView> {
  const lastUsed = await ctx.storage.usage.lastUsedByKey([key.id]);
  return keyView(key, await userEnabled(ctx, key.userId), ctx.now(), lastUsed.get(key.id) ?? null);
}

export async function createKey(ctx: AdminContext, input: KeyCreate): Promise<CreatedKeyView> {
  const user = input.user_id ? await findUser(ctx, input.user_id) : await ensureDefaultUser(ctx);
  const settings = await checkedSettings(ctx, input);
  const fields: CreateKeyInput = {
    name: input.name,
    prefix: input.prefix,
    userId: user.id,
    ...settings,
    ...(settings.byok !== undefined ? { byok: settings.byok } : {}),
  };
  const { record, secret } = await createClientKey(ctx.storage.keys, fields, ctx.now());
  // A lookup of this hash may be cached as unknown.
  await keyChanged(ctx, record);
  return { ...keyView(record, user.enabled, ctx.now()), key: secret };
}

export async function updateKey(ctx: AdminContext, idOrName: string, input: KeyPatchInput): Promise<KeyView> {
  const key = await findKey(ctx, idOrName);
  const patch = await checkedSettings(ctx, input, key);
  // What the key ends up with, not only what the patch names: a BYOK key given a channel (or a
  // channel-bound key given BYOK) would send its traffic with the channel's own upstream key.
  // Checked when the patch sets either: a key an older version left with both can still be
  // disabled, renamed or given new limits (and cleared of one of them).
  const byok = patch.byok !== undefined ? patch.byok : key.byok;
  const channelId = patch.channelId !== undefined ? patch.channelId : key.channelId;
  if ((patch.byok || patch.channelId) && byok && channelId) {
    throw new GatewayError(
      'invalid_request',
      'a key takes either channel_id or byok, not both: clear the other one in the same request',
      { param: patch.byok !== undefined ? 'byok' : 'channel_id' },
    );
  }
  const updated = await ctx.storage.keys.update(key.id, patch);
  if (!updated) throw new GatewayError('resource_not_found', `no key "${idOrName}"`);
  await keyChanged(ctx, updated);
  return withLastUse(ctx, updated);
}

/** DELETE revokes: the row stays so usage records keep their key, but it is refused from now on. */
export async function revokeKey(ctx: AdminContext, idOrName: string): Promise<KeyView> {
  const key = await findKey(ctx, idOrName);
  if (key.revokedAt === null) await ctx.storage.keys.revoke(key.id, ctx.now());
  await keyChanged(ctx, key);
  return withLastUse(ctx, (await ctx.storage.keys.get(key.id)) ?? key);
}

/**
 * A new secret for the key, which stays the same key: its id, settings, usage records, limit
 * windows and budget spend carry on (a new key would start its budget afresh). The old secret is
 * refused from now on, on every instance.
 */
export async function rotateKey(ctx: AdminContext, idOrName: string): Promise<RotatedKeyView> {
  const old = await findKey(ctx, idOrName);
  if (old.revokedAt !== null) {
    throw new GatewayError('resource_conflict', `key "${old.name}" is revoked; create a new one instead`);
  }
  // The new secret would be refused from the start.
  if (old.expiresAt !== null && old.expiresAt <= ctx.now()) {
    throw new GatewayError(
      'resource_conflict',
      `key "${old.name}" has expired; give it a new expires_at (PATCH) before rotating, or create a new key`,
    );
  }
  const rotated = await rotateClientKey(ctx.storage.keys, old);
  if (!rotated) {
    // Revoked or deleted since it was read.
    if (await ctx.storage.keys.get(old.id)) {
      throw new GatewayError('resource_conflict', `key "${old.name}" is revoked; create a new one instead`);
    }
    throw new GatewayError('resource_not_found', `no key "${idOrName}"`);
  }
  // The old secret's cached answer leaves every instance's cache (the notice names its hash); a
  // lookup of the new one may be cached as unknown.
  await keyChanged(ctx, old);
  await keyChanged(ctx, rotated.record);
  return { ...(await withLastUse(ctx, rotated.record)), key: rotated.secret, replaces: old.id };
}

function keyChanged(ctx: AdminContext, key: KeyRecord): Promise<void> {
  return ctx.changes.publish({ kind: 'key', id: key.id, hash: key.hash });
}

/**
 * Validated input → store fields: expiry parsed, channel checked, BYOK key sealed. In a PATCH
 * (`current` given), `limits` changes the limits it names (`null` clears one); the others stay.
 */
async function checkedSettings(
  ctx: AdminContext,
  input: KeyPatchInput,
  current?: KeyRecord,
): Promise<KeyPatch> {
  const patch: { -readonly [K in keyof KeyPatch]: KeyPatch[K] } = {};
  if (input.name !== undefined) patch.name = input.name;
  if (input.purpose !== undefined) patch.purpose = input.purpose;
  if (input.models !== undefined) patch.models = input.models;
  if (input.ip_allowlist !== undefined) patch.ipAllowlist = input.ip_allowlist;
  if (input.enabled !== undefined) patch.enabled = input.enabled;
  if (input.limits !== undefined) {
    const given = input.limits;
    const limit = (name: keyof KeyRecord['limits']) => {
      const value = given[name];
      return value !== undefined ? value : (current?.limits[name] ?? null);
    };
    patch.limits = {
      rpm: limit('rpm'),
      rph: limit('rph'),
      tpm: limit('tpm'),
      concurrent: limit('concurrent'),
      budget: limit('budget'),
    };
  }
  if (input.expires_at !== undefined) {
    patch.expiresAt = input.expires_at === null ? null : Date.parse(input.expires_at);
    if (patch.expiresAt !== null && patch.expiresAt <= ctx.now()) {
      throw new GatewayError('invalid_request', 'expires_at is in the past', { param: 'expires_at' });
    }
  }
  if (input.channel_id !== undefined) {
    if (input.channel_id !== null && !(await ctx.storage.channels.get(input.channel_id))) {
      throw new GatewayError('resource_not_found', `no channel "${input.channel_id}"`, {
        param: 'channel_id',
      });
    }
    patch.channelId = input.channel_id;
  }
  if (input.byok !== undefined) patch.byok = input.byok === null ? null : await sealByok(ctx, input.byok);
  if (patch.byok && patch.channelId) {
    throw new GatewayError('invalid_request', 'a key takes either channel_id or byok, not both', {
      param: 'byok',
    });
  }
  return patch;
}

async function sealByok(ctx: AdminContext, byok: { provider: string; key: string }): Promise<ByokKey> {
  if (!ctx.box.encrypts) {
    throw new GatewayError(
      'encryption_not_configured',
      'bring-your-own-key needs a sealing key (SWITCHBOARD_SECRET_KEY) on the gateway, so the upstream key is stored encrypted',
      { param: 'byok' },
    );
  }
  if (!ctx.providers.has(byok.provider)) {
    const known = [...ctx.providers.keys()].join(', ');
    throw new GatewayError('invalid_request', `unknown provider "${byok.provider}" (known: ${known})`, {
      param: 'byok.provider',
    });
  }
  // Refused like a channel's key: one with a line break or a space pasted in fails every request.
  if (!isHeaderSafeKey(byok.key)) {
    throw new GatewayError('invalid_request', 'an upstream key may hold only visible ASCII characters', {
      param: 'byok.key',
    });
  }
  return { provider: byok.provider, sealedKey: await ctx.box.seal(byok.key), hint: maskSecret(byok.key) };
}
