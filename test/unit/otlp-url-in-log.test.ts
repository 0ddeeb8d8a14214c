import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeTelemetry } from '../../src/runtime/node/node-telemetry.js';
import type { Logger } from '../../src/spec/logger.js';

/** A logger that keeps every line it is given, as the JSON a log shipper would see. */
function capturingLogger(lines: string[]): Logger {
  const log = (obj: unknown, msg?: string) => lines.push(JSON.stringify({ obj, msg }));
  return { debug: log, info: log, warn: log, error: log };
}

const SECRET_URL = 'https://tenant:s3cr3t-pass@collector.example:4318/v1/traces?api_key=k3y-value';

describe('the OTLP endpoint in the log', () => {
  afterEach(() => diag.disable());

  it('names the collector without the credentials its URL carries', async () => {
    const lines: string[] = [];
    const telemetry = await createNodeTelemetry(
      {
        metrics: { enabled: false, token: null, port: null, host: null, keyAllowlist: [], userAllowlist: [] },
        traces: { url: SECRET_URL, headers: {}, serviceName: 'switchboard' },
      },
      { version: '0.0.0-test', currency: 'USD' },
      capturingLogger(lines),
    );
    // The SDK's own report of a failed export quotes the URL it posted to.
    diag.error(`Export failed: connect ECONNREFUSED for ${SECRET_URL}`);
    await telemetry?.close();
    const log = lines.join('\n');
    expect(log).toContain('collector.example:4318/v1/traces');
    expect(log).toContain('ECONNREFUSED');
    expect(log).not.toContain('s3cr3t-pass');
    expect(log).not.toContain('k3y-value');
  });
});
