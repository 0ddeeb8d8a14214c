import type { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * The first zod issue as a 400 `invalid_request` whose `param` names the field at fault. An
 * unknown key is reported on the object that holds it (an empty path for a top-level field), so
 * the key itself is appended: `limits.rps`, not `limits` or nothing.
 */
export function invalidRequest(error: z.ZodError, fallback = 'invalid'): GatewayError {
  const issue = error.issues[0];
  const path = issue?.path.map(String) ?? [];
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const param = (unknownKey === undefined ? path : [...path, unknownKey]).join('.') || null;
  const others = issue?.code === 'unrecognized_keys' ? issue.keys.slice(1) : [];
  const message =
    unknownKey === undefined
      ? (issue?.message ?? fallback)
      : `unknown field${others.length > 0 ? ` (so are ${others.join(', ')})` : ''}`;
  return new GatewayError(
    'invalid_request',
    param ? `${param}: ${message}` : message,
    param ? { param } : {},
  );
}

/** Parses `value` with `schema`, or throws the `invalid_request` above. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidRequest(result.error);
}
