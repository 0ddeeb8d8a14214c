import { maskSecret } from '../auth/secret-box.js';
import { isSecretHeader } from '../auth/secret-headers.js';
import { privateBaseUrlProblem } from '../config/base-url.js';
import { type ChannelConfig, channelSchema } from '../config/schema.js';
import { isHeaderSafeKey } from '../config/upstream-key.js';
import { GatewayError } from '../errors/gateway-error.js';
import { buildChannels } from '../router/build-channels.js';
import type { Channel } from '../spec/channel.js';
import type { ChannelRecord } from '../storage/ports.js';
import { keyNames, keysBoundTo } from './bound-keys.js';
import { openChannelConfig, sealChannelConfig } from './channel-registry.js';
import { type AdminContext, iso, page } from './context.js';
import { invalidRequest } from './invalid-request.js';
import { unmaskKey } from './masked-echo.js';
import type { ChannelCreate, ChannelPatchInput, ChannelView, ListPage, ListQuery } from './schemas.js';

export async function channelView(ctx: AdminContext, record: ChannelRecord): Promise<ChannelView> {
  const config = await openChannelConfig(record.config, ctx.box);
  return {
    id: record.id,
    name: config.name,
    provider: config.provider,
    base_url: config.base_url ?? null,
    keys: config.keys.map(maskSecret),
    models: config.models,
    model_map: config.model_map,
    max_output_tokens: config.max_output_tokens ?? {},
    priority: config.priority,
    weight: config.weight,
    headers: Object.fromEntries(
      Object.entries(config.headers).map(([name, value]) => [
        name,
        isSecretHeader(name) ? maskSecret(value) : value,
      ]),
    ),
    timeout: { ...config.timeout },
    api_version: config.api_version ?? null,
    affinity: config.affinity,
    enabled: record.enabled,
    source: record.source,
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
  };
}

export async function findChannel(ctx: AdminContext, id: string): Promise<ChannelRecord> {
  const record = await ctx.storage.channels.get(id);
  if (!record) throw new GatewayError('resource_not_found', `no channel "${id}"`);
  return record;
}

export async function listChannels(ctx: AdminContext, query: ListQuery): Promise<ListPage<ChannelView>> {
  const records = await ctx.storage.channels.list();
  const views = await Promise.all(
    records.slice(query.offset, query.offset + query.limit).map((r) => channelView(ctx, r)),
  );
  return { ...page(records, query, () => null), data: views };
}

export async function getChannel(ctx: AdminContext, id: string): Promise<ChannelView> {
  return channelView(ctx, await findChannel(ctx, id));
}

export async function createChannel(ctx: AdminContext, input: ChannelCreate): Promise<ChannelView> {
  const { enabled, ...config } = input;
  if (config.prices !== undefined) throw pricesRefused();
  if (await ctx.storage.channels.get(config.name)) {
    throw new GatewayError('resource_conflict', `a channel named "${config.name}" already exists`, {
      param: 'name',
    });
  }
  checkBuildable(ctx, config);
  const now = ctx.now();
  const record = await ctx.storage.channels.put({
    id: config.name,
    config: await sealChannelConfig(config, ctx.box),
    enabled: enabled ?? true,
    source: 'api',
    createdAt: now,
    updatedAt: now,
  });
  await ctx.changes.publish({ kind: 'channel', id: record.id });
  return channelView(ctx, record);
}

/**
 * Changes only the fields present in `sent` (the raw body's keys: the parsed patch carries
 * schema defaults for absent ones). File-managed channels may only be enabled or disabled.
 */
export async function updateChannel(
  ctx: AdminContext,
  id: string,
  patch: ChannelPatchInput,
  sent: readonly string[],
): Promise<ChannelView> {
  const record = await findChannel(ctx, id);
  const fields = sent.filter((name) => name !== 'enabled' && name in patch);
  if (record.source === 'file' && fields.length > 0) {
    throw new GatewayError(
      'channel_file_managed',
      `channel "${id}" comes from the config file: edit the file and restart (only "enabled" can change here)`,
    );
  }
  if (fields.includes('prices')) throw pricesRefused();
  let config = record.config;
  if (fields.length > 0) {
    const current = await openChannelConfig(record.config, ctx.box);
    // null clears a field (base_url: back to the provider's default).
    const changes = Object.fromEntries(
      fields.map((name) => [name, patch[name as keyof ChannelPatchInput] ?? undefined]),
    );
    // Keys sent back masked, as a GET shows them, stand for the stored ones.
    if (Array.isArray(changes.keys))
      changes.keys = changes.keys.map((key: string, i: number) => unmaskKey(key, current.keys, `keys[${i}]`));
    if (typeof changes.key === 'string') changes.key = unmaskKey(changes.key, current.keys, 'key');
    // A new `key` or `keys` replaces the whole key list.
    const keys = 'key' in changes || 'keys' in changes ? {} : { keys: current.keys };
    const merged = channelSchema.safeParse({
      ...current,
      key: undefined,
      ...keys,
      ...changes,
      name: current.name,
    });
    if (!merged.success) throw invalidRequest(merged.error, 'invalid channel');
    checkBuildable(ctx, merged.data);
    config = await sealChannelConfig(merged.data, ctx.box);
  }
  const updated = await ctx.storage.channels.put({
    ...record,
    config,
    enabled: sent.includes('enabled') && patch.enabled !== undefined ? patch.enabled : record.enabled,
    updatedAt: ctx.now(),
  });
  await ctx.changes.publish({ kind: 'channel', id: updated.id });
  return channelView(ctx, updated);
}

export async function deleteChannel(ctx: AdminContext, id: string): Promise<{ id: string; deleted: true }> {
  const record = await findChannel(ctx, id);
  if (record.source === 'file') {
    throw new GatewayError(
      'channel_file_managed',
      `channel "${id}" comes from the config file: remove it there and restart, or disable it here`,
    );
  }
  // A bound key would be left naming a channel that is gone (its traffic refused as an unknown
  // model), and a later channel of the same name would silently take it over.
  const bound = await keysBoundTo(ctx.storage.keys, id);
  if (bound.length > 0) {
    throw new GatewayError(
      'resource_conflict',
      `channel "${id}" has ${bound.length} key(s) bound to it (${keyNames(bound)}): ` +
        'unbind them (PATCH channel_id: null; switchboard keys update KEY --no-channel) or revoke them first',
    );
  }
  await ctx.storage.channels.delete(id);
  await ctx.changes.publish({ kind: 'channel', id });
  return { id, deleted: true };
}

/** The router channel for a stored record (keys opened), whether or not it is enabled. */
export async function routerChannel(ctx: AdminContext, record: ChannelRecord): Promise<Channel> {
  const [channel] = buildChannels([await openChannelConfig(record.config, ctx.box)], ctx.providers);
  if (!channel) throw new Error(`channel ${record.id} did not build`);
  return channel;
}

/**
 * The price table reads channel prices from the config file at start only: prices stored with an
 * API-made channel would be ignored, and its traffic billed by the global table (or not at all,
 * leaving budgets unenforced), so they are refused instead of accepted for nothing.
 */
function pricesRefused(): GatewayError {
  return new GatewayError(
    'invalid_request',
    "channel prices are read from the config file at start (channels[].prices); a channel made through the admin API is billed by the global price table: put its models' prices under `prices` in the config file",
    { param: 'prices' },
  );
}

/** Rejects a config the router could not use (unknown provider, missing base_url or key). */
function checkBuildable(ctx: AdminContext, config: ChannelConfig): void {
  if (![...(config.key ? [config.key] : []), ...config.keys].every(isHeaderSafeKey)) {
    throw new GatewayError('invalid_request', 'upstream keys may hold only visible ASCII characters', {
      param: 'keys',
    });
  }
  let built: Channel | undefined;
  try {
    [built] = buildChannels([config], ctx.providers);
  } catch (err) {
    const message = (err as Error).message.replace(/^channels\.0\./, '');
    throw new GatewayError('invalid_request', message, { param: message.split(':')[0] });
  }
  // The provider's default base URL counts too (the vllm and ollama presets are loopback).
  const problem = ctx.denyPrivateUpstreams && built ? privateBaseUrlProblem(built.baseUrl) : null;
  if (problem) throw new GatewayError('invalid_request', problem, { param: 'base_url' });
}
