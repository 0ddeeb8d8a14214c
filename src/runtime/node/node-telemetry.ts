import type { TelemetrySettings } from '../../config/telemetry-schema.js';
import { urlForLog } from '../../http/redact-url.js';
import type { Logger } from '../../spec/logger.js';
import { combineTelemetry } from '../../telemetry/combine.js';
import type { Telemetry } from '../../telemetry/telemetry.js';

/** A collector that does not answer may hold a shutdown this long, no longer. */
const CLOSE_LIMIT_MS = 5_000;

/** What the telemetry says of the deployment: its version (traces) and its currency (metrics' cost). */
export interface TelemetryDeployment {
  readonly version: string;
  /** settings.accounting.currency: the `currency` label of switchboard_cost_total. */
  readonly currency: string;
}

/**
 * Metrics when `metrics.enabled`, traces when an OTLP endpoint is set; null when neither. The
 * OpenTelemetry SDK and API are loaded only for traces: importing them costs about 0.2 s of
 * start-up and their code stays in memory.
 */
export async function createNodeTelemetry(
  settings: TelemetrySettings,
  deployment: TelemetryDeployment,
  logger: Logger,
): Promise<Telemetry | null> {
  const parts: Telemetry[] = [];
  if (settings.metrics.enabled) {
    // prom-client (which loads the OpenTelemetry API itself) only when metrics are on.
    const { createPromMetrics } = await import('./prom-metrics.js');
    parts.push(createPromMetrics(logger, deployment.currency));
  }
  if (settings.traces) {
    const [{ createOtelTraces }, { reportExportFailures }] = await Promise.all([
      import('./otel-traces.js'),
      import('./otel-diagnostics.js'),
    ]);
    parts.push(createOtelTraces({ ...settings.traces, version: deployment.version }));
    reportExportFailures(logger, settings.traces.url);
    // Neither the headers nor the URL's user, password or query: they may carry credentials.
    logger.info(
      { url: urlForLog(settings.traces.url) ?? '[unparsable URL]' },
      'tracing: exporting spans over OTLP/HTTP',
    );
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
