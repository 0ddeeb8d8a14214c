import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ScriptedUpstream, startScriptedUpstream } from '../e2e/claude-code-upstream.js';
import { FAKE_TOOL_ARGUMENTS } from '../fake-upstream/openai-format.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { claudeAvailable, runClaude } from '../support/claude-code-cli.js';
import { startWorkerGateway, type WorkerGateway } from '../support/start-worker-gateway.js';

const MARKER = 'switchboard-marker-worker-5c21';
const FINAL = 'The note says the marker is present.';

/**
 * Real clients against the Worker in workerd (Miniflare): the openai SDK on a channel to the
 * fake upstream, and the Claude Code CLI (Anthropic Messages in, OpenAI format out) on a
 * channel to a scripted upstream that plays one Read tool call.
 */
describe('clients against the gateway as a Cloudflare Worker', { timeout: 180_000 }, () => {
  let fake: FakeUpstream;
  let scripted: ScriptedUpstream;
  let gw: WorkerGateway;
  let client: OpenAI;
  let project: string;
  let home: string;

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'sb-worker-cc-project-'));
    home = mkdtempSync(join(tmpdir(), 'sb-worker-cc-home-'));
    writeFileSync(join(project, 'note.txt'), `${MARKER}\n`);
    fake = await startFakeUpstream();
    scripted = await startScriptedUpstream(join(project, 'note.txt'), FINAL);
    gw = await startWorkerGateway({
      channels: [
        {
          name: 'fake',
          provider: 'openai-compatible',
          base_url: fake.baseUrl,
          keys: ['up-1'],
          models: ['gpt-fake'],
        },
        // Every other model (Claude Code's main and small ones); tried after `fake` for gpt-fake.
        {
          name: 'scripted',
          provider: 'openai-compatible',
          base_url: scripted.baseUrl,
          keys: ['up-2'],
          priority: 1,
        },
      ],
    });
    client = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  }, 180_000);
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    await scripted?.close();
    for (const dir of [project, home]) if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => fake.reset());

  const weatherTool = {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Weather for a place',
      parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
    },
  };

  it('openai SDK: a non-stream answer with usage', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(res.choices[0]?.message.content).toBe('fake answer from gpt-fake');
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(1);
  });

  it('openai SDK: a stream it reassembles, usage in the last chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('fake answer from gpt-fake');
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('openai SDK: tool calls, non-stream and streamed, with the upstream arguments', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [weatherTool],
    });
    const call = res.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.arguments).toBe(FAKE_TOOL_ARGUMENTS);
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');

    const final = await client.chat.completions
      .stream({
        model: 'gpt-fake',
        messages: [{ role: 'user', content: 'weather in Paris?' }],
        tools: [weatherTool],
      })
      .finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0];
    expect(streamed?.type === 'function' && streamed.function.name).toBe('get_weather');
    expect(streamed?.type === 'function' && streamed.function.arguments).toBe(FAKE_TOOL_ARGUMENTS);
    expect(fake.requests[1]?.json?.tools).toEqual([weatherTool]);
  });

  describe.runIf(claudeAvailable())('Claude Code', () => {
    const at = () => ({ baseUrl: gw.url, project, home });

    it('runs a Read tool call through the Worker and prints the final answer', async () => {
      const { code, out } = await runClaude('What does note.txt say?', { ...at(), key: gw.key });
      expect(out).toContain(FINAL);
      expect(code).toBe(0);
      const result = scripted.seen.flatMap((r) => r.json.messages ?? []).find((m) => m.role === 'tool');
      expect(JSON.stringify(result?.content)).toContain(MARKER);
    }, 150_000);

    it('fails at once with a wrong key, and nothing reaches the upstream', async () => {
      const seenBefore = scripted.seen.length;
      const { code, out } = await runClaude('Hello', { ...at(), key: 'sk-wrong-key-for-switchboard' });
      expect(code).not.toBe(0);
      expect(out).toMatch(/401|auth|api key/i);
      expect(scripted.seen.length).toBe(seenBefore);
    }, 150_000);
  });
});
