import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { readSse } from './support.js';

let fake: FakeUpstream;
let child: ChildProcess | null = null;

beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await fake.close();
});

/** Starts `switchboard serve` as a real process; resolves with its URL and the first client key. */
async function startCli(): Promise<{ url: string; key: string; exited: Promise<number | null> }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-shutdown-'));
  const config = join(dir, 'switchboard.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      server: { drain_ms: 15_000 },
      channels: [
        { name: 'fake', provider: 'openai-compatible', base_url: fake.baseUrl, keys: ['k'], models: ['m'] },
      ],
    }),
  );
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: {
      ...process.env,
      CONFIG: config,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: 'sqlite::memory:',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child = proc;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let key = '';
  let keyFollows = false;
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('exit', () => reject(new Error('server exited before listening')));
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.includes('No client keys existed')) keyFollows = true;
      const secret = /^\s+(\S+)\s*$/.exec(line)?.[1];
      if (secret && keyFollows && !key) key = secret;
      const listening = /listening on (http:\/\/\S+)/.exec(line)?.[1];
      if (listening) resolve(listening);
    });
  });
  return { url, key, exited };
}

describe('graceful shutdown', () => {
  it('on SIGTERM: refuses new requests, lets the open stream finish, exits 0', async () => {
    const { url, key, exited } = await startCli();
    fake.enqueue({ kind: 'drip', intervalMs: 150 });
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);

    child?.kill('SIGTERM');
    // Give the signal a moment to land, then a new request must not be served.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await fetch(`${url}/health`, { headers: { connection: 'close' } }).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(refused);

    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(readSse(text)).toMatchObject({ content: 'fake answer from m', errors: [], done: true });
    expect(await exited).toBe(0);
  }, 30_000);
});
