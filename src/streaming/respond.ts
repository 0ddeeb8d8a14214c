import { maskSecret } from '../auth/secret-box.js';
import { scrubJsonText, scrubSecrets } from '../auth/secret-scrub.js';
import type { ResponseCapture } from '../pipeline/cache-step.js';
import type { UsageTap } from '../pipeline/usage-tap.js';
import { type ClientCall, type Routed, secretsOf } from '../router/forward.js';
import { isJsonObject, type JsonObject } from '../spec/json.js';
import type { ByteReframer, PassthroughHooks } from '../spec/wire.js';
import { completionTextOf } from '../usage/completion-text.js';
import { usageFromJson, usageFromTail } from '../usage/usage-scan.js';
import { joinChunks } from './join-chunks.js';
import { type RelayEnd, type RelayTransform, relayedResponse, relayParts } from './relay-stream.js';
import { sseErrorEvent } from './sse-error-event.js';
import { createSseTap, type SseTap } from './sse-tap.js';
import { captureStream, keptBody } from './stream-capture.js';

const RELAYED_HEADERS = ['content-type', 'content-disposition'];

/** How the answer step reports to the request's usage tap and the response cache. */
export interface AnswerTap {
  readonly tap: UsageTap;
  /** Where a complete 200 answer goes to be cached; null when the cache does not apply. */
  readonly capture: ResponseCapture | null;
  /** The gateway asked an OpenAI upstream for a stream usage event the client did not ask for. */
  readonly stripStreamUsage: boolean;
}

/** The commit event for a routed attempt: where the answer comes from. */
export function commitEvent(routed: Routed, call: ClientCall) {
  const { target, success } = routed;
  return {
    type: 'commit',
    channel: target.channel.name,
    modelServed: target.upstreamModel || null,
    modelRouted: call.model,
    upstreamKey: maskSecret(target.channel.keys[target.keyIndex] ?? '') || null,
    firstByteMs: success.firstByteMs,
  } as const;
}

/**
 * Builds the client response from a committed attempt, relaying its bytes, and reports its
 * usage (in whatever shape the upstream speaks) to the tap when it ends.
 */
export function respond(
  call: ClientCall,
  routed: Routed,
  answer: AnswerTap,
  /** The client's wire format's hooks for a same-format answer (absent: OpenAI's error event, every answer kept). */
  hooks?: PassthroughHooks,
): Response {
  const { success, target } = routed;
  const usage = answer.tap;
  usage.emit(commitEvent(routed, call));
  const headers = new Headers();
  for (const name of RELAYED_HEADERS) {
    const value = success.headers.get(name);
    if (value) headers.set(name, value);
  }
  const capture = success.status === 200 ? answer.capture : null;

  const secrets = secretsOf(call, routed);
  if (!success.reader) {
    success.release();
    const received = success.body ?? new Uint8Array();
    const contentType = headers.get('content-type');
    // Decoded and parsed once: for its usage, for the error it may be, and for an estimate.
    const answerRead = readAnswer(received);
    const errorText = errorBodyText(received, contentType, answerRead);
    // An error in a 2xx body (one the attempt did not take as failed: a Responses object that
    // failed, an `error` key past the first 512 bytes) is masked as a relayed error body is, and
    // never cached as an answer.
    const body = errorText === null ? received : maskedText(received, errorText, secrets);
    const counted = answerRead.json ? usageFromJson(answerRead.json) : null;
    usage.end(success.status, null, {
      usage: counted,
      completionText: counted ? null : answerText(answerRead, contentType),
    });
    // Every route the cache serves answers a JSON object: a body that is none (an HTML page a
    // proxy answered with, JSON cut short) is relayed as it came, but not kept as an answer;
    // nor is a glitch its format knows a retry would usually fix (asked last: only of an answer
    // about to be stored).
    const json = errorText === null ? answerRead.json : null;
    if (capture && json && body.byteLength <= capture.maxBytes && (hooks?.keepable?.(json) ?? true)) {
      capture.store({
        status: success.status,
        contentType: headers.get('content-type') ?? 'application/json',
        body: body.slice(),
        stream: false,
      });
    }
    return new Response(body, { status: success.status, headers });
  }

  // A pass-through answer is SSE when it says so: a request may ask for an SSE stream without
  // `"stream": true` (speech's `stream_format: "sse"`, a multipart `stream=true`), and a
  // `"stream": true` may get another streamed format (NDJSON), relayed as it arrives.
  const upstreamType = success.headers.get('content-type');
  const sse =
    call.operation === 'passthrough'
      ? isEventStream(upstreamType) || (upstreamType === null && call.stream)
      : call.stream;
  // Every stream goes through the SSE tap: it masks secrets, reads usage in any known shape and
  // can drop the OpenAI usage event the gateway asked for on the client's behalf.
  const accounting = sse
    ? createSseTap({
        secrets,
        stripUsage: answer.stripStreamUsage,
        // Chat and completions streams end with a terminal event or a finish reason, in every
        // format the gateway speaks; a pass-through stream's format is not known.
        answer: call.operation === 'chat' || call.operation === 'completions',
      })
    : null;
  // Re-framed after the tap, so usage and errors are still read from the upstream's own events.
  const framer = sse ? (hooks?.reframe?.create() ?? null) : null;
  if (sse) headers.set('content-type', hooks?.reframe?.contentType ?? 'text/event-stream; charset=utf-8');
  // A stream in any format (SSE, or a pass-through's NDJSON) must reach the client as it comes:
  // a reverse proxy in front (nginx) would otherwise buffer it and deliver it all at the end.
  if (sse || call.stream || isStreamedType(upstreamType)) {
    headers.set('cache-control', 'no-cache');
    headers.set('x-accel-buffering', 'no');
  }
  const captured = captureStream(capture);
  // A relayed non-SSE body (e.g. a pass-through JSON answer) is kept, up to a bound, to be read
  // for usage at its end like a buffered one.
  const textual = !sse && isTextual(headers.get('content-type'));
  const kept = textual ? keptBody(MAX_KEPT_BODY_BYTES, USAGE_TAIL_BYTES) : null;
  /**
   * Ends the usage record for how the relay ended (only the first end counts); returns its
   * journal write, for the relay to hold the last bytes until it is committed.
   */
  let recorded = false;
  let written: Promise<void> | undefined;
  const record = (end: RelayEnd): Promise<void> | undefined => {
    if (recorded) return written;
    recorded = true;
    written = endUsage(end);
    return written;
  };
  const endUsage = (end: RelayEnd): Promise<void> | undefined => {
    const whole = kept?.whole() ?? null;
    // Decoded and parsed once, for its usage and an estimate.
    const read = whole ? readAnswer(whole) : null;
    // Too large to read whole (base64 images): its usage comes last, so its tail is read.
    const counted =
      accounting?.usage() ??
      (read ? (read.json ? usageFromJson(read.json) : null) : kept ? usageFromTail(kept.tail()) : null);
    // An Anthropic stream cut short after message_start: exact input, output still to estimate.
    const outputCounted = accounting?.outputCounted() ?? true;
    const text =
      counted && outputCounted
        ? null
        : (accounting?.completionText() ?? (read ? answerText(read, headers.get('content-type')) : null));
    const failed = accounting?.upstreamError() ?? null;
    const counts = { usage: counted, completionText: text, outputCounted };
    // The upstream may report an error inside its 200 stream: the request failed all the same.
    if (end.outcome === 'done' && failed !== null) return usage.end(502, 'upstream_stream_error', counts);
    if (end.outcome === 'done') return usage.end(success.status, null, counts);
    if (end.outcome === 'cancelled') return usage.end(499, 'client_closed', counts);
    return usage.end(
      end.timedOut ? 504 : 502,
      end.timedOut ? 'upstream_timeout' : 'upstream_stream_error',
      counts,
    );
  };
  usage.handOver();
  const { source, body } = relayParts({
    first: success.first,
    reader: success.reader,
    idleMs: target.channel.timeouts.idleMs,
    abortUpstream: success.abort,
    clientSignal: call.signal,
    errorTrailer: sse
      ? (message, timedOut) => {
          const event = (hooks?.errorEvent ?? sseErrorEvent)(
            scrubSecrets(message, secrets),
            timedOut,
            call.requestId,
          );
          return framer ? joinChunks([framer.push(event), framer.flush()]) : event;
        }
      : null,
    ...(accounting ? { transform: framer ? reframedTap(accounting, framer) : accounting } : {}),
    onChunk: (chunk) => {
      kept?.push(chunk);
      captured?.push(chunk);
    },
    // The usage record is ended and committed before the client holds a complete answer: at
    // the terminal event when the stream has one, else as the stream ends, before its close.
    onFinal: () => record({ outcome: 'done' }),
    onEnd: (end) => {
      // Health hears how the stream ended: an error event inside a 200 stream broke it too.
      const upstreamError = accounting?.upstreamError() ?? null;
      if (end.outcome === 'cancelled') success.ended('neutral');
      else if (end.outcome === 'error') success.ended('broken', end.error);
      else success.ended(upstreamError === null ? 'done' : 'broken', 'error event in the stream');
      success.release();
      const committed = record(end);
      // Nor is a complete stream kept when its format knows its answer for a glitch (asked only
      // of a stream about to be stored: never of uncached traffic, nor of one past the bound).
      if (end.outcome === 'done' && upstreamError === null)
        captured?.store(
          {
            status: success.status,
            contentType: headers.get('content-type') ?? 'text/event-stream',
            stream: sse,
          },
          () => streamKeepable(accounting, hooks),
        );
      return committed;
    },
  });
  // Marked with its relay, so the Node server can write it to the socket without the Web stream.
  return relayedResponse(source, body, { status: success.status, headers });
}

/**
 * Whether a complete stream may be kept in the response cache: the answer its events make, judged
 * by its format's `keepable` as a whole answer is. A stream too long to be read whole is kept.
 */
function streamKeepable(tap: SseTap | null, hooks: PassthroughHooks | undefined): boolean {
  if (!tap || !hooks?.keepable || !hooks.streamAnswer) return true;
  const events = tap.events();
  return events === null || hooks.keepable(hooks.streamAnswer(events));
}

/** The accounting tap, its output re-framed for the client. */
function reframedTap(tap: SseTap, framer: ByteReframer): RelayTransform {
  return {
    push: (chunk) => framer.push(tap.push(chunk)),
    flush: () => {
      const tail = framer.push(tap.flush());
      // A stream cut short ends with the error trailer, which closes the framing itself (a Gemini
      // JSON array's `]` comes after its error element, not before).
      return tap.cutShort() ? tail : joinChunks([tail, framer.flush()]);
    },
    finished: () => tap.finished(),
    cutShort: () => tap.cutShort(),
  };
}

/** A whole answer as text, and as a JSON object when it is one. */
interface AnswerRead {
  readonly text: string;
  readonly json: JsonObject | null;
}

function readAnswer(body: Uint8Array): AnswerRead {
  const text = new TextDecoder().decode(body);
  try {
    const parsed: unknown = JSON.parse(text);
    return { text, json: isJsonObject(parsed) ? parsed : null };
  } catch {
    return { text, json: null };
  }
}

/**
 * The generated text of an answer without usage, for an estimate: its known text fields, or
 * (an unfamiliar JSON shape, or plain text) the text itself. Binary answers count nothing.
 */
function answerText(read: AnswerRead, contentType: string | null): string | null {
  if (!isTextual(contentType)) return null;
  const parts = read.json ? completionTextOf(read.json) : [];
  return parts.length > 0 ? parts.join('') : read.text;
}

/**
 * The text of a whole answer that is an error despite its 2xx status (some upstreams answer
 * errors so: an `error` object at its top), or null. Such a body may quote the key it was sent,
 * as a relayed error body or a stream's error event may.
 */
function errorBodyText(body: Uint8Array, contentType: string | null, read: AnswerRead): string | null {
  if (body.byteLength > MAX_ERROR_BODY_BYTES || !isTextual(contentType) || !read.json) return null;
  return isJsonObject(read.json.error) || read.json.type === 'error' ? read.text : null;
}

/** The body with the secrets its text quotes masked (the same bytes when it quotes none). */
function maskedText(
  body: Uint8Array<ArrayBuffer>,
  text: string,
  secrets: readonly string[],
): Uint8Array<ArrayBuffer> {
  const clean = scrubJsonText(text, secrets);
  return clean === text ? body : new TextEncoder().encode(clean);
}

/** The largest 2xx answer looked at as a possible error body (upstream error bodies are kept to 64 KiB too). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Relayed non-SSE bodies larger than this are not read whole for usage (nor kept for an
 * estimate): only their last USAGE_TAIL_BYTES are, for the usage a JSON answer ends with.
 */
const MAX_KEPT_BODY_BYTES = 4_000_000;
const USAGE_TAIL_BYTES = 64 * 1024;

function isEventStream(contentType: string | null): boolean {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() === 'text/event-stream';
}

/**
 * A media type that is a stream of records whatever the request said: NDJSON (Ollama streams
 * unless told `"stream": false`), JSON Lines, Cohere's `application/stream+json`, JSON text sequences.
 */
function isStreamedType(contentType: string | null): boolean {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return STREAMED_TYPES.has(type);
}

const STREAMED_TYPES: ReadonlySet<string> = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'application/jsonlines',
  'application/stream+json',
  'application/json-seq',
]);

function isTextual(contentType: string | null): boolean {
  return contentType === null || /json|text|xml/i.test(contentType);
}
