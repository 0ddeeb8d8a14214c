import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSseTap } from '../../src/streaming/sse-tap.js';
import { usageFromBody, usageFromTail } from '../../src/usage/usage-scan.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url));
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Feeds bytes in awkward pieces (events and lines split mid-way) and returns what went out. */
function run(bytes: Uint8Array, stripUsage = false, piece = 7) {
  const tap = createSseTap({ secrets: [], stripUsage });
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += piece) out.push(tap.push(bytes.subarray(i, i + piece)));
  out.push(tap.flush());
  return { tap, text: out.map((b) => decoder.decode(b, { stream: true })).join('') };
}

describe('usage in every shape an upstream speaks', () => {
  it('reads an Anthropic stream: input and cache reads from message_start, output from message_delta', () => {
    const { tap } = run(fixture('anthropic/tool-use.sse.txt'));
    expect(tap.usage()).toEqual({
      promptTokens: 472 + 2048,
      completionTokens: 89,
      totalTokens: 472 + 2048 + 89,
      cachedTokens: 2048,
      cacheWriteTokens: 0,
    });
  });

  it('reads a Gemini stream: the last usageMetadata, thoughts counted as output', () => {
    const { tap } = run(fixture('gemini/function-call.sse.txt'));
    expect(tap.usage()).toEqual({
      promptTokens: 61,
      completionTokens: 62,
      totalTokens: 123,
      reasoningTokens: 40,
    });
  });

  it('reads whole JSON bodies: Anthropic message and Gemini response', () => {
    expect(usageFromBody(fixture('anthropic/message.json'))).toMatchObject({
      promptTokens: 312,
      completionTokens: 6,
      cacheWriteTokens: 300,
    });
    expect(usageFromBody(fixture('gemini/response.json'))).toMatchObject({
      promptTokens: 8,
      cachedTokens: 4,
    });
  });

  it('drops only the OpenAI usage-only event it was asked to strip; every other byte goes out unchanged', () => {
    const content = `data: {"choices":[{"index":0,"delta":{"content":"hé"}}]}\r\n\r\n: ping\n\n`;
    const usage = `data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n`;
    const { tap, text } = run(encoder.encode(`${content}${usage}data: [DONE]\n\n`), true, 3);
    expect(text).toBe(`${content}data: [DONE]\n\n`);
    expect(tap.usage()).toEqual({ promptTokens: 5, completionTokens: 2, totalTokens: 7 });
  });

  it('reads events whose lines end in a bare CR, split anywhere', () => {
    const body =
      'event: response.completed\rdata: {"type":"response.completed","response":{"usage":{"input_tokens":3,"output_tokens":4}}}\r\r';
    for (const piece of [1, 2, 5]) {
      expect(run(encoder.encode(body), false, piece).tap.usage()).toEqual({
        promptTokens: 3,
        completionTokens: 4,
        totalTokens: 7,
      });
    }
  });

  it('estimates from the bytes seen when a stream has no usage and no known text field', () => {
    const { tap } = run(encoder.encode('data: {"frame":"something unfamiliar"}\n\n'));
    expect(tap.usage()).toBeNull();
    expect(tap.completionText()).toContain('something unfamiliar');
  });

  it('reads the usage at the end of an answer whose start is cut off, past look-alikes after it', () => {
    const tail = encoder.encode(
      'AAAA"}],"usage" : {"input_tokens":50,"output_tokens":4160,"total_tokens":4210},' +
        '"note":"a } and a \\"usage\\" in text","metadata":{"usage":{"plan":"free"}}}',
    );
    expect(usageFromTail(tail)).toEqual({ promptTokens: 50, completionTokens: 4160, totalTokens: 4210 });
    expect(usageFromTail(encoder.encode('…"usage":{"prompt_tokens":3'))).toBeNull();
  });
});
