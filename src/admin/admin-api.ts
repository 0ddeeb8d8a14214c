import { z } from 'zod';
import { type AuditSpec, patchAction } from './audit/audited-route.js';
import { createChannel, deleteChannel, getChannel, listChannels, updateChannel } from './channel-service.js';
import { testChannel } from './channel-test.js';
import type { AdminContext } from './context.js';
import { createKey, getKey, listKeys, revokeKey, rotateKey, updateKey } from './key-admin.js';
import { providerPresetSchema, providerPresets } from './provider-presets.js';
import {
  type AdminStats,
  adminStatsSchema,
  channelCreateSchema,
  channelPatchSchema,
  channelTestRequestSchema,
  channelTestResultSchema,
  channelViewSchema,
  createdKeySchema,
  type InstanceList,
  instanceListSchema,
  keyCreateSchema,
  keyPatchSchema,
  keySchema,
  type listQuerySchema,
  listResponse,
  rotatedKeySchema,
  userCreateSchema,
  userPatchSchema,
  userSchema,
} from './schemas.js';
import { createUser, deleteUser, getUser, listUsers, updateUser } from './user-service.js';

export interface RouteInput {
  readonly id: string;
  readonly body: unknown;
  /** Top-level fields present in the JSON body. */
  readonly sent: readonly string[];
  readonly query: z.infer<typeof listQuerySchema>;
}

/** One admin route: the table both mounts the routes and writes the OpenAPI document. */
export interface AdminRoute {
  readonly method: 'get' | 'post' | 'patch' | 'delete';
  /** Hono path below /admin/api, `:id` for the id. */
  readonly path: string;
  readonly summary: string;
  readonly tag: 'users' | 'keys' | 'channels' | 'stats' | 'providers' | 'instances';
  readonly status: 200 | 201;
  readonly body?: z.ZodType;
  readonly list?: boolean;
  readonly response: z.ZodType;
  readonly handle: (ctx: AdminContext, input: RouteInput) => Promise<unknown>;
  /** Mutations: what the audit log records once the call succeeded. */
  readonly audit?: AuditSpec;
}

const deleted = z.object({ id: z.string(), deleted: z.literal(true) });

export function adminRoutes(
  stats: (ctx: AdminContext) => Promise<AdminStats>,
  instances: () => Promise<InstanceList> = async () => ({ object: 'list', data: [] }),
): readonly AdminRoute[] {
  return [
    {
      method: 'get',
      path: '/users',
      tag: 'users',
      status: 200,
      list: true,
      summary: 'List users',
      response: listResponse(userSchema),
      handle: (ctx, i) => listUsers(ctx, i.query),
    },
    {
      method: 'post',
      path: '/users',
      audit: { object: 'user', action: 'create' },
      tag: 'users',
      status: 201,
      summary: 'Create a user',
      body: userCreateSchema,
      response: userSchema,
      handle: (ctx, i) => createUser(ctx, i.body as z.infer<typeof userCreateSchema>),
    },
    {
      method: 'get',
      path: '/users/:id',
      tag: 'users',
      status: 200,
      summary: 'Get a user (by id or name)',
      response: userSchema,
      handle: (ctx, i) => getUser(ctx, i.id),
    },
    {
      method: 'patch',
      path: '/users/:id',
      audit: { object: 'user', action: patchAction },
      tag: 'users',
      status: 200,
      summary: 'Update a user; `enabled: false` stops all its keys at once',
      body: userPatchSchema,
      response: userSchema,
      handle: (ctx, i) => updateUser(ctx, i.id, i.body as z.infer<typeof userPatchSchema>),
    },
    {
      method: 'delete',
      path: '/users/:id',
      audit: { object: 'user', action: 'delete' },
      tag: 'users',
      status: 200,
      summary: 'Delete a user and all of its keys',
      response: deleted.extend({ keys_deleted: z.number() }),
      handle: (ctx, i) => deleteUser(ctx, i.id),
    },
    {
      method: 'get',
      path: '/users/:id/keys',
      tag: 'users',
      status: 200,
      list: true,
      summary: "List one user's keys (masked)",
      response: listResponse(keySchema),
      handle: (ctx, i) => listKeys(ctx, { ...i.query, user_id: i.id }),
    },
    {
      method: 'get',
      path: '/keys',
      tag: 'keys',
      status: 200,
      list: true,
      summary: 'List client keys (masked); filter with user_id',
      response: listResponse(keySchema),
      handle: (ctx, i) => listKeys(ctx, i.query),
    },
    {
      method: 'post',
      path: '/keys',
      audit: { object: 'key', action: 'create' },
      tag: 'keys',
      status: 201,
      summary: 'Create a client key: the secret is in this answer only',
      body: keyCreateSchema,
      response: createdKeySchema,
      handle: (ctx, i) => createKey(ctx, i.body as z.infer<typeof keyCreateSchema>),
    },
    {
      method: 'get',
      path: '/keys/:id',
      tag: 'keys',
      status: 200,
      summary: 'Get a key (masked)',
      response: keySchema,
      handle: (ctx, i) => getKey(ctx, i.id),
    },
    {
      method: 'patch',
      path: '/keys/:id',
      audit: { object: 'key', action: patchAction },
      tag: 'keys',
      status: 200,
      summary: "Update a key's settings",
      body: keyPatchSchema,
      response: keySchema,
      handle: (ctx, i) => updateKey(ctx, i.id, i.body as z.infer<typeof keyPatchSchema>),
    },
    {
      method: 'delete',
      path: '/keys/:id',
      audit: { object: 'key', action: 'revoke' },
      tag: 'keys',
      status: 200,
      summary: 'Revoke a key (refused from the next request on; the record stays)',
      response: keySchema,
      handle: (ctx, i) => revokeKey(ctx, i.id),
    },
    {
      method: 'post',
      path: '/keys/:id/rotate',
      audit: { object: 'key', action: 'rotate' },
      tag: 'keys',
      status: 201,
      summary:
        'Rotate: a new secret for the same key (usage, limits, budget carry on); the old one is refused',
      response: rotatedKeySchema,
      handle: (ctx, i) => rotateKey(ctx, i.id),
    },
    {
      method: 'get',
      path: '/channels',
      tag: 'channels',
      status: 200,
      list: true,
      summary: 'List channels (upstream keys masked)',
      response: listResponse(channelViewSchema),
      handle: (ctx, i) => listChannels(ctx, i.query),
    },
    {
      method: 'post',
      path: '/channels',
      audit: { object: 'channel', action: 'create' },
      tag: 'channels',
      status: 201,
      summary: 'Add a channel (same fields as the config file, plus enabled)',
      body: channelCreateSchema,
      response: channelViewSchema,
      handle: (ctx, i) => createChannel(ctx, i.body as z.infer<typeof channelCreateSchema>),
    },
    {
      method: 'get',
      path: '/channels/:id',
      tag: 'channels',
      status: 200,
      summary: 'Get a channel',
      response: channelViewSchema,
      handle: (ctx, i) => getChannel(ctx, i.id),
    },
    {
      method: 'patch',
      path: '/channels/:id',
      audit: { object: 'channel', action: patchAction },
      tag: 'channels',
      status: 200,
      summary: 'Update a channel (file-managed channels: only enabled)',
      body: channelPatchSchema,
      response: channelViewSchema,
      handle: (ctx, i) => updateChannel(ctx, i.id, i.body as z.infer<typeof channelPatchSchema>, i.sent),
    },
    {
      method: 'delete',
      path: '/channels/:id',
      audit: { object: 'channel', action: 'delete' },
      tag: 'channels',
      status: 200,
      summary: 'Remove an API-managed channel',
      response: deleted,
      handle: (ctx, i) => deleteChannel(ctx, i.id),
    },
    {
      method: 'post',
      path: '/channels/:id/test',
      audit: { object: 'channel', action: 'test', noDiff: true },
      tag: 'channels',
      status: 200,
      summary: 'Send one tiny chat request to the channel; report status and latency',
      body: channelTestRequestSchema,
      response: channelTestResultSchema,
      handle: (ctx, i) => {
        const body = i.body as z.infer<typeof channelTestRequestSchema>;
        return testChannel(ctx, i.id, body.model, body.key_index);
      },
    },
    {
      method: 'get',
      path: '/providers',
      tag: 'providers',
      status: 200,
      summary: 'Every provider a channel can name, with its default base URL (the panel presets)',
      response: z.object({ object: z.literal('list'), data: z.array(providerPresetSchema) }),
      handle: async (ctx) => ({ object: 'list' as const, data: providerPresets(ctx) }),
    },
    {
      method: 'get',
      path: '/stats',
      tag: 'stats',
      status: 200,
      summary: 'Counts, and per-channel request/error counters since start',
      response: adminStatsSchema,
      handle: (ctx) => stats(ctx),
    },
    {
      method: 'get',
      path: '/instances',
      tag: 'instances',
      status: 200,
      summary: 'Running gateway instances, from their heartbeats (stale: silent for three beats)',
      response: instanceListSchema,
      handle: () => instances(),
    },
  ];
}
