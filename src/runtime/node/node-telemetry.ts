import { DiagLogLevel, diag } from '@opentelemetry/api';
import type { TelemetrySettings } from '../../config/telemetry-schema.js';
import type { Logger } from '../../spec/logger.js';
import { combineTelemetry } from '../../telemetry/combine.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { createPromMetrics } from './prom-metrics.js';

/** A collector that does not answer may hold a shutdown this long, no longer. */
const CLOSE_LIMIT_MS = 5_000;
/** A collector that is down fails every batch: say so at most this often. */
const REPORT_EVERY_MS = 60_000;

/**
 * Metrics when `metrics.enabled`, traces when an OTLP endpoint is set; null when neither. The
 * OpenTelemetry SDK is loaded only for traces: importing it costs about 0.2 s of start-up.
 */
export async function createNodeTelemetry(
  settings: TelemetrySettings,
  version: string,
  logger: Logger,
): Promise<Telemetry | null> {
  const parts: Telemetry[] = [];
  if (settings.metrics.enabled) parts.push(createPromMetrics(logger));
  if (settings.traces) {
    const { createOtelTraces } = await import('./otel-traces.js');
    parts.push(createOtelTraces({ ...settings.traces, version }));
    reportExportFailures(logger);
    // The URL only: the headers may carry the collector's credentials.
    logger.info({ url: settings.traces.url }, 'tracing: exporting spans over OTLP/HTTP');
  }
  if (parts.length === 0) return null;
  const telemetry = combineTelemetry(parts);
  return {
    ...telemetry,
    async close() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const limit = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), CLOSE_LIMIT_MS);
        timer.unref();
      });
      try {
        const outcome = await Promise.race([telemetry.close().then(() => 'done' as const), limit]);
        if (outcome === 'late')
          logger.warn({ limitMs: CLOSE_LIMIT_MS }, 'tracing: spans not exported at shutdown');
      } catch (err) {
        logger.warn({ err: String(err) }, 'tracing: exporting the last spans failed');
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The SDK reports failed exports through OpenTelemetry's global diagnostic logger, silent by
 * default: route its warnings and errors to the log, at most one line a minute.
 */
function reportExportFailures(logger: Logger): void {
  let last = Number.NEGATIVE_INFINITY;
  const report = (message: string) => {
    const now = Date.now();
    if (now - last < REPORT_EVERY_MS) return;
    last = now;
    logger.warn({ detail: message }, 'tracing: the OpenTelemetry SDK reported a problem (spans may be lost)');
  };
  const ignore = () => {};
  diag.setLogger(
    { error: report, warn: report, info: ignore, debug: ignore, verbose: ignore },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}
