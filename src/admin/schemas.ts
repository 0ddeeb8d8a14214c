import { z } from 'zod';
import { isValidCidr } from '../auth/ip-allowlist.js';
import { KEY_PREFIX_PATTERN } from '../auth/key-secret.js';
import { budgetSchema } from '../config/accounting-schema.js';
import { baseUrlSchema } from '../config/base-url.js';
import { channelSchema } from '../config/schema.js';
import { PIPELINE_NAMES } from '../pipelines/names.js';
import { pageLimitSchema } from './page-limit.js';
import { usageStatsSchema } from './usage-summary.js';

/**
 * The admin API's JSON shapes. Routes validate with them, the CLI sends them, and the OpenAPI
 * document is generated from them: one definition for all three.
 */

const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 time');
const nullableTimestamp = timestamp.nullable();

// Strict, like the query schemas of /logs and /usage: a misspelt filter is a 400, not ignored.
export const listQuerySchema = z
  .object({
    limit: pageLimitSchema,
    offset: z.coerce.number().int().min(0).default(0),
    user_id: z.string().min(1).optional().describe('keys only: the owning user'),
  })
  .strict();

export function listResponse<T extends z.ZodType>(item: T) {
  return z.object({
    object: z.literal('list'),
    data: z.array(item),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  });
}

const userName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/, 'use letters, digits, dot, dash, underscore or @');

export const userCreateSchema = z
  .object({
    name: userName,
    email: z.email().nullable().optional(),
    notes: z.string().max(2000).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const userPatchSchema = userCreateSchema.partial().strict();

export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  notes: z.string().nullable(),
  enabled: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
});

/** 0 would refuse every request: to stop a key, disable it instead. */
const limitValue = z.number().int().min(1).nullable().optional();
export const limitsSchema = z
  .object({
    rpm: limitValue.describe('requests per minute'),
    rph: limitValue.describe('requests per hour'),
    tpm: limitValue.describe('tokens per minute'),
    concurrent: limitValue.describe('requests in flight at once'),
    budget: budgetSchema
      .nullable()
      .optional()
      .describe("spend cap in the deployment's currency (that of the prices; USD by default)"),
  })
  .strict();

const cidr = z.string().refine(isValidCidr, 'not a CIDR (e.g. 10.0.0.0/8, 2001:db8::/32) or address');

const keyFields = {
  name: z.string().trim().min(1).max(100),
  purpose: z.enum(PIPELINE_NAMES).describe('pipeline applied to this key'),
  // Trimmed like the name: a model pasted with a space around it would match no request's model.
  models: z
    .array(z.string().trim().min(1))
    .describe('allowed models, exact or glob (deepseek/*); empty = all'),
  expires_at: nullableTimestamp,
  ip_allowlist: z.array(cidr).describe('CIDRs (v4 or v6) the caller must come from; empty = anywhere'),
  enabled: z.boolean(),
  limits: limitsSchema,
  channel_id: z.string().min(1).nullable().describe("send this key's traffic only to this channel"),
  byok: z
    .object({ provider: z.string().min(1), key: z.string().min(1) })
    .strict()
    .nullable()
    .describe("bring your own key: the upstream key used for this key's requests (stored encrypted)"),
};

export const keyCreateSchema = z
  .object({
    ...keyFields,
    user_id: z.string().min(1).optional().describe('owner (id or name); the `default` user when absent'),
    prefix: z
      .string()
      .regex(KEY_PREFIX_PATTERN, '1-16 letters, digits or _, starting with a letter')
      .optional(),
  })
  .partial()
  .required({ name: true })
  .strict();

export const keyPatchSchema = z.object(keyFields).partial().strict();

export const keySchema = z.object({
  id: z.string(),
  name: z.string(),
  user_id: z.string(),
  key: z.string().describe('masked: prefix and last four characters'),
  prefix: z.string(),
  purpose: z.string(),
  models: z.array(z.string()),
  expires_at: nullableTimestamp,
  ip_allowlist: z.array(z.string()),
  enabled: z.boolean(),
  limits: z.object({
    rpm: z.number().nullable(),
    rph: z.number().nullable(),
    tpm: z.number().nullable(),
    concurrent: z.number().nullable(),
    budget: z.number().nullable(),
  }),
  channel_id: z.string().nullable(),
  byok: z.object({ provider: z.string(), key: z.string().describe('masked') }).nullable(),
  status: z
    .enum(['active', 'revoked', 'expired', 'disabled', 'user_disabled'])
    .describe('the first reason the gateway refuses the key, in the order it checks them; else active'),
  last_used_at: z
    .string()
    .nullable()
    .describe('start of its latest request still in the request log (null: none)'),
  created_at: timestamp,
  revoked_at: nullableTimestamp,
});

/** The one answer that carries the full key (in `key`); every later view shows it masked. */
export const createdKeySchema = keySchema.extend({
  key: z.string().describe('the full key: shown only in this answer'),
});

export const rotatedKeySchema = createdKeySchema.extend({
  replaces: z
    .string()
    .describe(
      "the key's id, the same as `id`: rotation keeps the key and replaces only its secret (kept for clients that read it)",
    ),
});

export const channelCreateSchema = channelSchema.extend({ enabled: z.boolean().optional() });

/** Every channel field except the immutable name; only the fields sent are changed. */
export const channelPatchSchema = channelSchema
  .omit({ name: true })
  .partial()
  .extend({
    enabled: z.boolean().optional(),
    base_url: baseUrlSchema.nullable().optional().describe("null: back to the provider's default base URL"),
    api_version: z.string().min(1).nullable().optional().describe('null: none (the provider default)'),
  })
  .strict();

export const channelViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  provider: z.string(),
  base_url: z.string().nullable(),
  keys: z.array(z.string()).describe('masked upstream keys'),
  models: z.array(z.string()),
  model_map: z.record(z.string(), z.string()),
  max_output_tokens: z
    .record(z.string(), z.number())
    .describe('output-token cap per model (exact or * glob); empty: the built-in table only'),
  priority: z.number(),
  weight: z.number(),
  headers: z.record(z.string(), z.string()).describe('values of secret-looking headers are masked'),
  timeout: z.record(z.string(), z.number()),
  api_version: z.string().nullable().describe('query-string API version (Azure OpenAI), null: none'),
  affinity: z.boolean().describe('conversations pinned to one upstream key while it is healthy'),
  enabled: z.boolean(),
  source: z.enum(['file', 'api']).describe('file: managed by the config file (read-only except enabled)'),
  created_at: timestamp,
  updated_at: timestamp,
});

export const channelTestRequestSchema = z
  .object({
    model: z.string().min(1).optional().describe("defaults to the channel's first model"),
    key_index: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('which upstream key to test (default 0, the first)'),
  })
  .strict();

export const channelTestResultSchema = z.object({
  channel: z.string(),
  model: z.string(),
  key_index: z.number(),
  key: z.string().nullable().describe('the upstream key tested, masked'),
  ok: z.boolean(),
  status: z.number().nullable(),
  latency_ms: z.number(),
  error: z.string().nullable(),
});

export const channelCounterSchema = z.object({
  channel: z.string(),
  requests: z.number(),
  errors: z.number(),
  keys: z.array(
    z.object({ key: z.string().nullable(), index: z.number(), requests: z.number(), errors: z.number() }),
  ),
});

export const adminStatsSchema = z.object({
  since: timestamp,
  users: z.object({ total: z.number(), enabled: z.number() }),
  keys: z.object({ total: z.number(), active: z.number() }),
  channels: z.object({ total: z.number(), enabled: z.number() }),
  requests: z.number(),
  per_channel: z.array(channelCounterSchema),
  /** Last 24 hours from the usage rollups (docs/usage-and-limits.md). */
  usage_24h: usageStatsSchema,
  currency: z
    .string()
    .describe("the deployment's currency (that of its prices; USD by default): usage_24h's costs are in it"),
});

/** One running gateway instance, from its heartbeats (docs/admin-api.md, "Instances"). */
export const instanceSchema = z.object({
  id: z.string(),
  version: z.string(),
  started_at: timestamp,
  last_heartbeat: timestamp,
  in_flight: z.number().int().describe('model requests begun and not yet ended'),
  status: z.enum(['live', 'stale']).describe('stale: no heartbeat for three intervals'),
  self: z.boolean().describe('the instance that answered this call'),
});

export const instanceListSchema = z.object({ object: z.literal('list'), data: z.array(instanceSchema) });
export type InstanceList = z.infer<typeof instanceListSchema>;
export type InstanceView = InstanceList['data'][number];

export const errorEnvelopeSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    code: z.string(),
    param: z.string().nullable(),
    request_id: z.string().optional(),
  }),
});

export type UserCreate = z.infer<typeof userCreateSchema>;
export type UserPatchInput = z.infer<typeof userPatchSchema>;
export type UserView = z.infer<typeof userSchema>;
export type KeyCreate = z.infer<typeof keyCreateSchema>;
export type KeyPatchInput = z.infer<typeof keyPatchSchema>;
export type KeyView = z.infer<typeof keySchema>;
export type CreatedKeyView = z.infer<typeof createdKeySchema>;
export type RotatedKeyView = z.infer<typeof rotatedKeySchema>;
export type ChannelCreate = z.infer<typeof channelCreateSchema>;
export type ChannelPatchInput = z.infer<typeof channelPatchSchema>;
export type ChannelView = z.infer<typeof channelViewSchema>;
export type ChannelTestResult = z.infer<typeof channelTestResultSchema>;
export type AdminStats = z.infer<typeof adminStatsSchema>;
export type ListQuery = z.infer<typeof listQuerySchema>;
export interface ListPage<T> {
  object: 'list';
  data: T[];
  total: number;
  limit: number;
  offset: number;
}
