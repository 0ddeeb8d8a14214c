import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

const CODEX = resolve('node_modules/.bin/codex');
const MARKER = 'hello-from-codex';
const FINAL = `Done: the command printed ${MARKER}.`;

/** One OpenAI chat-completions stream, as the fake upstream replays it. */
function chatStream(delta: object, finish: string): string {
  const chunk = (d: object, f: string | null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-codex', object: 'chat.completion.chunk', created: 1, model: 'codex-model', choices: [{ index: 0, delta: d, finish_reason: f }] })}\n\n`;
  const usage = `data: ${JSON.stringify({ id: 'chatcmpl-codex', object: 'chat.completion.chunk', created: 1, model: 'codex-model', choices: [], usage: { prompt_tokens: 900, completion_tokens: 20, total_tokens: 920 } })}\n\n`;
  return `${chunk({ role: 'assistant', ...delta }, null)}${chunk({}, finish)}${usage}data: [DONE]\n\n`;
}

function run(args: string[], env: Record<string, string>, cwd: string) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(CODEX, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // A hung agent must end the test, not the suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

describe.skipIf(!existsSync(CODEX))(
  'Codex CLI → Switchboard /v1/responses → an OpenAI chat-completions upstream',
  () => {
    let fake: FakeUpstream;
    let gw: TestGateway;
    let home: string;
    beforeAll(async () => {
      fake = await startFakeUpstream();
      gw = await startTestGateway({
        channels: [
          channel({ name: 'chat', base_url: fake.baseUrl, keys: ['up-key'], models: ['codex-model'] }),
        ],
      });
      home = mkdtempSync(join(tmpdir(), 'switchboard-codex-'));
      writeFileSync(
        join(home, 'config.toml'),
        [
          'model = "codex-model"',
          'model_provider = "switchboard"',
          // The upstream has no web search of its own.
          'web_search = "disabled"',
          '',
          '[model_providers.switchboard]',
          'name = "Switchboard"',
          `base_url = "${gw.url}/v1"`,
          'wire_api = "responses"',
          'env_key = "SWITCHBOARD_API_KEY"',
          '',
        ].join('\n'),
      );
    });
    afterAll(async () => {
      await gw?.close();
      await fake?.close();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    it('runs one shell command through a tool call and prints the final answer', async () => {
      const command = JSON.stringify({ cmd: `echo ${MARKER}` });
      fake.enqueue(
        {
          kind: 'raw-sse',
          body: chatStream(
            {
              tool_calls: [
                {
                  index: 0,
                  id: 'call_codex_1',
                  type: 'function',
                  function: { name: 'exec_command', arguments: command },
                },
              ],
            },
            'tool_calls',
          ),
        },
        { kind: 'raw-sse', body: chatStream({ content: FINAL }, 'stop') },
      );
      const result = await run(
        ['exec', '--skip-git-repo-check', '--sandbox', 'danger-full-access', `Run: echo ${MARKER}`],
        { PATH: process.env.PATH ?? '', HOME: home, CODEX_HOME: home, SWITCHBOARD_API_KEY: gw.key },
        home,
      );
      const turns = fake.requests.filter((r) => r.path === '/v1/chat/completions');
      expect(turns.length, result.stderr).toBe(2);
      // Turn 1 offered Codex's shell tool; turn 2 carried the call and the command's output back.
      expect(JSON.stringify(turns[0]?.json?.tools)).toContain('"exec_command"');
      const second = JSON.stringify(turns[1]?.json?.messages);
      expect(second).toContain('call_codex_1');
      expect(second).toContain('exec_command');
      const toolMessage = ((turns[1]?.json?.messages ?? []) as { role: string; content: unknown }[]).find(
        (m) => m.role === 'tool',
      );
      expect(JSON.stringify(toolMessage?.content)).toContain(MARKER);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain(FINAL);
      expect(gw.usage.filter((u) => u.status === 200)).toHaveLength(2);
    }, 120_000);
  },
);
