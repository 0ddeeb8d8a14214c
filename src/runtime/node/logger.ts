import pino, { type DestinationStream } from 'pino';
import type { LogLevel } from '../../config/settings.js';
import { redactForLog } from '../../http/redact-log.js';
import { redactQueryKeys } from '../../http/redact-url.js';

/**
 * Structured JSON logs on stdout (or `destination`). Headers and fields that carry secrets are
 * redacted if ever logged, at any depth and whatever object holds them (src/http/redact-log.ts,
 * the same list the Workers logger uses), and so is a `?key=` API key (Gemini clients may send
 * one) in any logged URL or message. pino's own paths below are kept as a second line.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream) {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'switchboard' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers["x-goog-api-key"]',
        'headers.authorization',
        'headers["x-api-key"]',
        'headers["x-goog-api-key"]',
        '*.apiKey',
        '*.secret',
      ],
      censor: '[redacted]',
    },
    formatters: { log: (object) => redactForLog(object) },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg: unknown) => (typeof arg === 'string' ? redactQueryKeys(arg) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
