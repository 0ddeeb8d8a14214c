import { i18n } from '../i18n';

/** What errorText needs of an ApiError (kept structural: client.ts imports this module). */
export interface CodedError {
  code: string;
  message: string;
  param: string | null;
  retryAfter: number | null;
}

/**
 * How a known code is worded: `plain` (the message alone), `detail` (with the server's message,
 * which names the thing), `wait` (with Retry-After's seconds; `errors.later.*` without them),
 * `conflict` (like `detail`, but "name taken" when the conflict is about `name`).
 */
type Wording = 'plain' | 'detail' | 'wait' | 'conflict';

const KNOWN_CODES = {
  invalid_admin_token: 'plain',
  too_many_sign_in_attempts: 'wait',
  session_expired: 'plain',
  csrf_failed: 'plain',
  missing_admin_token: 'plain',
  resource_not_found: 'detail',
  resource_conflict: 'conflict',
  channel_file_managed: 'plain',
  invalid_request: 'detail',
  upstream_failed: 'detail',
  key_revoked: 'plain',
  model_not_found: 'detail',
  rate_limit_exceeded: 'wait',
  encryption_not_configured: 'plain',
} as const satisfies Record<string, Wording>;

type KnownCode = keyof typeof KNOWN_CODES;

function isKnown(code: string): code is KnownCode {
  return Object.hasOwn(KNOWN_CODES, code);
}

/** The server's message, led by the field it is about (`limits.rpm: …`) when it does not say so itself. */
function detailOf(err: CodedError): string {
  const { param, message } = err;
  if (err.code !== 'invalid_request' || !param || message.startsWith(`${param}:`)) return message;
  return `${param}: ${message}`;
}

/** The error in the panel's language for a known code, else null (the caller shows the server's message). */
export function knownErrorText(err: CodedError): string | null {
  if (!isKnown(err.code)) return null;
  const { t } = i18n.global;
  const code = err.code;
  switch (KNOWN_CODES[code]) {
    case 'plain':
      return t(`errors.code.${code}`);
    case 'detail':
      return t(`errors.code.${code}`, { detail: detailOf(err) });
    case 'conflict':
      // Most 409s are not about a name (keys still bound, an expired key, the default user…).
      return err.param === 'name'
        ? t('errors.nameTaken', { detail: detailOf(err) })
        : t(`errors.code.${code}`, { detail: detailOf(err) });
    case 'wait':
      return err.retryAfter !== null
        ? t(`errors.code.${code}`, { seconds: err.retryAfter })
        : t(`errors.later.${code}`, { detail: err.message });
  }
}
