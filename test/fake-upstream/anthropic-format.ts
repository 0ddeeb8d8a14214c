import type { ServerResponse } from 'node:http';
import type { Behavior } from './behaviors.js';
import { FAKE_TOOL_ARGUMENTS } from './openai-format.js';

/** Anthropic Messages wire-format answers of the fake upstream. Deterministic by design. */

export const FAKE_THINKING = 'The user wants the weather; I should call the tool.';
export const FAKE_SIGNATURE = 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxfake-signature';

interface Asked {
  model: string;
  tools: { name?: string }[];
  thinking: boolean;
  stream: boolean;
}

function asked(json: Record<string, unknown>): Asked {
  return {
    model: typeof json.model === 'string' ? json.model : 'claude-fake',
    // A conversation that ends with the tool's result gets its final text answer.
    tools:
      Array.isArray(json.tools) && !endsWithToolResult(json.messages)
        ? (json.tools as { name?: string }[])
        : [],
    thinking: (json.thinking as { type?: string } | undefined)?.type === 'enabled',
    stream: json.stream === true,
  };
}

function endsWithToolResult(messages: unknown): boolean {
  const last = Array.isArray(messages) ? (messages.at(-1) as { content?: unknown } | undefined) : undefined;
  return (
    Array.isArray(last?.content) && last.content.some((b: { type?: string }) => b?.type === 'tool_result')
  );
}

const USAGE = {
  input_tokens: 21,
  cache_creation_input_tokens: 5,
  cache_read_input_tokens: 100,
  output_tokens: 0,
};

export function anthropicMessage(json: Record<string, unknown>, content?: string) {
  const a = asked(json);
  const blocks: unknown[] = [];
  if (a.thinking) blocks.push({ type: 'thinking', thinking: FAKE_THINKING, signature: FAKE_SIGNATURE });
  const tool = a.tools[0]?.name;
  if (tool)
    blocks.push({ type: 'tool_use', id: 'toolu_fake_1', name: tool, input: JSON.parse(FAKE_TOOL_ARGUMENTS) });
  else blocks.push({ type: 'text', text: content ?? `fake answer from ${a.model}` });
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: a.model,
    content: blocks,
    stop_reason: tool ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { ...USAGE, output_tokens: 12 },
  };
}

/** The stream events (name, payload) for the same answer, tool arguments in 7-character pieces. */
export function anthropicEvents(json: Record<string, unknown>, content?: string): [string, unknown][] {
  const a = asked(json);
  const events: [string, unknown][] = [
    [
      'message_start',
      {
        type: 'message_start',
        message: {
          id: 'msg_fake',
          type: 'message',
          role: 'assistant',
          model: a.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...USAGE, output_tokens: 1 },
        },
      },
    ],
    ['ping', { type: 'ping' }],
  ];
  let index = 0;
  if (a.thinking) {
    events.push([
      'content_block_start',
      {
        type: 'content_block_start',
        index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      },
    ]);
    for (const piece of FAKE_THINKING.match(/\S+\s*/g) ?? [])
      events.push([
        'content_block_delta',
        { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } },
      ]);
    events.push([
      'content_block_delta',
      { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: FAKE_SIGNATURE } },
    ]);
    events.push(['content_block_stop', { type: 'content_block_stop', index }]);
    index++;
  }
  const tool = a.tools[0]?.name;
  if (tool) {
    events.push([
      'content_block_start',
      {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: 'toolu_fake_1', name: tool, input: {} },
      },
    ]);
    events.push([
      'content_block_delta',
      { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } },
    ]);
    for (let i = 0; i < FAKE_TOOL_ARGUMENTS.length; i += 7)
      events.push([
        'content_block_delta',
        {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: FAKE_TOOL_ARGUMENTS.slice(i, i + 7) },
        },
      ]);
  } else {
    events.push([
      'content_block_start',
      { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
    ]);
    for (const piece of (content ?? `fake answer from ${a.model}`).match(/\S+\s*/g) ?? [])
      events.push([
        'content_block_delta',
        { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } },
      ]);
  }
  events.push(['content_block_stop', { type: 'content_block_stop', index }]);
  events.push([
    'message_delta',
    {
      type: 'message_delta',
      delta: { stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: { output_tokens: 12 },
    },
  ]);
  events.push(['message_stop', { type: 'message_stop' }]);
  return events;
}

/** Answers POST /v1/messages: `ok` (stream or not) or `sse-error` (an Anthropic error event mid-stream). */
export function answerAnthropic(
  res: ServerResponse,
  json: Record<string, unknown>,
  behavior: Behavior,
): void {
  const content = behavior.kind === 'ok' ? behavior.content : undefined;
  if (json.stream !== true) {
    const text = JSON.stringify(anthropicMessage(json, content));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let events = anthropicEvents(json, content).map(
    ([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`,
  );
  if (behavior.kind === 'sse-error') {
    events = events.slice(0, behavior.afterChunks);
    events.push(
      `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`,
    );
  }
  res.end(events.join(''));
}
