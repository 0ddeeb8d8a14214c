/**
 * The closed set of error codes the gateway itself emits. Each has one HTTP status and one
 * OpenAI error `type`; docs/errors.md has a line for each.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  missing_model: { status: 400, type: 'invalid_request_error' },
  missing_messages: { status: 400, type: 'invalid_request_error' },
  missing_api_key: { status: 401, type: 'authentication_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  route_not_found: { status: 404, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  body_too_large: { status: 413, type: 'invalid_request_error' },
  content_blocked: { status: 400, type: 'invalid_request_error' },
  /** The request holds something the chosen upstream's format cannot express (a client error). */
  untranslatable_request: { status: 400, type: 'invalid_request_error' },
  upstream_failed: { status: 502, type: 'upstream_error' },
  upstream_stream_error: { status: 502, type: 'upstream_error' },
  storage_unavailable: { status: 503, type: 'server_error' },
  upstream_timeout: { status: 504, type: 'upstream_error' },
  upstream_rate_limited: { status: 429, type: 'upstream_error' },
  /** Every attempt was answered 529 (Anthropic's overloaded_error): its status, not a 502. */
  upstream_overloaded: { status: 529, type: 'upstream_error' },
  all_upstreams_cooling: { status: 503, type: 'upstream_error' },
  shutting_down: { status: 503, type: 'server_error' },
  /** The usage buffer is at its bound (the usage database unreachable for long): nothing is dropped. */
  usage_backlog_full: { status: 503, type: 'server_error' },
  client_closed: { status: 499, type: 'invalid_request_error' },
  internal_error: { status: 500, type: 'server_error' },
  // Limits (rate, concurrency, spending budget) set on a key or a user.
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  concurrency_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  budget_exceeded: { status: 429, type: 'insufficient_quota' },
  // Admin API and key states (tenants, keys and channels managed live).
  missing_admin_token: { status: 401, type: 'authentication_error' },
  invalid_admin_token: { status: 401, type: 'authentication_error' },
  // Admin panel sessions (cookie sign-in).
  session_expired: { status: 401, type: 'authentication_error' },
  /** An edge-mode internal request (docs/workers.md) unsigned, badly signed or outside the replay window. */
  invalid_signature: { status: 401, type: 'authentication_error' },
  csrf_failed: { status: 403, type: 'permission_error' },
  too_many_sign_in_attempts: { status: 429, type: 'rate_limit_error' },
  key_revoked: { status: 401, type: 'authentication_error' },
  key_expired: { status: 401, type: 'authentication_error' },
  key_disabled: { status: 403, type: 'permission_error' },
  user_disabled: { status: 403, type: 'permission_error' },
  ip_not_allowed: { status: 403, type: 'permission_error' },
  resource_not_found: { status: 404, type: 'invalid_request_error' },
  resource_conflict: { status: 409, type: 'invalid_request_error' },
  channel_file_managed: { status: 409, type: 'invalid_request_error' },
  /** An edge's usage batch priced in another currency than the origin's (docs/workers.md). */
  currency_mismatch: { status: 409, type: 'invalid_request_error' },
  encryption_not_configured: { status: 400, type: 'invalid_request_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
