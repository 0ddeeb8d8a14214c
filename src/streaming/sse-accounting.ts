import { isJsonObject, type JsonValue } from '../spec/json.js';
import type { TokenUsage } from '../spec/usage.js';
import { completionTextOf } from '../usage/completion-text.js';
import { readOpenAiUsage } from '../usage/openai-usage.js';

export interface SseAccounting {
  /** Takes an upstream chunk; returns the bytes to forward now (possibly empty). */
  push(chunk: Uint8Array): Uint8Array;
  /** Bytes still held at the end of the stream (an unterminated last event). */
  end(): Uint8Array;
  /** The last usage the stream reported, or null. */
  usage(): TokenUsage | null;
  /** The generated text seen so far, for estimating when there is no usage. */
  completionText(): string;
  /** The message of an error event the upstream sent inside a 200 stream, if any. */
  upstreamError(): string | null;
}

/** Text kept for estimates; beyond this, output tokens are estimated from the kept part only. */
const MAX_KEPT_CHARS = 4_000_000;

/**
 * Watches an OpenAI-style SSE stream on its way to the client: keeps the usage and the text.
 *
 * With `stripUsage` (the gateway asked for usage the client did not), the usage-only event
 * (`"choices":[]` plus `usage`) is dropped. That needs event boundaries, so bytes are forwarded
 * one complete event at a time, each event's bytes exactly as received; without it every chunk
 * is forwarded as it arrives. Events are parsed only when they mention usage; the text of the
 * rest is kept raw and parsed only if an estimate is needed.
 */
export function createSseAccounting(options: { stripUsage: boolean }): SseAccounting {
  const decoder = new TextDecoder();
  let text = '';
  let held: Uint8Array = new Uint8Array();
  let found: TokenUsage | null = null;
  let failure: string | null = null;
  const kept: string[] = [];
  let keptChars = 0;

  /** Returns true when the event is the usage-only chunk. */
  const inspect = (event: string): boolean => {
    let usageOnly = false;
    for (const line of event.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (!data.startsWith('{')) continue;
      if (data.includes('"error"')) {
        try {
          const parsed: unknown = JSON.parse(data);
          if (isJsonObject(parsed) && isJsonObject(parsed.error)) {
            const message = parsed.error.message;
            failure = typeof message === 'string' ? message : 'upstream error event';
            continue;
          }
        } catch {
          // Not JSON: forwarded as is.
        }
      }
      if (!data.includes('"usage"')) {
        if (keptChars < MAX_KEPT_CHARS) {
          kept.push(data);
          keptChars += data.length;
        }
        continue;
      }
      try {
        const parsed: unknown = JSON.parse(data);
        if (!isJsonObject(parsed)) continue;
        const usage = readOpenAiUsage(parsed.usage);
        if (usage) found = usage;
        if (usage && Array.isArray(parsed.choices) && parsed.choices.length === 0) usageOnly = true;
        else if (keptChars < MAX_KEPT_CHARS) {
          kept.push(data);
          keptChars += data.length;
        }
      } catch {
        // Not JSON: nothing to count; the bytes go to the client unchanged.
      }
    }
    return usageOnly;
  };

  const passThrough = (chunk: Uint8Array): Uint8Array => {
    text += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, '\n');
    let boundary = text.indexOf('\n\n');
    while (boundary !== -1) {
      inspect(text.slice(0, boundary));
      text = text.slice(boundary + 2);
      boundary = text.indexOf('\n\n');
    }
    return chunk;
  };

  const stripping = (chunk: Uint8Array): Uint8Array => {
    const joined = concat(held, chunk);
    const out: Uint8Array[] = [];
    let start = 0;
    for (let end = eventEnd(joined, start); end !== -1; end = eventEnd(joined, start)) {
      const bytes = joined.subarray(start, end);
      const event = decoder.decode(bytes).replace(/\r\n/g, '\n');
      if (!inspect(event)) out.push(bytes);
      start = end;
    }
    held = joined.slice(start);
    return out.length === 1 ? (out[0] as Uint8Array) : concat(...out);
  };

  return {
    push: options.stripUsage ? stripping : passThrough,
    end() {
      if (options.stripUsage) {
        const rest = held;
        held = new Uint8Array();
        if (rest.byteLength > 0 && inspect(decoder.decode(rest).replace(/\r\n/g, '\n')))
          return new Uint8Array();
        return rest;
      }
      if (text) inspect(text);
      text = '';
      return new Uint8Array();
    },
    usage: () => found,
    upstreamError: () => failure,
    completionText() {
      const parts: string[] = [];
      for (const data of kept) {
        try {
          completionTextOf(JSON.parse(data) as JsonValue, parts);
        } catch {
          // A non-JSON data line carries no countable text.
        }
      }
      return parts.join('');
    },
  };
}

/** Index just past the blank line ending the event that starts at `from`, or -1. */
function eventEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length - 1; i++) {
    if (bytes[i] !== 10) continue;
    if (bytes[i + 1] === 10) return i + 2;
    if (bytes[i + 1] === 13 && bytes[i + 2] === 10) return i + 3;
  }
  return -1;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const size = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
