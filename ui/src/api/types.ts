/**
 * Types of the admin API answers (/admin/api/*) and of the client API parts the Playground uses.
 * The admin API's are the server's own, inferred from its schemas and views
 * (src/admin/api-types.ts): imported type-only, they vanish at build and cannot drift.
 * Field names are the server's (snake_case); times are ISO 8601 strings unless noted.
 */
import type {
  ChannelView,
  ErrorEnvelope,
  KeyView,
  ListOf,
  LogEntry,
  ProviderPreset,
  RoutingHealthEntry,
  UpdateChannelBody,
} from '../../../src/admin/api-types.js';
import type { PIPELINE_NAMES } from '../../../src/pipelines/names.js';

export type {
  AdminStats,
  AuditEntryView,
  AuditPage,
  ChannelHealth,
  ChannelTestBody,
  ChannelTestResult,
  ChannelView,
  CountSource,
  CreateChannelBody,
  CreatedKey,
  CreateKeyBody,
  CreateUserBody,
  DeletedChannel,
  DeletedUser,
  ErrorEnvelope,
  InstanceList,
  InstanceView,
  KeyLimitsInput,
  KeyView,
  ListOf,
  LogAttempt,
  LogDetail,
  LogEntry,
  LogPage,
  ProviderPreset,
  RotatedKey,
  RoutingChannel,
  RoutingHealthEntry,
  RoutingKey,
  RoutingStats,
  SessionInfo,
  UpdateChannelBody,
  UpdateKeyBody,
  UpdateUserBody,
  UsageGroup,
  UsageGroupBy,
  UsageInterval,
  UsagePoint,
  UsageReport,
  UsageTotals,
  UserView,
} from '../../../src/admin/api-types.js';

/** Alias used in the contract's examples. */
export type List<T> = ListOf<T>;

export interface SignInBody {
  secret: string;
}

export type KeyPurpose = (typeof PIPELINE_NAMES)[number];
export type KeyStatus = KeyView['status'];
export type KeyLimits = KeyView['limits'];
export type ByokView = NonNullable<KeyView['byok']>;

export type ChannelSource = ChannelView['source'];
export type ChannelTimeoutInput = NonNullable<UpdateChannelBody['timeout']>;
/** Prices per 1M tokens. */
export type ChannelPriceInput = NonNullable<UpdateChannelBody['prices']>[string];

export interface ProviderList {
  object?: 'list';
  data: ProviderPreset[];
}

export type HealthState = RoutingHealthEntry['state'];

/** POST /channels/{id}/keys/{index}/reenable */
export interface ReenabledKey {
  channel: string;
  key_index: number;
  /** masked */
  key: string | null;
  /** false when the key was not flagged */
  reenabled: boolean;
}

export type LogPrices = NonNullable<LogEntry['prices']>;

/** The panel's filters for GET /logs (times in ms; sent as query parameters). */
export interface LogQuery {
  from?: number;
  to?: number;
  user?: string;
  key?: string;
  model?: string;
  channel?: string;
  status?: number;
  /** only requests answered with a status of 400 or more */
  failed?: true;
  limit?: number;
  cursor?: string;
}

// ---------------------------------------------------------------- client API (Playground)

/** GET /v1/models */
export interface ModelList {
  object?: 'list';
  data: Array<{ id: string; object?: string; owned_by?: string }>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

/** One `data:` event of a streamed chat completion. */
export interface ChatCompletionChunk {
  id?: string;
  model?: string;
  choices?: Array<{
    index?: number;
    delta?: { role?: string; content?: string | null; reasoning_content?: string | null };
    finish_reason?: string | null;
  }>;
  usage?: ChatUsage | null;
  error?: ErrorEnvelope['error'];
}
