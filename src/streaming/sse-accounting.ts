import { isJsonObject, type JsonValue } from '../spec/json.js';
import type { TokenUsage } from '../spec/usage.js';
import { completionTextOf } from '../usage/completion-text.js';
import { createUsageScan } from '../usage/usage-scan.js';
import { createSseParser } from './sse.js';

export interface SseAccounting {
  /** Takes an upstream chunk; returns the bytes to forward now (possibly empty). */
  push(chunk: Uint8Array): Uint8Array;
  /** Bytes still held at the end of the stream (an unterminated last event). */
  end(): Uint8Array;
  /** The last usage the stream reported (in any shape usage-scan.ts reads), or null. */
  usage(): TokenUsage | null;
  /** The generated text seen so far, for estimating when there is no usage. */
  completionText(): string;
  /** The message of an error event the upstream sent inside a 200 stream, if any. */
  upstreamError(): string | null;
  /** True once the stream's terminal event has been pushed (the answer is complete). */
  finished(): boolean;
}

/**
 * Events after which a client holds a complete answer: OpenAI-style `data: [DONE]`, the
 * Messages `message_stop`, the Responses API's terminal `response.*` events. Streams without one
 * are complete at their close.
 */
const TERMINAL_EVENTS = new Set([
  'message_stop',
  'response.completed',
  'response.failed',
  'response.incomplete',
]);

function isTerminal(event: { readonly event?: string; readonly data: string }): boolean {
  return event.data === '[DONE]' || (event.event !== undefined && TERMINAL_EVENTS.has(event.event));
}

/** Text kept for estimates; beyond this, output tokens are estimated from the kept part only. */
const MAX_KEPT_CHARS = 4_000_000;

/**
 * Watches an SSE stream on its way to the client: keeps the usage, the text and any error event.
 *
 * With `stripUsage` (the gateway asked an OpenAI upstream for usage the client did not), the
 * usage-only event (`"choices":[]` plus `usage`) is dropped; the other events go out as their
 * exact text, one complete event at a time. Without it every chunk is forwarded as it arrives.
 * Events are parsed only when they mention usage or an error; the rest is kept raw and parsed
 * only if an estimate is needed.
 */
export function createSseAccounting(options: { stripUsage: boolean }): SseAccounting {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const scan = createUsageScan();
  let failure: string | null = null;
  const kept: string[] = [];
  let keptChars = 0;
  let out: string[] = [];

  const keep = (data: string) => {
    if (keptChars >= MAX_KEPT_CHARS) return;
    kept.push(data);
    keptChars += data.length;
  };
  /** Returns true when the event is the usage-only chunk. */
  const inspect = (data: string): boolean => {
    if (!data.startsWith('{')) return false;
    const mentionsUsage = data.includes('"usage');
    if (!mentionsUsage && !data.includes('"error"')) {
      keep(data);
      return false;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      // Not JSON: nothing to count; the bytes go to the client unchanged.
      return false;
    }
    if (!isJsonObject(parsed)) return false;
    if (isJsonObject(parsed.error)) {
      const message = parsed.error.message;
      failure = typeof message === 'string' ? message : 'upstream error event';
      return false;
    }
    if (mentionsUsage) scan.see(parsed);
    if (mentionsUsage && scan.lastWasUsageOnly) return true;
    keep(data);
    return false;
  };
  const parser = createSseParser(
    (event, raw) => {
      if (event && isTerminal(event)) finished = true;
      const drop = event ? inspect(event.data) : false;
      if (drop) dropped = true;
      else if (options.stripUsage) out.push(raw);
    },
    { keepRaw: options.stripUsage },
  );
  const held = (): Uint8Array => {
    if (out.length === 0) return new Uint8Array();
    const bytes = encoder.encode(out.join(''));
    out = [];
    return bytes;
  };

  let dropped = false;
  let finished = false;
  /** The previous chunk ended on an ASCII byte, so the text decoder holds nothing back. */
  let decoderClear = true;
  return {
    push(chunk) {
      if (!options.stripUsage) {
        parser.push(decoder.decode(chunk, { stream: true }));
        return chunk;
      }
      const clear = decoderClear && !parser.holding();
      dropped = false;
      parser.push(decoder.decode(chunk, { stream: true }));
      decoderClear = chunk.byteLength === 0 || (chunk[chunk.byteLength - 1] as number) < 0x80;
      // The usual case: the chunk is whole events and none was dropped, so its own bytes go out.
      if (clear && !dropped && !parser.holding()) {
        out = [];
        return chunk;
      }
      return held();
    },
    end() {
      parser.push(decoder.decode());
      parser.end();
      return options.stripUsage ? held() : new Uint8Array();
    },
    usage: () => scan.usage(),
    upstreamError: () => failure,
    finished: () => finished,
    completionText() {
      const parts: string[] = [];
      for (const data of kept) {
        try {
          completionTextOf(JSON.parse(data) as JsonValue, parts);
        } catch {
          // A non-JSON data line carries no countable text.
        }
      }
      // No known text field (an unfamiliar protocol): estimate from the bytes seen instead.
      return parts.length > 0 ? parts.join('') : kept.join('\n');
    },
  };
}
