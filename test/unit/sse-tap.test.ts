import { describe, expect, it } from 'vitest';
import { createSseTap } from '../../src/streaming/sse-tap.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function feed(tap: ReturnType<typeof createSseTap>, bytes: Uint8Array, piece: number): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += piece) out.push(...tap.push(bytes.subarray(i, i + piece)));
  out.push(...tap.flush());
  return new Uint8Array(out);
}

const chunk = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"}}],"usage":null}\n\n`;
const usageOnly =
  'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}\n\n';

describe('the SSE tap: one pass for secrets, usage and errors', () => {
  it('relays invalid UTF-8 byte for byte, in plain events and in events it has to read', () => {
    const bad = Uint8Array.of(0xff, 0xfe, 0xc3);
    const parts = [
      encoder.encode('data: {"choices":[{"delta":{"content":"'),
      bad,
      encoder.encode('"}}]}\n\ndata: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1},"x":"'),
      bad,
      encoder.encode('"}\n\ndata: [DONE]\n\n'),
    ];
    const bytes = new Uint8Array(parts.reduce<number[]>((all, p) => all.concat([...p]), []));
    for (const piece of [1, 5, 64, bytes.length]) {
      const tap = createSseTap({ secrets: ['upstream-key-0123456789'], stripUsage: false });
      expect(feed(tap, bytes, piece)).toStrictEqual(bytes);
      expect(tap.usage()).toEqual({ promptTokens: 1, completionTokens: 1, totalTokens: 2 });
    }
  });

  it('reads usage past the "usage":null of every OpenAI chunk, and strips only the usage-only event', () => {
    const stream = `${chunk('Hel') + chunk('lo') + usageOnly}data: [DONE]\n\n`;
    for (const piece of [3, 50, stream.length]) {
      const tap = createSseTap({ secrets: [], stripUsage: true });
      const out = decoder.decode(feed(tap, encoder.encode(stream), piece));
      expect(out).toBe(`${chunk('Hel') + chunk('lo')}data: [DONE]\n\n`);
      expect(tap.usage()).toEqual({ promptTokens: 9, completionTokens: 3, totalTokens: 12 });
    }
  });

  it('masks a known key split across chunks and still strips the usage event that follows', () => {
    const key = 'upstream-key-0123456789';
    const stream = chunk(`leaked ${key} here`) + usageOnly;
    const tap = createSseTap({ secrets: [key], stripUsage: true });
    const out = decoder.decode(feed(tap, encoder.encode(stream), 11));
    expect(out).not.toContain(key);
    expect(out).toContain('leaked ups…6789 here');
    expect(out).not.toContain('prompt_tokens');
    expect(tap.usage()?.totalTokens).toBe(12);
  });

  it('keeps the text for an estimate when the stream reports no usage, whatever the chunking', () => {
    const stream = `: keep-alive\n\n${chunk('Hé')}${chunk('llo')}data: [DONE]\n\n`;
    for (const piece of [1, 4, stream.length]) {
      const tap = createSseTap({ secrets: [], stripUsage: false });
      feed(tap, encoder.encode(stream), piece);
      expect(tap.usage()).toBeNull();
      expect(tap.completionText()).toBe('Héllo');
    }
  });

  it('reports an error event inside a 200 stream and masks a key-shaped token in it only', () => {
    const answer = chunk('try sk-abcdefghijklmnopqrstuvwx');
    const error = 'event: error\ndata: {"error":{"message":"bad key sk-abcdefghijklmnopqrstuvwx"}}\n\n';
    const tap = createSseTap({ secrets: [], stripUsage: false });
    expect(decoder.decode(tap.push(encoder.encode(answer)))).toBe(answer);
    const out = decoder.decode(tap.push(encoder.encode(error)));
    expect(out).not.toContain('sk-abcdefghijklmnopqrstuvwx');
    expect(tap.upstreamError()).toMatch(/^bad key sk-…/);
  });

  it('reads and strips the usage event after a run of plain events, keeping every other byte', () => {
    // Comments, extra blank lines, a named event and multi-line data before the usage event, in
    // LF and in CRLF line ends: all of it goes out as it came, in one chunk or byte by byte.
    const plain = `: hi\n\n\n${chunk('Hel')}event: delta\ndata: {"a":1,\ndata: "b":2}\n\n${chunk('lo')}`;
    for (const eol of ['\n', '\r\n']) {
      const stream = `${plain}${usageOnly}data: [DONE]\n\n: after\n\n`.replaceAll('\n', eol);
      const kept = `${plain}data: [DONE]\n\n: after\n\n`.replaceAll('\n', eol);
      for (const piece of [1, 7, stream.length]) {
        for (const stripUsage of [false, true]) {
          const tap = createSseTap({ secrets: [], stripUsage });
          const out = decoder.decode(feed(tap, encoder.encode(stream), piece));
          expect(out).toBe(stripUsage ? kept : stream);
          expect(tap.usage()).toEqual({ promptTokens: 9, completionTokens: 3, totalTokens: 12 });
          expect(tap.finished()).toBe(true);
          expect(tap.upstreamError()).toBeNull();
          expect(tap.completionText()).toBe('Hello');
        }
      }
    }
  });

  it('sees an error event and the end after plain events in the same run', () => {
    const error = 'data: {"error":{"message":"overloaded"}}\n\n';
    const stream = `${chunk('a')}${chunk('b')}${error}data: [DONE]\n\n`;
    const tap = createSseTap({ secrets: [], stripUsage: true });
    expect(decoder.decode(feed(tap, encoder.encode(stream), stream.length))).toBe(stream);
    expect(tap.upstreamError()).toBe('overloaded');
    expect(tap.finished()).toBe(true);
    expect(tap.completionText()).toBe('ab');
  });
});
