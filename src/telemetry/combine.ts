import type { AttemptTrace, RequestTelemetry, Telemetry } from './telemetry.js';

/**
 * Metrics and traces as one port: every request and attempt call reaches both. The exposition
 * is the first part's that has one.
 */
export function combineTelemetry(parts: readonly Telemetry[]): Telemetry {
  const exposition = parts.find((p) => p.exposition)?.exposition ?? null;
  return {
    request(start) {
      const requests = parts.map((p) => p.request(start));
      const combined: RequestTelemetry = {
        attempt(attempt) {
          const traces = requests.map((r) => r.attempt(attempt));
          const trace: AttemptTrace = {
            headers: Object.assign({}, ...traces.map((t) => t.headers)),
            failed: (status, reason) => {
              for (const t of traces) t.failed(status, reason);
            },
            abandoned: () => {
              for (const t of traces) t.abandoned();
            },
            committed: (status) => {
              for (const t of traces) t.committed(status);
            },
          };
          return trace;
        },
        refused(kind) {
          for (const r of requests) r.refused(kind);
        },
        end(record, observed) {
          for (const r of requests) r.end(record, observed);
        },
      };
      return combined;
    },
    exposition,
    watch(sources) {
      for (const p of parts) p.watch(sources);
    },
    async close() {
      await Promise.all(parts.map((p) => p.close()));
    },
  };
}
