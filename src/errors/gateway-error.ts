import { ERROR_CODES, type ErrorCode } from './codes.js';

export interface ErrorEnvelope {
  error: {
    message: string;
    type: string;
    code: string;
    param: string | null;
    request_id?: string;
  };
}

/** The one error class of the gateway. Its code decides the status and the envelope's type. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { param?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toEnvelope(requestId?: string): ErrorEnvelope {
    return errorEnvelope(this.code, this.message, this.param, requestId);
  }
}

export function errorEnvelope(
  code: ErrorCode,
  message: string,
  param: string | null = null,
  requestId?: string,
): ErrorEnvelope {
  const error: ErrorEnvelope['error'] = { message, type: ERROR_CODES[code].type, code, param };
  if (requestId) error.request_id = requestId;
  return { error };
}

export function errorResponse(
  err: GatewayError,
  requestId: string,
  extraHeaders: HeadersInit = {},
): Response {
  const headers = new Headers(extraHeaders);
  headers.set('content-type', 'application/json');
  for (const [name, value] of Object.entries(err.headers)) headers.set(name, value);
  return new Response(JSON.stringify(err.toEnvelope(requestId)), { status: err.status, headers });
}
