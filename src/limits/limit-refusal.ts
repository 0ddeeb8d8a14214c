import type { ErrorCode } from '../errors/codes.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { LimitKind } from '../telemetry/telemetry.js';

/** A 429 from a key's or user's own limit, naming which limit refused (for metrics). */
export class LimitRefusal extends GatewayError {
  readonly limit: LimitKind;

  constructor(limit: LimitKind, code: ErrorCode, message: string, headers: Record<string, string>) {
    super(code, message, { headers });
    this.limit = limit;
  }
}
