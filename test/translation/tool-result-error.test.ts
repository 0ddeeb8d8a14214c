import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { postJson } from '../support/http.js';
import type { GatewayUnderTest } from '../support/start-any-gateway.js';
import { startTranslationRigUnderTest } from './setup.js';

// Claude Code marks a tool run that failed with `is_error: true`. The OpenAI format has no such
// field: sent to an OpenAI-format channel, the flag was dropped, and the model read a failed
// command's output as a successful one.

let fake: FakeUpstream;
let gw: GatewayUnderTest;

beforeAll(async () => {
  ({ fake, gw } = await startTranslationRigUnderTest());
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

/** A turn answering two tool calls, the first of which failed. */
function toolTurn(failed: Record<string, unknown>, succeeded: Record<string, unknown>) {
  return postJson(gw, '/v1/messages', {
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    messages: [
      { role: 'user', content: 'Run the tests, then list the files.' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_run', name: 'bash', input: { command: 'npm test' } },
          { type: 'tool_use', id: 'toolu_ls', name: 'bash', input: { command: 'ls' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_run', ...failed },
          { type: 'tool_result', tool_use_id: 'toolu_ls', ...succeeded },
        ],
      },
    ],
  });
}

type SentMessage = { role: string; tool_call_id?: string; content: unknown };
const toolMessages = () => {
  const messages = (fake.requests.at(-1)?.json?.messages ?? []) as SentMessage[];
  return messages.filter((m) => m.role === 'tool');
};

describe('a tool result marked as an error, to an OpenAI-format channel', () => {
  it('reaches the model marked as an error; a result without the flag is sent as it was', async () => {
    const res = await toolTurn(
      { is_error: true, content: 'Exit code 1\n3 tests failed' },
      { content: 'a.txt\nb.txt' },
    );
    expect(res.status).toBe(200);
    expect(toolMessages()).toEqual([
      { role: 'tool', tool_call_id: 'toolu_run', content: '[tool error]\nExit code 1\n3 tests failed' },
      { role: 'tool', tool_call_id: 'toolu_ls', content: 'a.txt\nb.txt' },
    ]);
  });

  it('marks a result given as blocks, or with no content at all; is_error: false changes nothing', async () => {
    const res = await toolTurn(
      { is_error: true, content: [{ type: 'text', text: 'permission denied' }] },
      { is_error: false, content: [{ type: 'text', text: 'ok' }] },
    );
    expect(res.status).toBe(200);
    expect(toolMessages().map((m) => m.content)).toEqual(['[tool error]\npermission denied', 'ok']);
    await toolTurn({ is_error: true }, { content: 'ok' });
    expect(toolMessages().map((m) => m.content)).toEqual(['[tool error]', 'ok']);
  });

  it('a Gemini client\'s functionResponse {"error": …} is marked the same way', async () => {
    const res = await postJson(gw, '/v1beta/models/claude-sonnet-4-5:generateContent', {
      contents: [
        { role: 'user', parts: [{ text: 'Run the tests.' }] },
        {
          role: 'model',
          parts: [{ functionCall: { id: 'call_run', name: 'bash', args: { command: 'npm test' } } }],
        },
        {
          role: 'user',
          parts: [{ functionResponse: { id: 'call_run', name: 'bash', response: { error: 'Exit code 1' } } }],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(toolMessages().map((m) => m.content)).toEqual(['[tool error]\nExit code 1']);
  });
});
