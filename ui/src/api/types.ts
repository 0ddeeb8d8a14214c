/**
 * Types of the admin API answers (/admin/api/*) and of the client API parts the Playground uses.
 * Field names are the server's (snake_case); times are ISO 8601 strings unless noted.
 */

/** Every error answer: `{"error": {...}}`. */
export interface ErrorEnvelope {
  error: {
    message: string;
    type: string;
    code: string;
    param: string | null;
    request_id?: string;
  };
}

/** A paged list (`?limit=&offset=`, limit at most 500). */
export interface ListOf<T> {
  object: 'list';
  data: T[];
  total: number;
  limit: number;
  offset: number;
}
/** Alias used in the contract's examples. */
export type List<T> = ListOf<T>;

// ---------------------------------------------------------------- session

export interface SessionInfo {
  csrf_token: string;
  expires_at: string;
}

export interface SignInBody {
  secret: string;
}

// ---------------------------------------------------------------- users

export interface UserView {
  id: string;
  name: string;
  email: string | null;
  notes: string | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** POST /users. name: 1–64 of `A-Za-z0-9._@-`. */
export interface CreateUserBody {
  name: string;
  email?: string | null;
  notes?: string | null;
  enabled?: boolean;
}

/** PATCH /users/:id; `enabled: false` stops all the user's keys at once. */
export type UpdateUserBody = Partial<CreateUserBody>;

/** DELETE /users/:id (deletes the user's keys too). */
export interface DeletedUser {
  id: string;
  deleted: true;
  keys_deleted: number;
}

// ---------------------------------------------------------------- client keys

export type KeyPurpose = 'default' | 'cursor';
export type KeyStatus = 'active' | 'revoked' | 'expired' | 'disabled';

export interface KeyLimits {
  /** requests per minute */
  rpm: number | null;
  /** requests per hour */
  rph: number | null;
  /** tokens per minute */
  tpm: number | null;
  /** requests in flight at once */
  concurrent: number | null;
  /** spend cap in USD */
  budget: number | null;
}

export interface ByokView {
  provider: string;
  /** masked */
  key: string;
}

export interface KeyView {
  id: string;
  name: string;
  user_id: string;
  /** masked: prefix and last four characters */
  key: string;
  prefix: string;
  purpose: KeyPurpose | string;
  /** allowed models, exact or glob (`deepseek/*`); empty = all */
  models: string[];
  expires_at: string | null;
  /** CIDRs the caller must come from; empty = anywhere */
  ip_allowlist: string[];
  enabled: boolean;
  limits: KeyLimits;
  /** send this key's traffic only to this channel */
  channel_id: string | null;
  byok: ByokView | null;
  status: KeyStatus;
  created_at: string;
  revoked_at: string | null;
  /** start of its latest request still in the request log */
  last_used_at: string | null;
}

/** POST /keys answer: `key` is the FULL secret, shown only in this answer. */
export type CreatedKey = KeyView;

/** POST /keys/:id/rotate answer: a new full secret; the old key (`replaces`) is revoked. */
export interface RotatedKey extends CreatedKey {
  replaces: string;
}

export interface KeyLimitsInput {
  rpm?: number | null;
  rph?: number | null;
  tpm?: number | null;
  concurrent?: number | null;
  budget?: number | null;
}

/** PATCH /keys/:id */
export interface UpdateKeyBody {
  name?: string;
  purpose?: KeyPurpose;
  models?: string[];
  expires_at?: string | null;
  ip_allowlist?: string[];
  enabled?: boolean;
  limits?: KeyLimitsInput;
  channel_id?: string | null;
  byok?: { provider: string; key: string } | null;
}

/** POST /keys */
export interface CreateKeyBody extends UpdateKeyBody {
  name: string;
  /** owner (id or name); the `default` user when absent */
  user_id?: string;
  /** `^[A-Za-z][A-Za-z0-9_]{0,15}$` */
  prefix?: string;
}

// ---------------------------------------------------------------- channels

export type ChannelSource = 'file' | 'api';

export interface ChannelView {
  id: string;
  name: string;
  provider: string;
  base_url: string | null;
  /** masked upstream keys */
  keys: string[];
  models: string[];
  model_map: Record<string, string>;
  priority: number;
  weight: number;
  /** values of secret-looking headers are masked */
  headers: Record<string, string>;
  timeout: Record<string, number>;
  enabled: boolean;
  /** file: managed by the config file (read-only except `enabled`; 409 otherwise) */
  source: ChannelSource;
  created_at: string;
  updated_at: string;
}

export interface ChannelTimeoutInput {
  connect_ms?: number;
  first_byte_ms?: number;
  idle_ms?: number;
  total_ms?: number;
}

/** Prices per 1M tokens. */
export interface ChannelPriceInput {
  input: number;
  output: number;
  cached_input?: number;
  cache_write?: number;
  reasoning?: number;
  currency?: string;
}

/** PATCH /channels/:id. Send `keys` only when the user entered new ones (they replace the old). */
export interface UpdateChannelBody {
  provider?: string;
  /** null: back to the provider's default */
  base_url?: string | null;
  key?: string;
  keys?: string[];
  models?: string[];
  model_map?: Record<string, string>;
  priority?: number;
  /** > 0 */
  weight?: number;
  headers?: Record<string, string>;
  api_version?: string;
  timeout?: ChannelTimeoutInput;
  affinity?: boolean;
  prices?: Record<string, ChannelPriceInput>;
  enabled?: boolean;
}

/** POST /channels. name: `^[A-Za-z0-9._-]+$`. */
export interface CreateChannelBody extends UpdateChannelBody {
  name: string;
  provider: string;
}

/** DELETE /channels/:id */
export interface DeletedChannel {
  id: string;
  deleted: true;
}

/** POST /channels/:id/test `{model?, key_index?}` */
export interface ChannelTestBody {
  model?: string;
  /** which upstream key to test (default 0, the first) */
  key_index?: number;
}

export interface ChannelTestResult {
  channel: string;
  model: string;
  /** index of the upstream key tested */
  key_index: number;
  /** the upstream key tested, masked */
  key: string | null;
  ok: boolean;
  status: number | null;
  latency_ms: number;
  error: string | null;
}

/** GET /providers: the create form's provider select. */
export interface ProviderPreset {
  name: string;
  /** the provider's default base URL (null: none, the channel must set one) */
  base_url: string | null;
  requires_key: boolean;
  /** chat wire format: openai, anthropic or gemini */
  wire?: string;
}

export interface ProviderList {
  object?: 'list';
  data: ProviderPreset[];
}

// ---------------------------------------------------------------- usage

export type UsageGroupBy = 'all' | 'key' | 'user' | 'model' | 'channel';
export type UsageInterval = 'minute' | 'hour' | 'day';

/** Latency percentiles are bucket upper bounds; null without requests. */
export interface LatencyStats {
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface UsageTotals {
  requests: number;
  errors: number;
  /** 0..1 */
  error_rate: number;
  cache_hits: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  /** USD */
  cost: number;
  latency_ms: LatencyStats;
}

/** One group of GET /usage?group_by=…: `value` is the key id, user id, model or channel name. */
export interface UsageGroup extends UsageTotals {
  value: string;
}

/** One point of the series: `time` is the start of the interval. */
export interface UsagePoint extends UsageTotals {
  time: string;
}

/** GET /usage?from=&to=&group_by=&interval= */
export interface UsageReport {
  from: string;
  to: string;
  group_by: UsageGroupBy;
  totals: UsageTotals;
  groups: UsageGroup[];
  series: UsagePoint[];
}

// ---------------------------------------------------------------- stats

/** GET /stats */
export interface AdminStats {
  since: string;
  users: { total: number; enabled: number };
  keys: { total: number; active: number };
  channels: { total: number; enabled: number };
  requests: number;
  per_channel: Array<{
    channel: string;
    requests: number;
    errors: number;
    keys: Array<{ key: string | null; index: number; requests: number; errors: number }>;
  }>;
  usage_24h: {
    from: string;
    per_model: UsageGroup[];
    per_channel: UsageGroup[];
  };
}

export type ChannelHealth = 'healthy' | 'degraded' | 'unknown';

export type HealthState =
  | 'degraded'
  | 'open'
  | 'half_open'
  | 'rate_limited'
  | 'disabled'
  | 'model_unavailable';

export interface RoutingHealthEntry {
  state: HealthState | string;
  /** null: every model of the key */
  model: string | null;
  reason: string;
  since?: string;
  /** null: until the next request (half-open) */
  until: string | null;
  /** disabled keys (rejected by the upstream): when one request tries the key again */
  retry_at?: string | null;
  /** disabled keys: rejections in a row (each doubles the wait) */
  rejections?: number;
}

/** POST /channels/{id}/keys/{index}/reenable */
export interface ReenabledKey {
  channel: string;
  key_index: number;
  /** masked */
  key: string | null;
  /** false when the key was not flagged */
  reenabled: boolean;
}

export interface RoutingKey {
  index: number;
  /** masked */
  key: string | null;
  requests: number;
  errors: number;
  health: RoutingHealthEntry[];
}

export interface RoutingChannel {
  channel: string;
  provider: string;
  priority: number;
  weight: number;
  requests: number;
  errors: number;
  in_flight: number | null;
  latency_ms: number | null;
  health: ChannelHealth;
  keys: RoutingKey[];
}

/** GET /stats/routing (the same document as the gateway's GET /stats). */
export interface RoutingStats {
  at: string;
  since: string;
  requests: number;
  strategy: unknown;
  channels: RoutingChannel[];
  router?: unknown;
}

// ---------------------------------------------------------------- request log

export type CountSource = 'upstream' | 'estimated' | 'partial';

/** Prices (per 1M tokens) a request was costed with. */
export interface LogPrices {
  input: number;
  output: number;
  /** null when the model has no separate price for it */
  cached_input: number | null;
  cache_write: number | null;
  reasoning: number | null;
  currency: string;
}

export interface LogAttempt {
  channel: string;
  /** index of the upstream key in the channel's key list */
  key_index: number;
  status: number | null;
  error: string | null;
  latency_ms: number;
}

export interface LogEntry {
  request_id: string;
  started_at: string;
  user_id: string | null;
  key_id: string | null;
  operation: string;
  model_asked: string | null;
  model_served: string | null;
  channel: string | null;
  /** masked */
  upstream_key: string | null;
  stream: boolean;
  status: number;
  error_code: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  cache_write_tokens?: number | null;
  reasoning_tokens: number | null;
  count_source: CountSource | null;
  /** USD; null when no price is known for the served model */
  cost: number | null;
  prices?: LogPrices | null;
  cache_hit: boolean;
  first_byte_ms: number | null;
  latency_ms: number;
  attempts: LogAttempt[];
}

/** GET /logs?from&to&user&key&model&channel&status&failed&limit&cursor */
export interface LogPage {
  object: 'list';
  data: LogEntry[];
  next_cursor: string | null;
}

/** GET /logs/:requestId (a client may reuse its request id: every request under it). */
export interface LogDetail {
  request_id: string;
  data: LogEntry[];
}

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
