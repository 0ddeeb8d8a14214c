import { DiagLogLevel, diag } from '@opentelemetry/api';
import { withUrlForLog } from '../../http/redact-url.js';
import type { Logger } from '../../spec/logger.js';

/** A collector that is down fails every batch: say so at most this often. */
const REPORT_EVERY_MS = 60_000;

/**
 * The SDK reports failed exports through OpenTelemetry's global diagnostic logger, silent by
 * default: route its warnings and errors to the log, at most one line a minute. The endpoint's
 * URL, when a report quotes it, loses its credentials (urlForLog in src/http/redact-url.ts).
 */
export function reportExportFailures(logger: Logger, endpoint: string): void {
  let last = Number.NEGATIVE_INFINITY;
  const report = (message: string) => {
    const now = Date.now();
    if (now - last < REPORT_EVERY_MS) return;
    last = now;
    logger.warn(
      { detail: withUrlForLog(message, endpoint) },
      'tracing: the OpenTelemetry SDK reported a problem (spans may be lost)',
    );
  };
  const ignore = () => {};
  diag.setLogger(
    { error: report, warn: report, info: ignore, debug: ignore, verbose: ignore },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}
