import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { runCli, spawnCli } from '../support/cli-process.js';
import { waitFor } from '../support/http.js';

/**
 * Known canary values for every kind of secret, pushed through every path a request or an
 * operator can take, against the real gateway process (run from the current source). Afterwards
 * no canary may appear, in full, anywhere the gateway writes: its output, every response body and
 * header, the request log and its exports, the stats pages, and the database files as bytes.
 * Masked forms (`sk-…wxyz`) are fine.
 */
const UPSTREAM_KEY = 'sk-proj-CanaryUpstreamKey0123456789abcdef';
const API_CHANNEL_KEY = 'sk-ant-api03-CanaryApiChannelKey0123456789';
const BYOK_KEY = 'sk-CanaryByokKey0123456789abcdefghij';
const ADMIN_TOKEN = 'canary-admin-token-0123456789abcdef';

interface Seen {
  readonly what: string;
  readonly text: string;
}

let fake: FakeUpstream;
let dir: string;
let child: ChildProcess | null = null;
let url = '';
/** Client keys the gateway issued during the run; canaries from the moment they are known. */
const clientKeys: string[] = [];
/** Every response the gateway gave: status line, headers and body. */
const responses: Seen[] = [];
let cliOutput = '';

const canaries = () => [UPSTREAM_KEY, API_CHANNEL_KEY, BYOK_KEY, ADMIN_TOKEN, ...clientKeys];

function expectNoCanary(what: string, text: string | Buffer): void {
  for (const canary of canaries()) {
    if (text.includes(canary)) throw new Error(`${what} contains the canary ${canary.slice(0, 12)}…`);
  }
}

const files = () => ({
  stdout: join(dir, 'stdout.log'),
  stderr: join(dir, 'stderr.log'),
  db: join(dir, 'canary.db'),
});

/** Calls the gateway and keeps what it answered; `reveals` marks the one answer allowed to show a new key. */
async function call(
  method: string,
  path: string,
  options: { body?: unknown; key?: string; headers?: Record<string, string>; reveals?: boolean } = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      'content-type': 'application/json',
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  if (!options.reveals)
    responses.push({ what: `${method} ${path} → ${res.status}`, text: `${headers}\n\n${text}` });
  return { status: res.status, text };
}

const admin = (method: string, path: string, body?: unknown, reveals = false) =>
  call(method, path, { key: ADMIN_TOKEN, ...(body === undefined ? {} : { body }), reveals });

const chatBody = (model: string, stream = false) => ({
  model,
  max_tokens: 16,
  messages: [{ role: 'user', content: 'hi' }],
  stream,
});

/** What a careless upstream says: every key it could have seen, quoted back. */
const echo = () =>
  `Incorrect API key provided: ${UPSTREAM_KEY}; also ${API_CHANNEL_KEY}, ${BYOK_KEY}, Bearer ${clientKeys.join(' ')}`;
const openAiError = () => ({
  error: { message: echo(), type: 'invalid_request_error', code: 'invalid_api_key' },
});

async function startGateway(): Promise<void> {
  const { stdout, stderr, db } = files();
  const out = openSync(stdout, 'a');
  const err = openSync(stderr, 'a');
  child = spawnCli(['serve'], dir, {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${db}`,
    CONFIG: join(dir, 'switchboard.yaml'),
    ADMIN_TOKEN,
    CANARY_UPSTREAM_KEY: UPSTREAM_KEY,
    // Everything the gateway can say: usage records are logged at debug level.
    LOG_LEVEL: 'trace',
  });
  // Both streams straight into files, as a service manager would keep them.
  child.stdout?.on('data', (c: Buffer) => writeFileSync(out, c));
  child.stderr?.on('data', (c: Buffer) => writeFileSync(err, c));
  child.on('exit', () => {
    closeSync(out);
    closeSync(err);
  });
  const line = await waitFor(
    () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(readFileSync(stdout, 'utf8'))?.[1],
    'the gateway to listen',
    30_000,
  );
  url = line;
}

async function stopGateway(): Promise<void> {
  const running = child;
  if (!running || running.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    running.on('exit', () => resolve());
    running.kill('SIGTERM');
  });
}

async function pushEverythingThrough(): Promise<void> {
  // Admin API: create, list, get — channels and keys, with an upstream key and a BYOK key.
  expect(
    (
      await admin('POST', '/admin/api/channels', {
        name: 'api-ch',
        provider: 'openai-compatible',
        base_url: fake.baseUrl,
        keys: [API_CHANNEL_KEY],
        models: ['gpt-api'],
      })
    ).status,
  ).toBe(201);
  await admin('GET', '/admin/api/channels');
  await admin('GET', '/admin/api/channels/api-ch');
  await admin('GET', '/admin/api/channels/file-ch');
  await admin('PATCH', '/admin/api/channels/api-ch', { keys: [API_CHANNEL_KEY, `${API_CHANNEL_KEY}2`] });
  const made = await admin('POST', '/admin/api/keys', { name: 'canary' }, true);
  const client = JSON.parse(made.text) as { id: string; key: string };
  clientKeys.push(client.key);
  const byokMade = await admin(
    'POST',
    '/admin/api/keys',
    { name: 'byok', byok: { provider: 'openai-compatible', key: BYOK_KEY } },
    true,
  );
  expect(byokMade.status).toBe(201);
  expectNoCanary('the BYOK key create answer', byokMade.text.replace(/"key":"sk-[^"]+"/, ''));
  const byok = JSON.parse(byokMade.text) as { id: string; key: string };
  clientKeys.push(byok.key);
  await admin('GET', '/admin/api/keys');
  await admin('GET', `/admin/api/keys/${client.id}`);
  await admin('GET', `/admin/api/keys/${byok.id}`);

  const key = client.key;
  // ok: JSON and stream, OpenAI and Anthropic front doors, channel key and BYOK key.
  fake.reset();
  expect((await call('POST', '/v1/chat/completions', { key, body: chatBody('gpt-canary') })).status).toBe(
    200,
  );
  expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
  await call('POST', '/v1/chat/completions', { key, body: chatBody('gpt-canary', true) });
  await call('POST', '/v1/messages', { key, body: chatBody('claude-canary') });
  await call('POST', '/v1/messages', { key, body: chatBody('claude-canary', true) });
  await call('POST', '/v1/chat/completions', { key: byok.key, body: chatBody('gpt-canary') });
  expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${BYOK_KEY}`);
  await call('GET', '/v1/models', { key });

  // 4xx from the upstream that echoes every key, JSON and in a stream's error event.
  for (const route of ['/v1/chat/completions', '/v1/messages']) {
    for (const model of ['gpt-canary', 'claude-canary']) {
      fake.reset();
      fake.enqueue({ kind: 'status', status: 400, body: openAiError() });
      expect((await call('POST', route, { key, body: chatBody(model) })).status).toBe(400);
    }
  }
  fake.reset();
  fake.enqueue({ kind: 'status', status: 400, body: openAiError() });
  await call('POST', '/v1/chat/completions', { key: byok.key, body: chatBody('gpt-canary') });
  fake.reset();
  fake.enqueue({ kind: 'raw-sse', body: `data: ${JSON.stringify(openAiError())}\n\n` });
  await call('POST', '/v1/chat/completions', { key, body: chatBody('gpt-canary', true) });
  fake.reset();
  fake.enqueue({
    kind: 'raw-sse',
    body: `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: echo() } })}\n\n`,
  });
  await call('POST', '/v1/messages', { key, body: chatBody('claude-canary', true) });

  // 5xx (retried, then the gateway's own error), a time-out, a stream cut mid-way.
  fake.reset();
  fake.enqueue(
    ...Array.from({ length: 5 }, () => ({ kind: 'status' as const, status: 500, body: openAiError() })),
  );
  expect((await call('POST', '/v1/chat/completions', { key, body: chatBody('gpt-err') })).status).toBe(502);
  fake.reset();
  fake.enqueue(...Array.from({ length: 5 }, () => ({ kind: 'hang' as const })));
  expect((await call('POST', '/v1/chat/completions', { key, body: chatBody('gpt-slow') })).status).toBe(504);
  fake.reset();
  fake.enqueue({ kind: 'drop', afterChunks: 2 });
  await call('POST', '/v1/chat/completions', { key: byok.key, body: chatBody('gpt-api', true) });

  // Keys the gateway refuses: the admin token as a client key, a made-up one, a missing one.
  await call('POST', '/v1/chat/completions', { key: ADMIN_TOKEN, body: chatBody('gpt-canary') });
  await call('POST', '/v1/chat/completions', { key: `${key}x`, body: chatBody('gpt-canary') });
  await call('POST', '/v1/chat/completions', { body: chatBody('gpt-canary') });
  await call('GET', '/admin/api/keys', { key });

  // Channel tests: one fine, one against an upstream that answers 401 quoting the key.
  fake.reset();
  await admin('POST', '/admin/api/channels/api-ch/test', {});
  fake.enqueue({ kind: 'status', status: 401, body: openAiError() });
  await admin('POST', '/admin/api/channels/file-ch/test', {});

  // The request log, its exports and the stats pages, once every record is written.
  // Usage records are written in batches: wait until the last request's record is in the log.
  fake.reset();
  await call('POST', '/v1/chat/completions', {
    key,
    body: chatBody('gpt-canary'),
    headers: { 'x-request-id': 'canary-last' },
  });
  for (let tries = 0; tries < 100; tries++) {
    const logged = await fetch(`${url}/admin/api/logs/canary-last`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    if (logged.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect((await admin('GET', '/admin/api/logs?limit=500')).status).toBe(200);
  expect((await admin('GET', '/admin/api/logs/export?format=csv')).status).toBe(200);
  expect((await admin('GET', '/admin/api/logs/export?format=jsonl')).status).toBe(200);
  await admin('GET', '/admin/api/usage');
  await admin('GET', '/admin/api/stats');
  await admin('GET', '/admin/api/stats/routing');
  expect((await admin('GET', '/stats')).status).toBe(200);

  // Key rotation (the new key is shown once), then the rotated-out key, now refused.
  const rotated = await admin('POST', `/admin/api/keys/${client.id}/rotate`, {}, true);
  expect(rotated.status).toBe(201);
  expectNoCanary('the rotate answer', rotated.text.replace(/"key":"sk-[^"]+"/, ''));
  await call('POST', '/v1/chat/completions', { key, body: chatBody('gpt-canary') });
  // Deleting a channel and a key: their secrets must not linger in the files either.
  await admin('DELETE', '/admin/api/channels/api-ch');
  await admin('DELETE', `/admin/api/keys/${byok.id}`);
}

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'sb-canary-'));
  const channel = (name: string, models: string[], extra: Record<string, unknown> = {}) => ({
    name,
    provider: 'openai-compatible',
    base_url: fake.baseUrl,
    // The config file's own `${NAME}` reference: the key reaches the gateway only through its env.
    keys: [`$${'{'}CANARY_UPSTREAM_KEY}`],
    models,
    ...extra,
  });
  const config = {
    channels: [
      channel('file-ch', ['gpt-canary']),
      channel('err-ch', ['gpt-err']),
      channel('slow-ch', ['gpt-slow'], { timeout: { first_byte_ms: 300, total_ms: 300 } }),
      channel('an-ch', ['claude-canary'], { provider: 'anthropic', base_url: `${fake.url}/v1` }),
    ],
    cache: { enabled: true, backend: 'sqlite' },
  };
  writeFileSync(join(dir, 'switchboard.yaml'), JSON.stringify(config, null, 2));
  await startGateway();
  try {
    await pushEverythingThrough();
  } finally {
    await stopGateway();
  }
  // Rotating the sealing key re-writes every stored secret; its output is checked too.
  const rotated = await runCli(['secrets', 'rotate'], dir, {
    DATABASE_URL: `sqlite:${files().db}`,
    CONFIG: join(dir, 'switchboard.yaml'),
    CANARY_UPSTREAM_KEY: UPSTREAM_KEY,
    LOG_LEVEL: 'trace',
  });
  expect(rotated.code).toBe(0);
  cliOutput = `${rotated.out}\n${rotated.err}`;
}, 120_000);

afterAll(async () => {
  await stopGateway();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('canary secrets', () => {
  it('never reach the process output or its log', () => {
    const { stdout, stderr } = files();
    const log = readFileSync(stdout, 'utf8');
    // The log did see the traffic: the check is not vacuous.
    expect(log).toContain('upstream attempt failed');
    expectNoCanary('stdout (the log)', log);
    expectNoCanary('stderr', readFileSync(stderr, 'utf8'));
    expectNoCanary('the secrets rotate output', cliOutput);
  });

  it('never reach a response body or header', () => {
    expect(responses.length).toBeGreaterThan(30);
    // Echoing upstreams were relayed: the masked form is what the client sees.
    expect(responses.some((r) => r.text.includes('Incorrect API key provided: sk-…'))).toBe(true);
    for (const response of responses) expectNoCanary(response.what, response.text);
  });

  it('never reach the request log, its CSV and JSON-lines exports, or the stats pages', () => {
    for (const path of [
      '/admin/api/logs',
      '/admin/api/logs/export?format=csv',
      '/admin/api/logs/export?format=jsonl',
      '/stats',
    ]) {
      const seen = responses.filter((r) => r.what.startsWith(`GET ${path}`));
      expect(seen.length, path).toBeGreaterThan(0);
      expect(
        seen.some((r) => r.text.length > 200),
        path,
      ).toBe(true);
      for (const response of seen) expectNoCanary(response.what, response.text);
    }
  });

  it('never reach the database files (.db, -wal, -shm), read as bytes', () => {
    const { db } = files();
    const present = [db, `${db}-wal`, `${db}-shm`].filter((f) => existsSync(f));
    expect(present).toContain(db);
    for (const file of present) expectNoCanary(file, readFileSync(file));
  });
});
