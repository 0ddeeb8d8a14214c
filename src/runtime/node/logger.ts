import pino from 'pino';
import type { LogLevel } from '../../config/settings.js';

/** Structured JSON logs on stdout. Headers that carry secrets are redacted if ever logged. */
export function createLogger(level: LogLevel) {
  return pino({
    level,
    base: { service: 'switchboard' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'headers.authorization',
        'headers["x-api-key"]',
        '*.apiKey',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  });
}
