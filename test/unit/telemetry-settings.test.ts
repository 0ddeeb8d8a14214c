import { describe, expect, it } from 'vitest';
import { ConfigError, resolveSettings } from '../../src/config/settings.js';

const settingsOf = (env: Record<string, string>, file: Record<string, unknown> = {}) =>
  resolveSettings({ env, file: { path: 'test.yaml', text: JSON.stringify(file) } }).telemetry;

describe('telemetry settings', () => {
  it('metrics are on with no token of their own and no separate port by default; traces are off', () => {
    expect(settingsOf({})).toEqual({
      metrics: { enabled: true, token: null, port: null, host: null, keyAllowlist: [], userAllowlist: [] },
      traces: null,
    });
  });

  it('the env wins over the file for the metrics token and port', () => {
    const metrics = settingsOf(
      { METRICS_TOKEN: 'from-the-environment-1', METRICS_PORT: '9464' },
      { metrics: { token: 'from-the-config-file-1', port: 9000, user_allowlist: ['team-a'] } },
    ).metrics;
    expect(metrics).toMatchObject({ token: 'from-the-environment-1', port: 9464, userAllowlist: ['team-a'] });
  });

  it('reads the OTLP endpoint, headers and service name the way the OTel SDK does', () => {
    expect(
      settingsOf({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-tenant=acme',
        OTEL_SERVICE_NAME: 'gateway-eu',
      }).traces,
    ).toEqual({
      url: 'http://collector:4318/v1/traces',
      headers: { authorization: 'Bearer abc', 'x-tenant': 'acme' },
      serviceName: 'gateway-eu',
    });
    expect(
      settingsOf({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      }).traces?.url,
    ).toBe('https://traces.example/otlp');
  });

  it('takes an empty OTEL_* variable as unset, as the OpenTelemetry SDKs must (a compose file may pass one)', () => {
    const empty = {
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
      OTEL_EXPORTER_OTLP_HEADERS: '',
      OTEL_SERVICE_NAME: '',
    };
    expect(settingsOf(empty).traces).toBeNull();
    expect(settingsOf({ ...empty, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).traces).toEqual({
      url: 'http://collector:4318/v1/traces',
      headers: {},
      serviceName: 'switchboard',
    });
  });

  it.each([
    [
      { OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' },
      'env: OTEL_EXPORTER_OTLP_HEADERS: use name=value pairs',
    ],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'a=%E0%A4%A' }, 'env: OTEL_EXPORTER_OTLP_HEADERS: the value of a is not'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'env: OTEL_EXPORTER_OTLP_ENDPOINT:'],
    [{ METRICS_TOKEN: 'short' }, 'env: METRICS_TOKEN: METRICS_TOKEN must be at least 16 characters'],
    [{ METRICS_PORT: 'ninety' }, 'env: METRICS_PORT:'],
  ])('refuses %o with a message naming it', (env, message) => {
    expect(() => settingsOf(env)).toThrow(ConfigError);
    expect(() => settingsOf(env)).toThrow(message);
  });

  it('refuses an unknown metrics setting in the file', () => {
    expect(() => settingsOf({}, { metrics: { tokn: 'x' } })).toThrow(/metrics/);
  });
});
