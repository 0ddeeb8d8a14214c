import { redactQueryKeys } from './redact-url.js';

/**
 * Fields whose value is a secret wherever they appear in a log object: the headers that carry
 * client or upstream keys, and the `apiKey` / `secret` fields the Node logger's pino paths censor.
 */
const SECRET_FIELDS = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'apiKey', 'secret']);

const CENSOR = '[redacted]';
const MAX_DEPTH = 6;

/**
 * A copy of a log object that is safe to write where pino's redaction does not run (the Workers
 * console): secret fields censored at any depth, and every `?key=` value in a string redacted.
 * Values that are not plain objects, arrays or strings are kept as they are.
 */
export function redactForLog<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactQueryKeys(value) as T;
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactForLog(item, depth + 1)) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value as Record<string, unknown>))
    out[name] =
      SECRET_FIELDS.has(name) && item !== null && item !== undefined ? CENSOR : redactForLog(item, depth + 1);
  return out as T;
}
