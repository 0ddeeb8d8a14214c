import { scrubSecrets } from '../auth/secret-scrub.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Pipeline } from '../pipelines/pipeline.js';
import { type ClientCall, type Routed, secretsOf } from '../router/forward.js';
import type { AssistantPart, ChatRequest, ChatUsage } from '../spec/chat.js';
import { isJsonObject } from '../spec/json.js';
import type { StreamPart } from '../spec/stream-part.js';
import type { TokenUsage } from '../spec/usage.js';
import type { ClientCodec, UpstreamCodec } from '../spec/wire.js';
import { type RelayEnd, relayStream } from './relay-stream.js';
import { type AnswerTap, commitEvent } from './respond.js';
import { sseDecoder } from './sse.js';
import { captureStream } from './stream-capture.js';

export interface Translation {
  readonly upstream: UpstreamCodec;
  readonly client: ClientCodec;
  readonly pipeline: Pipeline;
  /** The client's request in canonical form (encoders read the model name and usage wishes). */
  readonly request: ChatRequest;
}

/**
 * Builds the client response from a committed attempt whose answer must be decoded: another wire
 * format, or a pipeline that rewrites answers. Streams run bytes → SSE events → upstream decoder →
 * canonical parts → pipeline → client encoder, pull-based end to end.
 */
export function respondTranslated(
  call: ClientCall,
  routed: Routed,
  answer: AnswerTap,
  t: Translation,
): Response {
  const { success, target } = routed;
  const usage = answer.tap;
  usage.emit(commitEvent(routed, call));

  if (!success.reader) {
    success.release();
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(success.body ?? new Uint8Array()));
    } catch {
      throw new GatewayError(
        'upstream_failed',
        `upstream channel ${target.channel.name} answered with invalid JSON`,
      );
    }
    if (!isJsonObject(parsed))
      throw new GatewayError('upstream_failed', 'upstream answer is not a JSON object');
    let response = t.upstream.decodeResponse(parsed);
    if (t.pipeline.rewriteResponse) response = t.pipeline.rewriteResponse(response);
    usage.end(success.status, null, {
      usage: tokenUsage(response.usage),
      completionText: response.usage ? null : response.parts.map(partText).join(''),
    });
    const encoded = new TextEncoder().encode(JSON.stringify(t.client.encodeResponse(response, t.request)));
    const keep = response.parts.some(holdsSomething);
    const capture = success.status === 200 && keep ? answer.capture : null;
    if (capture && encoded.byteLength <= capture.maxBytes) {
      capture.store({
        status: success.status,
        contentType: 'application/json',
        body: encoded.slice(),
        stream: false,
      });
    }
    return new Response(encoded, { status: success.status, headers: { 'content-type': 'application/json' } });
  }

  usage.handOver();
  let relayEnd: RelayEnd | null = null;
  const bytes = relayStream({
    first: success.first,
    reader: success.reader,
    idleMs: target.channel.timeouts.idleMs,
    abortUpstream: success.abort,
    clientSignal: call.signal,
    // No byte trailer: a failure becomes a canonical error part, encoded in the client's format.
    errorTrailer: null,
    onEnd: (end) => {
      relayEnd = end;
      return undefined;
    },
  });
  let counted: TokenUsage | null = null;
  /** Whether something of the answer came (text, a tool call, reasoning): else it is not kept. */
  let answered = false;
  let failed = false;
  /** An error part that is the upstream's fault (not a blocked prompt): the stream broke. */
  let upstreamFault = false;
  // The generated text, for an estimate when the upstream reports no usage (or breaks off first).
  const generated: string[] = [];
  let generatedChars = 0;
  const secrets = secretsOf(call, routed);
  const tap = new TransformStream<StreamPart, StreamPart>({
    transform(part, controller) {
      if (part.type === 'usage') counted = tokenUsage(part.usage);
      if (streamsSomething(part)) answered = true;
      const text = generatedText(part);
      if (text && generatedChars < MAX_GENERATED_CHARS) {
        generated.push(text);
        generatedChars += text.length;
      }
      if (part.type === 'error') {
        failed = true;
        // A prompt or answer the upstream blocked is the request's doing, not a broken upstream.
        if (part.code !== 'content_blocked') upstreamFault = true;
        // The upstream's error event may quote the key; the client's format re-encodes the text.
        controller.enqueue({ ...part, message: scrubSecrets(part.message, secrets) });
        return;
      }
      controller.enqueue(part);
    },
  });
  let parts = errorsAsParts(
    bytes.pipeThrough(sseDecoder()).pipeThrough(t.upstream.decodeStream()),
  ).pipeThrough(tap);
  if (t.pipeline.rewriteStream) parts = parts.pipeThrough(t.pipeline.rewriteStream());
  /** What the answer counted so far: the upstream's usage, else the text for an estimate. */
  const counts = () => ({ usage: counted, completionText: counted ? null : generated.join('') });
  /** Ends the record (only the first end counts); returns its journal write, which the answer's end waits for. */
  const record = (): Promise<void> | undefined => {
    const end = relayEnd as RelayEnd | null;
    if (!failed) return usage.end(success.status, null, counts());
    // The client left, and its signal aborted the upstream call before the relay heard of it.
    if (end?.outcome === 'cancelled') return usage.end(499, 'client_closed', counts());
    if (end?.timedOut) return usage.end(504, 'upstream_timeout', counts());
    return usage.end(502, 'upstream_stream_error', counts());
  };
  // Client encoders write their terminal event (`[DONE]`, `message_stop`) when the parts end:
  // the record is committed first, so a client holding a complete answer always has its record.
  const recordAtEnd = new TransformStream<StreamPart, StreamPart>({ flush: record });
  const encoded = parts
    .pipeThrough(recordAtEnd)
    .pipeThrough(t.client.encodeStream(t.request, call.requestId));

  const captured = captureStream(success.status === 200 ? answer.capture : null);
  const contentType = t.client.streamContentType ?? 'text/event-stream; charset=utf-8';
  /** Set when the gateway itself failed on the answer: the upstream is not to blame. */
  let translationFailed = false;
  const finish = (): Promise<void> | undefined => {
    const end = relayEnd as RelayEnd | null;
    if (translationFailed || end?.outcome === 'cancelled' || (failed && !upstreamFault))
      success.ended('neutral');
    else if (failed) success.ended('broken', end?.error ?? 'error event in the stream');
    else success.ended('done');
    success.release();
    const written = record();
    if (!failed && answered)
      captured?.store({
        status: success.status,
        contentType,
        stream: true,
      });
    return written;
  };
  const reader = encoded.getReader();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (err) {
          // A translator or the key's pipeline threw on this answer: end the record (and so the
          // limit settle) as a failed stream, and stop the upstream.
          failed = true;
          translationFailed = true;
          success.abort('answer translation failed');
          finish();
          controller.error(err);
          return;
        }
        const { done, value } = next;
        if (done) {
          // Normally committed already (the flush above waited for it); the close waits too.
          const written = finish();
          if (written) await written;
          controller.close();
          return;
        }
        captured?.push(value);
        controller.enqueue(value);
      },
      async cancel(reason) {
        success.ended('neutral');
        success.release();
        usage.end(499, 'client_closed', counts());
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const headers = new Headers({
    'content-type': contentType,
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  return new Response(body, { status: success.status, headers });
}

/**
 * Whether a part of a whole answer is something of it: text (not empty), a tool call, reasoning
 * (its text, signature or redacted data). An answer with none of these is relayed but not kept
 * in the response cache, whatever its finish (`stop`, `length`, `content_filter` too): asking
 * again usually gets an answer, as the rules for an answer relayed in its own format say
 * (openAiAnswerKeepable, anthropicAnswerKeepable, geminiAnswerKeepable).
 */
function holdsSomething(part: AssistantPart): boolean {
  if (part.type === 'tool-call') return true;
  if (part.type === 'text') return part.text !== '';
  return part.text !== '' || Boolean(part.signature) || Boolean(part.redactedData);
}

/** Whether a stream part is something of the answer, as `holdsSomething` judges a whole one's. */
function streamsSomething(part: StreamPart): boolean {
  switch (part.type) {
    case 'text-delta':
    case 'reasoning-delta':
      return part.text !== '';
    case 'reasoning-signature':
      return part.signature !== '';
    case 'reasoning-redacted':
      return part.data !== '';
    case 'tool-call-start':
      return true;
    default:
      return false;
  }
}

/** Text kept for estimates, as the relay's SSE tap bounds it. */
const MAX_GENERATED_CHARS = 4_000_000;

function partText(part: AssistantPart): string {
  return part.type === 'tool-call' ? part.arguments : part.text;
}

function generatedText(part: StreamPart): string | null {
  if (part.type === 'text-delta' || part.type === 'reasoning-delta') return part.text;
  if (part.type === 'tool-call-delta') return part.argumentsDelta;
  return null;
}

/** A stream failure (dropped connection, idle time-out) becomes a final error part. */
function errorsAsParts(source: ReadableStream<StreamPart>): ReadableStream<StreamPart> {
  const reader = source.getReader();
  return new ReadableStream<StreamPart>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          controller.enqueue({ type: 'error', message, code: 'upstream_stream_error' });
          controller.close();
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

export function tokenUsage(usage: ChatUsage | null): TokenUsage | null {
  if (!usage) return null;
  return {
    promptTokens: usage.inputTokens,
    completionTokens: usage.outputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens,
    ...(usage.cacheReadTokens !== undefined ? { cachedTokens: usage.cacheReadTokens } : {}),
    ...(usage.cacheWriteTokens !== undefined ? { cacheWriteTokens: usage.cacheWriteTokens } : {}),
    ...(usage.cacheWrite1hTokens !== undefined ? { cacheWrite1hTokens: usage.cacheWrite1hTokens } : {}),
    ...(usage.reasoningTokens !== undefined ? { reasoningTokens: usage.reasoningTokens } : {}),
  };
}
