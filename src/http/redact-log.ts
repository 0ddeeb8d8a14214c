import { redactQueryKeysDeep } from './redact-url.js';

/**
 * Fields whose value is a secret wherever they appear in a log object: the headers that carry
 * client or upstream keys (Azure's is `api-key`), the admin panel's session cookie and CSRF
 * token, a proxy's credentials, and `apiKey` / `secret` fields. Both runtimes' loggers use it.
 */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'x-goog-api-key',
  'api-key',
  'cookie',
  'set-cookie',
  'x-csrf-token',
  'apiKey',
  'secret',
]);

/**
 * A copy of a log object that is safe to write (the Workers console; pino's lines on Node):
 * secret fields censored at any depth, and every `?key=` value in a string redacted.
 * Values that are not plain objects, arrays or strings are kept as they are.
 */
export function redactForLog<T>(value: T): T {
  return redactQueryKeysDeep(value, SECRET_FIELDS);
}
