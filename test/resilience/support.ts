import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type FakeUpstream, type ReceivedRequest, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson, sseData } from '../support/http.js';
import { startTestGateway, type TestGateway } from '../support/start-gateway.js';

/** Routing defaults for these tests: no real waiting between retries, generous budget. */
export const FAST_ROUTING = {
  backoff: { base_ms: 1, max_ms: 5, retry_after_max_ms: 5_000 },
  retry_budget_burst: 100,
};

/**
 * The test file's fake upstream (started before its tests, reset after each, closed at the end)
 * and the gateways its tests start (closed at the end). Call it at the top of the file.
 */
export function upstreamPerFile(): { readonly fake: FakeUpstream; readonly gateways: TestGateway[] } {
  let fake: FakeUpstream | undefined;
  const gateways: TestGateway[] = [];
  beforeAll(async () => {
    fake = await startFakeUpstream();
  });
  afterEach(() => fake?.reset());
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await fake?.close();
  });
  return {
    get fake() {
      if (!fake) throw new Error('the fake upstream starts before the first test');
      return fake;
    },
    gateways,
  };
}

export function startGateway(config: Record<string, unknown>): Promise<TestGateway> {
  const routing = { ...FAST_ROUTING, ...((config.routing as Record<string, unknown>) ?? {}) };
  return startTestGateway({ ...config, routing });
}

export function chat(
  gw: TestGateway,
  fields: Record<string, unknown> = {},
  init: { signal?: AbortSignal } = {},
) {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...fields }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

export { postJson, sseData };

/** Upstream requests that carried this Bearer key. */
export const byKey = (requests: readonly ReceivedRequest[], key: string) =>
  requests.filter((r) => r.headers.authorization === `Bearer ${key}`);

/** The concatenated `delta.content` of an OpenAI SSE body, plus any error events. */
export function readSse(text: string): {
  content: string;
  errors: { code: string }[];
  done: boolean;
  data: string[];
} {
  const data = sseData(text);
  let content = '';
  const errors: { code: string }[] = [];
  for (const item of data) {
    if (item === '[DONE]') continue;
    const parsed = JSON.parse(item) as {
      error?: { code: string };
      choices?: { delta?: { content?: string } }[];
    };
    if (parsed.error) errors.push(parsed.error);
    content += parsed.choices?.[0]?.delta?.content ?? '';
  }
  return { content, errors, done: data.at(-1) === '[DONE]', data };
}

/**
 * A TCP port on 127.0.0.1 where connecting stalls: a listener with a zero backlog that never
 * accepts, whose one queue slot is taken by a filler connection, so the kernel drops further
 * SYNs and the client's connect hangs exactly like a black-holed host. Node always accepts, so a
 * tiny Python listener does it. Returns null when python3 is not available.
 */
export async function startBlackHole(): Promise<{ port: number; close: () => void } | null> {
  const code = [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'f = socket.create_connection(s.getsockname())',
    'print(s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', code], { stdio: ['pipe', 'pipe', 'ignore'] });
  const port = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    createInterface({ input: child.stdout }).once('line', (line) => resolve(Number(line)));
  });
  if (port === null) return null;
  return {
    port,
    close: () => {
      child.stdin.end();
      child.kill();
    },
  };
}
