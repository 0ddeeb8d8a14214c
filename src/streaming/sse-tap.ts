import { maskableSecrets, scrubSecrets } from '../auth/secret-scrub.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../spec/json.js';
import type { TokenUsage } from '../spec/usage.js';
import { completionTextOf } from '../usage/completion-text.js';
import { createUsageScan } from '../usage/usage-scan.js';
import { joinChunks } from './join-chunks.js';
import { createSseParser } from './sse.js';

export interface SseTap {
  /** Takes an upstream chunk; returns the bytes to forward now (possibly empty). */
  push(chunk: Uint8Array): Uint8Array;
  /**
   * Bytes still held at the end of the stream (an unterminated last event); none when that
   * event is where the stream was cut short (`cutShort`).
   */
  flush(): Uint8Array;
  /** The last usage the stream reported (in any shape usage-scan.ts reads), or null. */
  usage(): TokenUsage | null;
  /** False when `usage()` counts the input only (see UsageScan.outputCounted). */
  outputCounted(): boolean;
  /** The generated text seen so far, for estimating when there is no usage. */
  completionText(): string;
  /**
   * The data of the stream's events that are JSON objects, in order (an error event, or a usage
   * event stripped for the client, left out); null when the stream outgrew what is kept of it.
   */
  events(): JsonObject[] | null;
  /** The message of an error event the upstream sent inside a 200 stream, if any. */
  upstreamError(): string | null;
  /** True once the stream's terminal event has been pushed (the client holds a complete answer). */
  finished(): boolean;
  /**
   * At the stream's close: true when it was an answer (`answer` option) that ended with neither
   * a terminal event, an error event nor a finish reason (`finish_reason`, Gemini's
   * `finishReason` or `blockReason`, Anthropic's `stop_reason`): the upstream, or something in
   * between, cut it short.
   */
  cutShort(): boolean;
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
/** Cheap test for a run that may hold a terminal event; the parser confirms it. */
const TERMINAL_HINT = /\[DONE\]|message_stop|response\.(?:completed|failed|incomplete)/;
/**
 * A finish reason, null or set: the answer's last event (or the one before its terminal event)
 * sets one; or Gemini's `blockReason`, the whole answer to a prompt it blocked. The last one
 * named is what counts: with several choices (`n`) each ends with its own, so an earlier
 * choice's set reason, followed by another choice's events (`null`), is not the end.
 */
const FINISH_REASON = /"(?:finish_reason|finishReason|stop_reason|blockReason)"\s*:\s*(null|")/g;
/** How much of the stream's end is searched for a finish reason (it is in the last events). */
const FINISH_TAIL_CHARS = 16_384;

/** A terminal event named in its data only (`data: {"type":"response.completed",…}`, no `event:` line). */
const TERMINAL_TYPE = /"type"\s*:\s*"(message_stop|response\.(?:completed|failed|incomplete))"/;

function isTerminal(event: { readonly event?: string; readonly data: string }): boolean {
  if (event.data === '[DONE]') return true;
  if (event.event !== undefined) return TERMINAL_EVENTS.has(event.event);
  // Some servers speaking these formats send the type in the data alone; a quote inside a text
  // value is escaped, so an unescaped `"type":"…"` is a key of the event.
  return event.data.startsWith('{') && TERMINAL_TYPE.test(event.data);
}

const LF = 0x0a;
const EMPTY = new Uint8Array(0);
const ERROR_KEY = '"error"';
const ERROR_EVENT = 'event: error';
const USAGE_KEY = '"usage';
/** Most bytes of an unfinished event held back to be seen whole (see `push`). */
const MAX_HELD_BYTES = 2 << 20;
const CR = 0x0d;
/** Text kept for estimates; beyond this, output tokens are estimated from the kept part only. */
const MAX_KEPT_CHARS = 4_000_000;
const encoder = new TextEncoder();

/**
 * The one pass every relayed SSE stream goes through on its way to the client. It forwards
 * whole events only (so a secret split across upstream chunks is still seen whole) and decodes
 * each run of complete events once, for all of its jobs:
 * - masks secrets: known secrets in any event, key-shaped text only in error events (an answer
 *   that writes an example `sk-…` key is the model's output, not a leak);
 * - reads usage in any shape usage-scan.ts knows, and an error event inside a 200 stream;
 * - with `stripUsage` (the gateway asked an OpenAI upstream for usage the client did not), drops
 *   the usage-only event (`usage` with `"choices":[]`, or with no `choices` key);
 * - keeps the text for an estimate, parsed only if the stream reports no usage.
 * Events are parsed one by one only when their text mentions usage or an error; a run that needs
 * no change goes out as the upstream's own bytes (invalid UTF-8 included).
 */
export function createSseTap(options: {
  readonly secrets: readonly string[];
  readonly stripUsage: boolean;
  /**
   * The stream is a generated answer (chat, completions) in a format that ends with a terminal
   * event or a finish reason: a close before either is `cutShort`. Absent: any close is complete.
   */
  readonly answer?: boolean;
}): SseTap {
  const known = maskableSecrets(options.secrets);
  const decoder = new TextDecoder();
  const scan = createUsageScan();
  let failure: string | null = null;
  let finished = false;
  let held = EMPTY;
  const kept: string[] = [];
  let keptChars = 0;

  const keep = (text: string) => {
    if (keptChars >= MAX_KEPT_CHARS) return;
    kept.push(text);
    keptChars += text.length;
  };
  /** What an event means to the tap: `drop` for the usage-only event, `error` for an error event. */
  const inspect = (data: string): 'keep' | 'drop' | 'error' => {
    if (!data.startsWith('{')) return 'keep';
    const usage = mentionsUsage(data);
    if (!usage && !data.includes(ERROR_KEY)) return 'keep';
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      // Not JSON: nothing to count; the bytes go to the client unchanged.
      return 'keep';
    }
    if (!isJsonObject(parsed)) return 'keep';
    const failed = failureIn(parsed);
    if (failed !== null) {
      failure = failed;
      return 'error';
    }
    if (!usage) return 'keep';
    scan.see(parsed);
    return options.stripUsage && scan.lastWasUsageOnly() ? 'drop' : 'keep';
  };
  /** Complete events (or, at the end, the unterminated last one) → the bytes to forward. */
  const pass = (bytes: Uint8Array): Uint8Array => {
    if (bytes.byteLength === 0) return bytes;
    const text = decoder.decode(bytes);
    // `"error"` unescaped is a JSON key or an Anthropic `"type":"error"`; a model writing the
    // word inside its text escapes the quotes, so its answer is left alone.
    const errorAt = earliest(text.indexOf(ERROR_KEY), text.indexOf(ERROR_EVENT));
    const clean = errorAt !== -1 ? scrubSecrets(text, known) : scrubKnown(text, known);
    const terminalAt = finished ? -1 : text.search(TERMINAL_HINT);
    const usageAt = usageMention(clean);
    if (errorAt === -1 && terminalAt === -1 && usageAt === -1) {
      keep(clean);
      return clean === text ? bytes : encoder.encode(clean);
    }
    // Only the events from the first one worth reading are parsed: those before it need no
    // change and go out (and are kept) as one run.
    const from = eventStart(
      clean,
      clean === text ? earliest(earliest(errorAt, terminalAt), usageAt) : firstMention(clean, finished),
    );
    if (from > 0) keep(clean.slice(0, from));
    let dropped = false;
    const out: string[] = from > 0 ? [clean.slice(0, from)] : [];
    const parser = createSseParser(
      (event, raw) => {
        if (event && isTerminal(event)) finished = true;
        const verdict = event ? inspect(event.data) : 'keep';
        if (verdict === 'drop') dropped = true;
        else out.push(raw);
        if (verdict === 'keep') keep(raw);
      },
      { keepRaw: true },
    );
    parser.push(from > 0 ? clean.slice(from) : clean);
    parser.end();
    if (dropped) return out.length === 0 ? EMPTY : encoder.encode(out.join(''));
    return clean === text ? bytes : encoder.encode(clean);
  };

  /** The data of the kept events that may be JSON objects (those starting with `{`). */
  const keptData = (): string[] => {
    const data: string[] = [];
    const parser = createSseParser((event) => {
      if (event?.data.startsWith('{')) data.push(event.data);
    });
    for (const text of kept) {
      parser.push(text);
      parser.end();
    }
    return data;
  };

  const cutShort = (): boolean => {
    // Text past the kept bound is not seen: its end cannot be read, so it is taken as whole.
    // An error event ended it already (the record says so; the client has the upstream's error).
    if (!options.answer || finished || failure !== null || keptChars >= MAX_KEPT_CHARS) return false;
    let tail = '';
    for (let i = kept.length - 1; i >= 0 && tail.length < FINISH_TAIL_CHARS; i--) tail = kept[i] + tail;
    let last: string | undefined;
    for (const named of tail.matchAll(FINISH_REASON)) last = named[1];
    return last !== '"';
  };

  return {
    push(chunk) {
      const all = held.byteLength === 0 ? chunk : joinChunks([held, chunk]);
      // An event this large (or a body that is not SSE at all) goes on in pieces rather than be
      // held, and rescanned at every chunk, without bound: its bytes are unchanged, but a secret or
      // usage split across two pieces is not seen whole.
      const end = lastEventEnd(all);
      const cut = all.byteLength - end > MAX_HELD_BYTES ? all.byteLength : end;
      // The usual chunk is whole events: it goes on as the very same bytes, with no copy or view.
      if (cut === all.byteLength) {
        held = EMPTY;
        return pass(all);
      }
      held = all.slice(cut);
      return pass(all.subarray(0, cut));
    },
    flush() {
      const rest = held;
      held = EMPTY;
      const out = pass(rest);
      // A cut inside an event: the relay ends the stream with its own error event, which must not
      // be read as more lines of the upstream's unfinished one (one event of invalid JSON to the
      // client). An SSE client drops an event cut off by the end of the stream anyway.
      return rest.byteLength > 0 && cutShort() ? EMPTY : out;
    },
    usage: () => scan.usage(),
    outputCounted: () => scan.outputCounted(),
    upstreamError: () => failure,
    finished: () => finished,
    cutShort,
    completionText() {
      const data = keptData();
      const parts: string[] = [];
      for (const item of data) {
        try {
          completionTextOf(JSON.parse(item) as JsonValue, parts);
        } catch {
          // A non-JSON data line carries no countable text.
        }
      }
      // No known text field (an unfamiliar protocol): estimate from the data seen instead.
      return parts.length > 0 ? parts.join('') : data.join('\n');
    },
    events() {
      if (keptChars >= MAX_KEPT_CHARS) return null;
      const events: JsonObject[] = [];
      for (const item of keptData()) {
        try {
          const parsed: unknown = JSON.parse(item);
          if (isJsonObject(parsed)) events.push(parsed);
        } catch {
          // Not JSON: no part of the answer a format can read.
        }
      }
      return events;
    },
  };
}

function scrubKnown(text: string, known: readonly string[]): string {
  for (const secret of known) if (text.includes(secret)) return scrubSecrets(text, known);
  return text;
}

/**
 * Whether the text mentions usage other than `"usage":null` (which OpenAI sends on every chunk
 * of a stream that asked for usage): only those events are worth parsing.
 */
function mentionsUsage(text: string): boolean {
  return usageMention(text) !== -1;
}

/** Where the text first mentions usage other than `"usage":null`, or -1. */
function usageMention(text: string): number {
  for (let at = text.indexOf(USAGE_KEY); at !== -1; at = text.indexOf(USAGE_KEY, at + USAGE_KEY.length)) {
    let i = at + USAGE_KEY.length;
    if (text.charCodeAt(i) !== 0x22 || text.charCodeAt(i + 1) !== 0x3a) return at; // not `"usage":`
    i += 2;
    while (text.charCodeAt(i) === 0x20) i++;
    if (!text.startsWith('null', i)) return at;
  }
  return -1;
}

/** The smaller of two string offsets, -1 standing for none. */
function earliest(a: number, b: number): number {
  return a === -1 || (b !== -1 && b < a) ? b : a;
}

/** Where the text first mentions usage, an error or (until the stream finished) its end; or -1. */
function firstMention(text: string, finished: boolean): number {
  const error = earliest(text.indexOf(ERROR_KEY), text.indexOf(ERROR_EVENT));
  return earliest(earliest(error, finished ? -1 : text.search(TERMINAL_HINT)), usageMention(text));
}

/**
 * Where the event holding offset `at` starts, in a run of whole events: the events before it
 * need no parsing when they hold no mention of usage, an error or the end. -1 (no mention)
 * stands for the run's last event. 0 when the run has CR line ends (a blank line is then not
 * simply `\n\n`).
 */
function eventStart(text: string, at: number): number {
  const end = at === -1 ? text.length : at;
  if (end < 2 || text.includes('\r')) return 0;
  // In LF-only text every `\n\n` closes an event (its second LF ends a blank line).
  const blank = text.lastIndexOf('\n\n', end - 1);
  return blank === -1 ? 0 : blank + 2;
}

/** The offset just after the last blank line (`\n\n` or `\r\n\r\n`), or 0 if none. */
function lastEventEnd(bytes: Uint8Array): number {
  for (let i = bytes.byteLength - 1; i > 0; i--) {
    const byte = bytes[i];
    if (byte === LF) {
      if (bytes[i - 1] === LF) return i + 1;
      if (i >= 3 && bytes[i - 1] === CR && bytes[i - 2] === LF) return i + 1;
    } else if (byte === CR && bytes[i - 1] === CR) {
      // Lines ended by a bare CR, as the SSE format allows.
      return i + 1;
    }
  }
  return 0;
}

/**
 * The message of an event by which the upstream says its stream failed, or null: an `error`
 * object (OpenAI chat, Anthropic), the Responses API's `response.failed` (its error inside the
 * response), or its `error` event (code and message at the top level).
 */
function failureIn(event: JsonObject): string | null {
  const { response } = event;
  const error = isJsonObject(event.error)
    ? event.error
    : event.type === 'response.failed' && isJsonObject(response) && isJsonObject(response.error)
      ? response.error
      : event.type === 'error'
        ? event
        : null;
  if (error === null) return null;
  return typeof error.message === 'string' ? error.message : 'upstream error event';
}
