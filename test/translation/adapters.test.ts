import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeAnthropicRequest } from '../../src/providers/anthropic/messages-request.js';
import { anthropicWire } from '../../src/providers/anthropic/wire.js';
import { geminiWire } from '../../src/providers/gemini/wire.js';
import { openAiWire } from '../../src/providers/openai-compatible/wire.js';
import type { JsonObject } from '../../src/spec/json.js';
import type { StreamPart } from '../../src/spec/stream-part.js';
import type { SseEvent } from '../../src/spec/wire.js';
import { sseDecoder } from '../../src/streaming/sse.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const json = (path: string) => JSON.parse(fixture(path)) as JsonObject;

/** Replays a recorded body in small uneven chunks (so events split across reads) through a decoder. */
async function replay(text: string, decode: TransformStream<SseEvent, StreamPart>): Promise<StreamPart[]> {
  const bytes = new TextEncoder().encode(text);
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 37) controller.enqueue(bytes.slice(i, i + 37));
      controller.close();
    },
  });
  return collect(source.pipeThrough(sseDecoder()).pipeThrough(decode));
}

async function encode(parts: StreamPart[], stream: TransformStream<StreamPart, Uint8Array>): Promise<string> {
  const source = new ReadableStream<StreamPart>({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
  const decoder = new TextDecoder();
  return (await collect(source.pipeThrough(stream))).map((chunk) => decoder.decode(chunk)).join('');
}

async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const reader = stream.getReader();
  const out: T[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) out.push(next.value);
  return out;
}

describe('anthropic adapter', () => {
  it('decodes a recorded tool-use stream with thinking, signature and cache usage', async () => {
    const parts = await replay(fixture('anthropic/tool-use.sse.txt'), anthropicWire.upstream.decodeStream());
    const args = parts.flatMap((p) => (p.type === 'tool-call-delta' ? [p.argumentsDelta] : [])).join('');
    expect(args).toBe('{"location": "San Francisco, CA", "unit": "fahrenheit"}');
    expect(parts).toContainEqual({ type: 'reasoning-delta', text: 'I need the weather tool.' });
    expect(parts).toContainEqual({
      type: 'reasoning-signature',
      // Inside the gateway a signature names its issuer (providers/shared/reasoning-signature.ts).
      signature: 'anthropic:EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxj',
    });
    expect(parts).toContainEqual({
      type: 'tool-call-start',
      index: 0,
      id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
      name: 'get_weather',
    });
    expect(parts).toContainEqual({
      type: 'usage',
      usage: { inputTokens: 2520, outputTokens: 89, cacheReadTokens: 2048, cacheWriteTokens: 0 },
    });
    expect(parts.at(-1)).toEqual({ type: 'finish', reason: 'tool-calls' });
  });

  it('re-encodes the decoded stream as OpenAI chunks with the same arguments', async () => {
    const parts = await replay(fixture('anthropic/tool-use.sse.txt'), anthropicWire.upstream.decodeStream());
    const request = openAiWire.client?.decodeRequest({
      model: 'm',
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    });
    if (!request) throw new Error('no request');
    const text = await encode(
      parts,
      openAiWire.client?.encodeStream(request, 'req-1') as TransformStream<StreamPart, Uint8Array>,
    );
    const chunks = text
      .split('\n\n')
      .filter((f) => f.startsWith('data: {'))
      .map((f) => JSON.parse(f.slice(6)));
    const args = chunks
      .flatMap((c) => c.choices?.[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? [])
      .join('');
    expect(args).toBe('{"location": "San Francisco, CA", "unit": "fahrenheit"}');
    expect(chunks.find((c) => c.choices?.[0]?.finish_reason)?.choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1).usage).toMatchObject({
      prompt_tokens: 2520,
      completion_tokens: 89,
      prompt_tokens_details: { cached_tokens: 2048 },
    });
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('decodes a mid-stream error event', async () => {
    const parts = await replay(
      fixture('anthropic/overloaded.sse.txt'),
      anthropicWire.upstream.decodeStream(),
    );
    expect(parts.at(-1)).toEqual({ type: 'error', message: 'Overloaded', code: 'overloaded_error' });
  });

  it('decodes a recorded message: thinking, stop sequence, cache writes', () => {
    const response = anthropicWire.upstream.decodeResponse(json('anthropic/message.json'));
    expect(response.parts[0]).toEqual({
      type: 'reasoning',
      text: 'Short question, short answer.',
      signature: 'anthropic:WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve',
    });
    expect(response.finishReason).toBe('stop-sequence');
    expect(response.stopSequence).toBe('###');
    expect(response.usage).toEqual({
      inputTokens: 312,
      outputTokens: 6,
      cacheReadTokens: 0,
      cacheWriteTokens: 300,
    });
  });

  it('builds the outgoing Messages body from an OpenAI request', () => {
    const request = openAiWire.client?.decodeRequest({
      model: 'gpt',
      messages: [
        { role: 'system', content: 'Sys' },
        { role: 'user', content: 'Q' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        },
        { role: 'tool', tool_call_id: 'call_9', content: 'R' },
        { role: 'user', content: 'More' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      max_tokens: 100,
    });
    if (!request) throw new Error('no request');
    expect(anthropicWire.upstream.encodeRequest(request, { model: 'claude-x', stream: true })).toEqual({
      model: 'claude-x',
      max_tokens: 100,
      system: [{ type: 'text', text: 'Sys' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Q' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_9', name: 'f', input: { a: 1 } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_9', content: [{ type: 'text', text: 'R' }] },
            { type: 'text', text: 'More' },
          ],
        },
      ],
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stream: true,
    });
  });

  it('keeps cache_control and signatures from an Anthropic request', () => {
    const request = decodeAnthropicRequest({
      model: 'c',
      max_tokens: 10,
      system: [{ type: 'text', text: 'long', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }] },
        { role: 'user', content: 'q' },
      ],
    });
    const body = anthropicWire.upstream.encodeRequest(request, { model: 'c', stream: false });
    expect(body.system).toEqual([{ type: 'text', text: 'long', cache_control: { type: 'ephemeral' } }]);
    expect(body.messages).toEqual([
      { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }] },
      { role: 'user', content: [{ type: 'text', text: 'q' }] },
    ]);
  });
});

describe('anthropic adapter: structured outputs beside thinking effort', () => {
  it('sends the schema and the effort together in output_config', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    const request = decodeAnthropicRequest({
      model: 'claude-opus-4-6',
      max_tokens: 1000,
      thinking: { type: 'adaptive' },
      output_config: { effort: 'low', format: { type: 'json_schema', schema } },
      messages: [{ role: 'user', content: 'q' }],
    });
    const body = anthropicWire.upstream.encodeRequest(request, { model: 'claude-opus-4-6', stream: false });
    expect(body.thinking).toEqual({ type: 'adaptive' });
    expect(body.output_config).toEqual({
      effort: 'low',
      format: { type: 'json_schema', schema: { ...schema, additionalProperties: false } },
    });
  });
});

describe('gemini adapter', () => {
  it('decodes a recorded alt=sse stream: thoughts, signed function call, usage', async () => {
    const parts = await replay(fixture('gemini/function-call.sse.txt'), geminiWire.upstream.decodeStream());
    expect(parts[0]).toMatchObject({
      type: 'start',
      id: 'chatcmpl-mN3oaJ-LBY2xkdUP9o_3-QQ',
      model: 'gemini-2.5-flash',
    });
    expect(parts).toContainEqual({
      type: 'reasoning-delta',
      text: '**Checking the weather**\n\nThe user asks about Paris.',
    });
    expect(parts).toContainEqual({
      type: 'reasoning-signature',
      signature: 'gemini:CiQB0e2Kb3dRh+BYdbZvmulSN2Pwg',
    });
    expect(parts).toContainEqual({
      type: 'tool-call-delta',
      index: 0,
      argumentsDelta: '{"location":"Paris, France","unit":"celsius"}',
    });
    expect(parts).toContainEqual({ type: 'finish', reason: 'tool-calls' });
    expect(parts.filter((p) => p.type === 'usage').at(-1)).toEqual({
      type: 'usage',
      usage: { inputTokens: 61, outputTokens: 62, reasoningTokens: 40 },
    });
  });

  it('decodes a recorded response and refuses a blocked prompt', () => {
    const response = geminiWire.upstream.decodeResponse(json('gemini/response.json'));
    expect(response.parts).toEqual([{ type: 'text', text: 'Hi there! How can I help?' }]);
    expect(response.finishReason).toBe('length');
    expect(response.usage).toEqual({
      inputTokens: 8,
      outputTokens: 19,
      cacheReadTokens: 4,
      reasoningTokens: 12,
    });
    expect(() => geminiWire.upstream.decodeResponse(json('gemini/blocked.json'))).toThrow(
      /blocked \(SAFETY\)/,
    );
  });

  it('builds the outgoing generateContent body, sending the thought signature back', () => {
    // A Claude Code history of a turn a Gemini channel answered: the gateway gave Claude Code
    // Gemini's signature under its issuer's name.
    const request = decodeAnthropicRequest({
      model: 'c',
      max_tokens: 50,
      system: 'Sys',
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [
        {
          role: 'user',
          content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA' } }],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: '', signature: 'gemini:SIG' },
            { type: 'tool_use', id: 'call_x', name: 'get_weather', input: { location: 'Paris' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_x', content: '{"temp":21}' }] },
      ],
    });
    expect(geminiWire.upstream.encodeRequest(request, { model: 'gemini-2.5-flash', stream: false })).toEqual({
      systemInstruction: { parts: [{ text: 'Sys' }] },
      contents: [
        { role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: 'AAA' } }] },
        {
          role: 'model',
          parts: [
            { functionCall: { name: 'get_weather', args: { location: 'Paris' } }, thoughtSignature: 'SIG' },
          ],
        },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }] },
      ],
      tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: { type: 'object' } }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
      generationConfig: { maxOutputTokens: 50 },
    });
  });

  it("leaves Anthropic's own signature out of a Gemini body (Gemini answers 400 to it)", () => {
    const request = decodeAnthropicRequest({
      model: 'c',
      max_tokens: 50,
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Hm.', signature: 'ANTHROPIC-SIG' },
            { type: 'text', text: 'Hello' },
          ],
        },
        { role: 'user', content: 'Again' },
      ],
    });
    const body = geminiWire.upstream.encodeRequest(request, { model: 'gemini-2.5-flash', stream: false });
    expect(JSON.stringify(body)).not.toContain('ANTHROPIC-SIG');
    expect(anthropicWire.upstream.encodeRequest(request, { model: 'c', stream: false })).toMatchObject({
      messages: [
        {},
        { content: [{ type: 'thinking', thinking: 'Hm.', signature: 'ANTHROPIC-SIG' }, { type: 'text' }] },
        {},
      ],
    });
  });
});

describe('sse decoder', () => {
  it('handles CRLF, comments, multi-line data and a final event without a blank line', async () => {
    const events: SseEvent[] = [];
    const text = ': comment\r\nevent: a\r\ndata: 1\r\ndata: 2\r\n\r\ndata: last';
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        const bytes = new TextEncoder().encode(text);
        for (const byte of bytes) c.enqueue(new Uint8Array([byte]));
        c.close();
      },
    });
    events.push(...(await collect(source.pipeThrough(sseDecoder()))));
    expect(events).toEqual([{ event: 'a', data: '1\n2' }, { data: 'last' }]);
  });
});
