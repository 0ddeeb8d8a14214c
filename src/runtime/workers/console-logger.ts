import type { LogLevel } from '../../config/settings.js';
import { redactForLog } from '../../http/redact-log.js';
import { redactQueryKeys } from '../../http/redact-url.js';
import type { Logger } from '../../spec/logger.js';

const LEVELS: Readonly<Record<LogLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: 100,
};

/**
 * One JSON line per entry on the console, which Workers Logs and `wrangler tail` collect
 * (pino needs Node streams). Same fields as pino's lines: level, time, msg. What the Node
 * logger redacts is redacted here too: secret headers and fields, and `?key=` API keys.
 */
export function createConsoleLogger(level: LogLevel): Logger {
  const threshold = LEVELS[level];
  const write = (name: 'debug' | 'info' | 'warn' | 'error') => (obj: object, msg?: string) => {
    if (LEVELS[name] < threshold) return;
    const fields = redactForLog(obj);
    const line = JSON.stringify({
      level: name,
      time: Date.now(),
      ...fields,
      ...(msg ? { msg: redactQueryKeys(msg) } : {}),
    });
    if (name === 'error') console.error(line);
    else if (name === 'warn') console.warn(line);
    else console.log(line);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
