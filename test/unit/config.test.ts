import { describe, expect, it } from 'vitest';
import { ConfigError, resolveSettings } from '../../src/config/settings.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { buildChannels } from '../../src/router/build-channels.js';

const load = (text: string, env: Record<string, string | undefined> = {}) =>
  resolveSettings({ env, file: { path: 'switchboard.yaml', text } });

/** The ConfigError a call throws (fails the test if it throws anything else, or nothing). */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const providers = createProviderRegistry({ name: 'test' });
const channelsOf = (text: string, env: Record<string, string> = {}) =>
  buildChannels(load(text, env).channels, providers);

describe('settings', () => {
  it('has working defaults with no env and no file', () => {
    const settings = resolveSettings({ env: {} });
    expect(settings.port).toBe(8080);
    expect(settings.databaseUrl).toMatch(/^sqlite:/);
    expect(settings.corsOrigins).toEqual(['*']);
    expect(settings.bodyLimitBytes).toBeGreaterThanOrEqual(1024 * 1024);
    expect(settings.channels).toEqual([]);
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('lets env override the file', () => {
    const settings = load(
      'server: { port: 9000, body_limit: 1mb, response_limit: 8mb }\ndatabase_url: sqlite:./x.db',
      {
        PORT: '7000',
        BODY_LIMIT: '512kb',
        RESPONSE_LIMIT: '16mb',
        CORS_ORIGINS: 'https://a.example, https://b.example',
      },
    );
    expect(settings.port).toBe(7000);
    expect(settings.bodyLimitBytes).toBe(512 * 1024);
    expect(settings.responseLimitBytes).toBe(16 * 1024 * 1024);
    expect(load('server: { response_limit: 8mb }').responseLimitBytes).toBe(8 * 1024 * 1024);
    expect(load('').responseLimitBytes).toBe(256 * 1024 * 1024);
    expect(settings.databaseUrl).toBe('sqlite:./x.db');
    expect(settings.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('shares the response cache through Redis when REDIS_URL is set, unless the file says otherwise', () => {
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(load('cache: { enabled: true }').accounting.cache.backend).toBe('memory');
    expect(load('cache: { enabled: true }', redis).accounting.cache.backend).toBe('redis');
    expect(load('cache: { backend: memory }', redis).accounting.cache.backend).toBe('memory');
    expect(load('cache: { backend: sqlite }', redis).accounting.cache.backend).toBe('sqlite');
    expect(configError(() => load('cache: { backend: redis }')).message).toContain('cache.backend');
  });

  it('refuses the placeholder secrets of deploy/.env.example, so an unedited copy does not run', () => {
    for (const name of ['ADMIN_TOKEN', 'SWITCHBOARD_SECRET_KEY']) {
      const message = configError(() =>
        resolveSettings({ env: { [name]: 'change-me-to-32-random-characters' } }),
      ).message;
      expect(message).toContain(name);
      expect(message).toContain('placeholder');
      // A real secret that merely contains the words is fine.
      expect(() => resolveSettings({ env: { [name]: 'k3y-change-me-not-a-prefix-0123' } })).not.toThrow();
    }
  });

  it('refuses a limits budget too small to count (under a millionth), which would refuse every request', () => {
    for (const where of ['keys', 'users', 'per_user: { team-a']) {
      const close = where.startsWith('per_user') ? ' }' : '';
      const message = configError(() =>
        load(`limits: { ${where}: { budget: 0.0000000001 }${close} }`),
      ).message;
      expect(message).toContain('budget');
      expect(message).toContain('0.000001');
    }
    expect(
      load('limits: { keys: { budget: 0 }, users: { budget: 0.000001 } }').accounting.limits.keys.budget,
    ).toBe(0);
  });

  it('names the field of a bad env value', () => {
    expect(configError(() => resolveSettings({ env: { PORT: 'eighty' } })).message).toContain('PORT');
    expect(configError(() => resolveSettings({ env: { BODY_LIMIT: 'lots' } })).message).toContain(
      'BODY_LIMIT',
    );
    expect(configError(() => resolveSettings({ env: { RESPONSE_LIMIT: 'lots' } })).message).toContain(
      'RESPONSE_LIMIT',
    );
    expect(configError(() => resolveSettings({ env: { LOG_LEVEL: 'loud' } })).message).toContain('LOG_LEVEL');
  });

  it('refuses an empty or non-decimal number in env instead of reading it as 0 (a random port)', () => {
    for (const name of [
      'PORT',
      'METRICS_PORT',
      'DATABASE_POOL_SIZE',
      'DATABASE_CONNECT_TIMEOUT_MS',
      'DATABASE_QUERY_TIMEOUT_MS',
      'REDIS_COMMAND_TIMEOUT_MS',
    ]) {
      for (const value of ['', '  ', '0x50', '1e3']) {
        const message = configError(() => resolveSettings({ env: { [name]: value } })).message;
        expect(message, `${name}=${JSON.stringify(value)}`).toMatch(new RegExp(`^env: ${name}: `));
      }
    }
    expect(configError(() => resolveSettings({ env: { PORT: '' } })).message).toContain('empty');
    // Decimal digits, with blanks around them, still read as before.
    const settings = resolveSettings({ env: { PORT: ' 9000 ', METRICS_PORT: '0' } });
    expect(settings.port).toBe(9000);
    expect(settings.telemetry.metrics.port).toBe(0);
  });

  it('refuses a metrics port with metrics turned off, naming both settings', () => {
    const fromFile = configError(() => load('metrics: { enabled: false, port: 9464 }')).message;
    expect(fromFile).toContain('metrics.port');
    expect(fromFile).toContain('metrics.enabled: false');
    const fromEnv = configError(() => load('metrics: { enabled: false }', { METRICS_PORT: '9464' })).message;
    expect(fromEnv).toContain('METRICS_PORT');
    expect(fromEnv).toContain('metrics.enabled: false');
    // Either alone is fine.
    expect(load('metrics: { enabled: false }').telemetry.metrics.enabled).toBe(false);
    expect(load('metrics: { port: 9464 }').telemetry.metrics.port).toBe(9464);
  });

  it('refuses a metrics token or host with metrics turned off, naming the setting but not the token', () => {
    const token = 'scrape-token-0123456789';
    for (const [text, env, field] of [
      [`metrics: { enabled: false, token: ${token} }`, {}, 'metrics.token'],
      ['metrics: { enabled: false }', { METRICS_TOKEN: token }, 'METRICS_TOKEN'],
      ['metrics: { enabled: false, host: 127.0.0.1 }', {}, 'metrics.host'],
    ] as const) {
      const message = configError(() => load(text, env)).message;
      expect(message, field).toContain(field);
      expect(message, field).toContain('metrics.enabled: false');
      expect(message, field).not.toContain(token);
    }
    const both = configError(() => load('metrics: { enabled: false, port: 9464, host: 10.0.0.5 }')).message;
    expect(both).toContain('metrics.port');
    expect(both).toContain('metrics.host');
    // With metrics on, each is taken.
    const on = load(`metrics: { token: ${token}, host: 127.0.0.1, port: 9464 }`).telemetry.metrics;
    expect([on.token, on.host]).toEqual([token, '127.0.0.1']);
  });

  it('refuses a size of 0 bytes, which would refuse every request body or upstream answer', () => {
    for (const [env, field] of [
      [{ BODY_LIMIT: '0' }, 'BODY_LIMIT'],
      [{ BODY_LIMIT: '0kb' }, 'BODY_LIMIT'],
      [{ RESPONSE_LIMIT: '0.4b' }, 'RESPONSE_LIMIT'],
    ] as const) {
      expect(configError(() => resolveSettings({ env })).message).toMatch(new RegExp(`^${field}: `));
    }
    // The file refused `body_limit: 0` already; the string forms say the same now.
    expect(configError(() => load('server: { body_limit: "0mb" }')).message).toMatch(/^server\.body_limit: /);
    expect(resolveSettings({ env: { BODY_LIMIT: '1.5kb' } }).bodyLimitBytes).toBe(1536);
  });

  it('names the field of a bad config file value', () => {
    const cases: [string, string][] = [
      ['server: { port: 70000 }', 'server.port'],
      ['server: { colour: blue }', 'server'],
      ['channels: [{ name: "a b", provider: openai }]', 'channels.0.name'],
      ['channels: [{ name: a, provider: openai, base_url: "not a url" }]', 'channels.0.base_url'],
      [
        'channels: [{ name: a, provider: openai, key: k }, { name: b, provider: openai, weight: -1 }]',
        'channels.1.weight',
      ],
      ['channels: [{ name: a, provider: openai, timeout: { total_ms: 0 } }]', 'channels.0.timeout.total_ms'],
      ['channels: [{ name: a, provider: openai, keyz: [k] }]', 'channels.0'],
      ['server:\n  body_limit: huge', 'server.body_limit'],
      ['server:\n  response_limit: huge', 'server.response_limit'],
    ];
    for (const [text, field] of cases) {
      const error = configError(() => load(text));
      expect(error.message, text).toContain(field);
    }
    expect(configError(() => load('server: { port: -1 }')).message).toMatch(
      /^switchboard\.yaml: server\.port/,
    );
  });

  it('sizes the Postgres pool from DATABASE_POOL_SIZE over database.pool_size, 10 by default', () => {
    expect(resolveSettings({ env: {} }).database).toEqual({
      poolSize: 10,
      connectTimeoutMs: 5_000,
      queryTimeoutMs: 30_000,
      migrate: true,
    });
    const file = 'database:\n  pool_size: 4\n  migrate: false\n';
    expect(load(file).database).toEqual({
      poolSize: 4,
      connectTimeoutMs: 5_000,
      queryTimeoutMs: 30_000,
      migrate: false,
    });
    expect(load(file, { DATABASE_POOL_SIZE: '25' }).database.poolSize).toBe(25);
    expect(configError(() => load('', { DATABASE_POOL_SIZE: '0' })).message).toContain('DATABASE_POOL_SIZE');
    expect(configError(() => load('database:\n  pool: 3\n')).message).toContain('database');
  });

  it('bounds the wait for a Postgres connection by DATABASE_CONNECT_TIMEOUT_MS over database.connect_timeout_ms', () => {
    const file = 'database:\n  connect_timeout_ms: 2000\n';
    expect(load(file).database.connectTimeoutMs).toBe(2_000);
    expect(load(file, { DATABASE_CONNECT_TIMEOUT_MS: '750' }).database.connectTimeoutMs).toBe(750);
    expect(configError(() => load('', { DATABASE_CONNECT_TIMEOUT_MS: '50' })).message).toContain(
      'DATABASE_CONNECT_TIMEOUT_MS',
    );
    expect(configError(() => load('database:\n  connect_timeout_ms: -1\n')).message).toContain(
      'connect_timeout_ms',
    );
  });

  it('bounds a Postgres query by DATABASE_QUERY_TIMEOUT_MS over database.query_timeout_ms, 30 s by default', () => {
    const file = 'database:\n  query_timeout_ms: 60000\n';
    expect(load(file).database.queryTimeoutMs).toBe(60_000);
    expect(load(file, { DATABASE_QUERY_TIMEOUT_MS: '5000' }).database.queryTimeoutMs).toBe(5_000);
    expect(configError(() => load('', { DATABASE_QUERY_TIMEOUT_MS: '0' })).message).toContain(
      'DATABASE_QUERY_TIMEOUT_MS',
    );
    expect(configError(() => load('database:\n  query_timeout_ms: 10\n')).message).toContain(
      'query_timeout_ms',
    );
  });

  it('places the usage journal file from USAGE_BUFFER_FILE over usage.buffer.file', () => {
    const buffer = (settings: ReturnType<typeof load>) => settings.accounting.usage.buffer;
    expect(buffer(resolveSettings({ env: {} })).file).toBe('usage-journal.jsonl');
    const file = 'usage:\n  buffer:\n    file: /var/lib/switchboard/usage.jsonl\n    max_records: 10\n';
    expect(buffer(load(file)).file).toBe('/var/lib/switchboard/usage.jsonl');
    // The variable moves the file only; the rest of the section stays as the file says.
    expect(buffer(load(file, { USAGE_BUFFER_FILE: '/data/usage-journal.jsonl' }))).toMatchObject({
      file: '/data/usage-journal.jsonl',
      max_records: 10,
    });
  });

  it('reports YAML that does not parse', () => {
    expect(configError(() => load('channels: [ {')).message).toMatch(/switchboard\.yaml.*YAML/);
  });

  it('reports where the YAML breaks on one line, without quoting the file (it holds secrets)', () => {
    const text = [
      'database_url: postgres://sb:hunter2-db-password@db:5432/sb',
      'channels:',
      '  - name: a',
      '    provider: openai',
      '    keys: [sk-live-upstream-secret',
      '    models: [gpt-4o]',
    ].join('\n');
    const error = configError(() => load(text));
    expect(error.message).toMatch(/^switchboard\.yaml: not valid YAML: .+ at line 6, column 5$/);
    expect(error.message).not.toContain('sk-live-upstream-secret');
    expect(error.message).not.toContain('hunter2');
  });

  it('merges YAML merge keys (<<: *anchor), as in docker-compose files, instead of refusing "<<"', () => {
    const text = [
      'channels:',
      '  - &base',
      '    name: a',
      '    provider: openai',
      '    key: k',
      '    timeout: { first_byte_ms: 30000 }',
      '  - <<: *base',
      '    name: b',
      '    priority: 1',
    ].join('\n');
    const [, b] = load(text).channels;
    expect(b).toMatchObject({ name: 'b', provider: 'openai', key: 'k', priority: 1 });
    expect(b?.timeout.first_byte_ms).toBe(30_000);
  });

  it('refuses an app name or url that cannot be sent as the OpenRouter X-Title / HTTP-Referer header', () => {
    // fetch throws on these at every OpenRouter request; channel headers are checked the same way.
    for (const [text, field] of [
      ['app: { name: "交换机" }', 'app.name'],
      ['app: { name: "Switchboard – prod" }', 'app.name'],
      ['app: { name: "a\\nb" }', 'app.name'],
      ['app: { url: "https://example.com/\\r\\nX: y" }', 'app.url'],
    ]) {
      expect(configError(() => load(text as string)).message, text).toContain(field);
    }
    expect(load('app: { name: "Café gateway", url: https://example.com }').app).toEqual({
      name: 'Café gateway',
      url: 'https://example.com',
    });
  });

  it('refuses a time longer than a Node timer can wait, which Node would cut to 1 ms', () => {
    // setTimeout takes at most 2^31-1 ms; past that it fires at once (every request timing out).
    const tooLong = 2 ** 31;
    for (const [text, field] of [
      [
        `channels: [{ name: a, provider: mock, timeout: { first_byte_ms: ${tooLong} } }]`,
        'channels.0.timeout.first_byte_ms',
      ],
      [
        `channels: [{ name: a, provider: mock, timeout: { idle_ms: ${tooLong} } }]`,
        'channels.0.timeout.idle_ms',
      ],
      [`routing: { deadline_ms: ${tooLong} }`, 'routing.deadline_ms'],
      [`server: { drain_ms: ${tooLong} }`, 'server.drain_ms'],
    ]) {
      expect(configError(() => load(text as string)).message, text).toContain(field);
    }
    const longest = load(`channels: [{ name: a, provider: mock, timeout: { total_ms: ${tooLong - 1} } }]`);
    expect(longest.channels[0]?.timeout.total_ms).toBe(tooLong - 1);
  });

  it('refuses a first wait longer than its ceiling, which the ceiling would silently cut', () => {
    // A 10-minute breaker cooldown under the default 5-minute ceiling would open for 5 minutes.
    for (const [text, field] of [
      ['routing: { breaker: { cooldown_ms: 600000 } }', 'routing.breaker.max_cooldown_ms'],
      ['routing: { key_retry_ms: 7200000 }', 'routing.key_retry_max_ms'],
      ['routing: { backoff: { base_ms: 10000 } }', 'routing.backoff.max_ms'],
    ]) {
      const message = configError(() => load(text as string)).message;
      expect(message, text).toContain(field);
      expect(message, text).toMatch(/is below/);
    }
    const raised = load('routing: { breaker: { cooldown_ms: 600000, max_cooldown_ms: 600000 } }');
    expect(raised.routing.breaker.cooldown_ms).toBe(600_000);
  });

  it("refuses a __proto__ key as the unknown key it is, instead of taking its fields as the section's own", () => {
    // Written as a plain property, `__proto__` made its object the section's prototype: the port
    // below was read as server.port, past the unknown-key check.
    const error = configError(() => load('server:\n  __proto__:\n    port: 1\n'));
    expect(error.message).toContain('server');
    expect(error.message).toContain('__proto__');
  });

  it('refuses duplicate channel names, naming the second one', () => {
    const error = configError(() =>
      load(
        'channels:\n  - { name: dup, provider: openai, key: a }\n  - { name: dup, provider: deepseek, key: b }',
      ),
    );
    expect(error.message).toContain('channels.1.name');
    expect(error.message).toContain('dup');
  });

  it('refuses a model name longer than 256 characters where it becomes the served model (usage records and rollups keep it)', () => {
    const long = 'm'.repeat(257);
    const aliased = configError(() => load(`model_aliases: { short: ${long} }`));
    expect(aliased.message).toContain('model_aliases.short');
    const mapped = configError(() =>
      load(`channels:\n  - { name: c, provider: openai, key: a, model_map: { short: ${long} } }`),
    );
    expect(mapped.message).toContain('channels.0.model_map.short');
    // 256 is still a model name.
    expect(load(`model_aliases: { short: ${'m'.repeat(256)} }`).modelAliases.short).toHaveLength(256);
  });
});

// The config syntax is `${NAME}`; built with a helper so no string looks like a forgotten template.
const ref = (inner: string) => `\${${inner}}`;

describe('environment interpolation in the config file', () => {
  const text = [
    'channels:',
    '  - name: a',
    '    provider: openai',
    `    keys: ["${ref('OPENAI_KEY')}", "pre-${ref('SECOND:-fallback')}-post"]`,
    `    base_url: "${ref('BASE:-http://127.0.0.1:9/v1')}"`,
  ].join('\n');

  it('replaces NAME references and NAME:-default references', () => {
    const [channel] = load(text, { OPENAI_KEY: 'sk-from-env' }).channels;
    expect(channel?.keys).toEqual(['sk-from-env', 'pre-fallback-post']);
    expect(channel?.base_url).toBe('http://127.0.0.1:9/v1');
  });

  it('prefers a set variable to the default', () => {
    const [channel] = load(text, { OPENAI_KEY: 'k', SECOND: 'two', BASE: 'http://10.0.0.1/v1' }).channels;
    expect(channel?.keys).toEqual(['k', 'pre-two-post']);
    expect(channel?.base_url).toBe('http://10.0.0.1/v1');
  });

  it('stops on a malformed reference instead of sending it upstream as the literal key', () => {
    for (const written of [
      ref('OPENAI-KEY'),
      ref(' OPENAI_KEY '),
      ref('openai.key'),
      `${ref('OPENAI_KEY')}-${ref(`SECOND:-${ref('THIRD')}`)}`,
      `\${OPENAI_KEY`,
    ]) {
      const error = configError(() =>
        load(`channels:\n  - { name: a, provider: openai, keys: ["${written}"] }`, {
          OPENAI_KEY: 'sk-from-env',
          'OPENAI-KEY': 'x',
          THIRD: 'three',
        }),
      );
      expect(error.message, written).toContain('channels[0].keys[0]');
      expect(error.message, written).not.toContain('sk-from-env');
    }
  });

  it('stops on an unset variable without a default, naming the path and the variable', () => {
    const error = configError(() => load(text));
    expect(error.message).toContain('channels[0].keys[0]');
    expect(error.message).toContain('OPENAI_KEY');
  });
});

describe('channels against providers', () => {
  it('refuses an unknown provider, naming the field and the known ones', () => {
    const error = configError(() => channelsOf('channels: [{ name: a, provider: nosuch, key: k }]'));
    expect(error.message).toContain('channels.0.provider');
    expect(error.message).toContain('nosuch');
    expect(error.message).toContain('deepseek');
  });

  it('refuses a provider that needs a key when none is given', () => {
    const error = configError(() => channelsOf('channels: [{ name: ds, provider: deepseek }]'));
    expect(error.message).toContain('channels.0.keys');
  });

  it('refuses an upstream key a header cannot carry, naming the field and never the key', () => {
    // A Kubernetes secret made from a file keeps its trailing newline; every request would fail
    // with "fetch failed (UND_ERR_INVALID_ARG)" instead.
    const newline = configError(() =>
      channelsOf(`channels: [{ name: ds, provider: deepseek, keys: ["${ref('DS_KEY')}"] }]`, {
        DS_KEY: 'sk-secret-from-a-file\n',
      }),
    );
    expect(newline.message).toContain('channels.0.keys.0');
    expect(newline.message).toContain('line break');
    expect(newline.message).not.toContain('sk-secret');
    const pasted = configError(() =>
      channelsOf('channels: [{ name: ds, provider: deepseek, key: ok-key, keys: [b, "Bearer sk-x"] }]'),
    );
    expect(pasted.message).toContain('channels.0.keys.1');
    expect(pasted.message).toContain('space');
  });

  it('requires base_url for a generic openai-compatible channel', () => {
    const error = configError(() => channelsOf('channels: [{ name: x, provider: openai-compatible }]'));
    expect(error.message).toContain('channels.0.base_url');
  });

  it('fills preset base URLs and merges key and keys; local servers need no key', () => {
    const [ds, local] = channelsOf(
      'channels:\n  - { name: ds, provider: deepseek, key: a, keys: [b, c] }\n  - { name: box, provider: ollama }',
    );
    expect(ds?.baseUrl).toMatch(/^https:\/\/api\.deepseek\.com/);
    expect(ds?.keys).toEqual(['a', 'b', 'c']);
    expect(local?.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:11434/);
    expect(local?.keys).toEqual(['']);
  });
});
