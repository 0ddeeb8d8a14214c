import { redactQueryKeysDeep } from './redact-url.js';

/**
 * Fields whose value is a secret wherever they appear in a log object: the headers that carry
 * client or upstream keys, and the `apiKey` / `secret` fields the Node logger's pino paths censor.
 */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'authorization',
  'x-api-key',
  'x-goog-api-key',
  'apiKey',
  'secret',
]);

/**
 * A copy of a log object that is safe to write where pino's redaction does not run (the Workers
 * console): secret fields censored at any depth, and every `?key=` value in a string redacted.
 * Values that are not plain objects, arrays or strings are kept as they are.
 */
export function redactForLog<T>(value: T): T {
  return redactQueryKeysDeep(value, SECRET_FIELDS);
}
