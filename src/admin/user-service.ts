import { GatewayError } from '../errors/gateway-error.js';
import { DEFAULT_USER_ID, type UserRecord } from '../storage/ports.js';
import { type AdminContext, iso, page } from './context.js';
import type { ListPage, ListQuery, UserCreate, UserPatchInput, UserView } from './schemas.js';

export function userView(user: UserRecord): UserView {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    notes: user.notes,
    enabled: user.enabled,
    created_at: iso(user.createdAt),
    updated_at: iso(user.updatedAt),
  };
}

/** A user by id or, failing that, by name (the CLI takes names). */
export async function findUser(ctx: AdminContext, idOrName: string): Promise<UserRecord> {
  const user = (await ctx.storage.users.get(idOrName)) ?? (await ctx.storage.users.findByName(idOrName));
  if (!user) throw new GatewayError('resource_not_found', `no user "${idOrName}"`, { param: 'user' });
  return user;
}

/** The `default` user, recreated on demand if an operator deleted it. */
export async function ensureDefaultUser(ctx: Pick<AdminContext, 'storage' | 'now'>): Promise<UserRecord> {
  const found = await ctx.storage.users.get(DEFAULT_USER_ID);
  if (found) return found;
  const now = ctx.now();
  return ctx.storage.users.create({
    id: DEFAULT_USER_ID,
    name: (await ctx.storage.users.findByName('default')) ? `default-${now}` : 'default',
    email: null,
    notes: 'owns keys created without a user',
    enabled: true,
    createdAt: now,
    updatedAt: now,
  });
}

export async function listUsers(ctx: AdminContext, query: ListQuery): Promise<ListPage<UserView>> {
  return page(await ctx.storage.users.list(), query, userView);
}

/**
 * Refuses a name another user has, or another user's id: users are found by id first
 * (findUser), so a user named "default" beside the renamed built-in user could never be reached
 * by its name.
 */
async function assertNameFree(ctx: AdminContext, name: string, self: string | null): Promise<void> {
  const holder = (await ctx.storage.users.findByName(name)) ?? (await ctx.storage.users.get(name));
  if (!holder || holder.id === self) return;
  throw new GatewayError(
    'resource_conflict',
    holder.name === name
      ? `a user named "${name}" already exists`
      : `"${name}" is the id of user "${holder.name}", whom /users/${name} and --user ${name} reach: choose another name`,
    { param: 'name' },
  );
}

export async function createUser(ctx: AdminContext, input: UserCreate): Promise<UserView> {
  await assertNameFree(ctx, input.name, null);
  const now = ctx.now();
  const user = await ctx.storage.users.create({
    id: crypto.randomUUID(),
    name: input.name,
    email: input.email ?? null,
    notes: input.notes ?? null,
    enabled: input.enabled ?? true,
    createdAt: now,
    updatedAt: now,
  });
  return userView(user);
}

export async function getUser(ctx: AdminContext, idOrName: string): Promise<UserView> {
  return userView(await findUser(ctx, idOrName));
}

export async function updateUser(
  ctx: AdminContext,
  idOrName: string,
  patch: UserPatchInput,
): Promise<UserView> {
  const user = await findUser(ctx, idOrName);
  if (patch.name !== undefined) await assertNameFree(ctx, patch.name, user.id);
  const updated = await ctx.storage.users.update(user.id, patch, ctx.now());
  if (!updated) throw new GatewayError('resource_not_found', `no user "${idOrName}"`);
  await ctx.changes.publish({ kind: 'user', id: user.id });
  return userView(updated);
}

/** Deleting a user deletes its keys with it: they are refused from the next request on. */
export async function deleteUser(
  ctx: AdminContext,
  idOrName: string,
): Promise<{ id: string; deleted: true; keys_deleted: number }> {
  const user = await findUser(ctx, idOrName);
  if (user.id === DEFAULT_USER_ID) {
    throw new GatewayError(
      'resource_conflict',
      'the built-in "default" user owns keys made without a user and cannot be deleted: disable it instead',
    );
  }
  const keysDeleted = await ctx.storage.keys.deleteByUser(user.id);
  await ctx.storage.users.delete(user.id);
  // Its keys went with it: caches drop every key of the user on this one notice.
  await ctx.changes.publish({ kind: 'user', id: user.id });
  return { id: user.id, deleted: true, keys_deleted: keysDeleted };
}
