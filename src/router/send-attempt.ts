import { type NewAttemptAbort, standardAttemptAbort } from '../spec/attempt-abort.js';
import type { ClientSignal } from '../spec/client-signal.js';
import type { FetchLike, OutgoingRequest, Provider, UpstreamCall } from '../spec/provider.js';
import { UpstreamTransportError } from '../spec/transport-error.js';
import { type ChunkReader, chunkReaderOf, readUpTo } from '../streaming/chunk-reader.js';
import { joinChunks } from '../streaming/join-chunks.js';
import { ReadTimeoutError, readWithTimeout } from '../streaming/read-with-timeout.js';
import { parseRetryAfter } from './backoff.js';
import { type ErrorInAnswer, errorInAnswer, errorInFirstEvent } from './error-in-answer.js';
import {
  type AttemptFailure,
  answerTooLargeFailure,
  classifyStatus,
  clientGoneFailure,
  networkFailure,
  redirectFailure,
} from './failure.js';
import { upstreamRequestId } from './upstream-request-id.js';

/** A committed upstream response: headers received and the first bytes in hand. */
export interface AttemptSuccess {
  readonly ok: true;
  readonly status: number;
  readonly headers: Headers;
  /** Non-stream: the whole body. Stream: null (read the rest through `reader`). */
  readonly body: Uint8Array<ArrayBuffer> | null;
  readonly first: Uint8Array | null;
  readonly reader: ChunkReader | null;
  readonly firstByteMs: number;
  readonly abort: (reason: string) => void;
  /** Detaches the client-disconnect listener once the response is finished. */
  readonly release: () => void;
}

export type AttemptResult = AttemptSuccess | ({ readonly ok: false } & AttemptFailure);

export interface AttemptContext {
  readonly provider: Provider;
  readonly call: UpstreamCall;
  /** Built beforehand (prepare-request.ts), so a request that cannot be built is never an attempt. */
  readonly request: OutgoingRequest;
  readonly fetch: FetchLike;
  /** This attempt's abort, as `fetch` accepts it; AbortController when absent. */
  readonly attemptAbort?: NewAttemptAbort;
  readonly clientSignal: ClientSignal;
  readonly now: () => number;
  /** What is left of the request's deadline; caps this attempt's wait for its answer. */
  readonly remainingMs?: number;
  /** The largest non-stream answer held whole (RESPONSE_LIMIT); unbounded when absent. */
  readonly maxAnswerBytes?: number;
}

/**
 * Sends one attempt and waits until it is safe to commit to it: for a stream, the first body
 * chunk; otherwise the whole body. Until then nothing has reached the client, so any failure
 * here can still fail over.
 */
export async function sendAttempt(ctx: AttemptContext): Promise<AttemptResult> {
  const { call, provider, now, request } = ctx;
  const { timeouts } = call.target.channel;
  const started = now();
  const controller = (ctx.attemptAbort ?? standardAttemptAbort)();
  const abort = (reason: string) => {
    if (!controller.signal.aborted) controller.abort(new Error(reason));
  };
  const onClientAbort = () => abort('client disconnected');
  // The client may have left while the request was being planned (a shared health store is a
  // round trip away): then nothing is sent at all.
  if (ctx.clientSignal.aborted) return { ok: false, ...clientGoneFailure() };
  ctx.clientSignal.addEventListener('abort', onClientAbort, { once: true });
  const release = () => ctx.clientSignal.removeEventListener('abort', onClientAbort);
  const fail = (failure: AttemptFailure): AttemptResult => {
    release();
    abort('attempt abandoned');
    return { ok: false, ...failure };
  };

  // Streams and pass-through bodies are relayed as they arrive; the rest is read whole first.
  const incremental = call.stream || call.operation === 'passthrough';
  // Before the first byte the budget is first_byte_ms for a stream and total_ms for the rest: a
  // non-stream answer (an image generation relayed as it arrives too) starts when it is done.
  const channelBudget = call.stream ? timeouts.firstByteMs : timeouts.totalMs;
  const headerBudget = Math.max(Math.min(channelBudget, ctx.remainingMs ?? channelBudget), 1);
  const budgetName = headerBudget < channelBudget ? 'request deadline' : call.stream ? 'first byte' : 'total';
  let timedOut = false;
  const headerTimer = setTimeout(() => {
    timedOut = true;
    abort('time-out waiting for upstream');
  }, headerBudget);

  let response: Response;
  try {
    response = provider.send
      ? await provider.send(request, call, controller.signal)
      : await ctx.fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: controller.signal,
          // A redirect could carry the upstream key (and a 307 the client's body) to any host.
          redirect: 'manual',
          ...(timeouts.connectMs ? { connectTimeoutMs: timeouts.connectMs } : {}),
        });
  } catch (err) {
    clearTimeout(headerTimer);
    if (ctx.clientSignal.aborted) return fail(clientGoneFailure());
    if (timedOut)
      return fail(networkFailure(`no response within ${budgetName} time-out (${headerBudget} ms)`, true));
    if (err instanceof UpstreamTransportError && err.kind === 'connect-timeout')
      return fail(networkFailure(`connect time-out (${timeouts.connectMs ?? 'default'} ms)`, true));
    return fail(networkFailure(describe(err), false));
  }

  if (response.status >= 300 && response.status < 400) {
    clearTimeout(headerTimer);
    await response.body?.cancel().catch(() => {});
    return fail(redirectFailure(response.status, response.headers.get('location'), request.url));
  }

  if (!response.ok) {
    // Read within the same budget: an error body that stalls is the channel's time-out, and the
    // next channel is tried.
    const body = await readErrorBody(response);
    clearTimeout(headerTimer);
    if (ctx.clientSignal.aborted) return fail(clientGoneFailure());
    // The body stalled past the time-out: the channel's time-out, retried elsewhere, whatever
    // the status (a 4xx cut short is no answer to relay).
    if (timedOut)
      return fail({
        ...networkFailure(
          `error body (HTTP ${response.status}) stalled past the ${budgetName} time-out`,
          true,
        ),
        status: response.status,
      });
    return fail(
      statusFailure(
        {
          status: response.status,
          reason: `HTTP ${response.status}`,
          body,
          contentType: response.headers.get('content-type'),
        },
        response,
        call,
        now(),
      ),
    );
  }

  try {
    if (incremental) {
      const reader = chunkReaderOf(response);
      const remaining = Math.max(headerBudget - (now() - started), 1);
      clearTimeout(headerTimer);
      const first = reader
        ? await readWithTimeout(reader, remaining, () => {
            timedOut = true;
            abort('first byte time-out');
          })
        : null;
      if (!first || first.done) {
        // An empty pass-through body (a 204, say) is a complete answer; an empty stream is not.
        if (call.stream) return fail(networkFailure('upstream ended the stream without data', false));
        release();
        return {
          ok: true,
          status: response.status,
          headers: response.headers,
          body: new Uint8Array(),
          first: null,
          reader: null,
          firstByteMs: now() - started,
          abort,
          release,
        };
      }
      // A stream that opens with an error event has sent the client nothing yet: a failed attempt.
      const error = call.stream ? errorInFirstEvent(first.value) : null;
      if (error) {
        await reader?.cancel().catch(() => {});
        return fail(statusFailure(errorAnswered(error, response), response, call, now()));
      }
      return {
        ok: true,
        status: response.status,
        headers: response.headers,
        body: null,
        first: first.value,
        reader,
        firstByteMs: now() - started,
        abort,
        release,
      };
    }
    // The answer started arriving with its headers; reading its whole body takes what it takes.
    const firstByteMs = now() - started;
    const maxBytes = ctx.maxAnswerBytes ?? Number.POSITIVE_INFINITY;
    const body = await readWholeBody(response, maxBytes);
    clearTimeout(headerTimer);
    if (body === null) return fail(answerTooLargeFailure(maxBytes));
    // An error with a 2xx status is a failed attempt like one with its own status: failed over,
    // judged for health, and relayed only if it is the client's to read.
    const error = errorInAnswer(body, response.headers.get('content-type'));
    if (error) return fail(statusFailure(errorAnswered(error, response), response, call, now()));
    return {
      ok: true,
      status: response.status,
      headers: response.headers,
      body,
      first: null,
      reader: null,
      firstByteMs,
      abort,
      release,
    };
  } catch (err) {
    clearTimeout(headerTimer);
    if (ctx.clientSignal.aborted) return fail(clientGoneFailure());
    const late = timedOut || err instanceof ReadTimeoutError;
    return fail(
      networkFailure(
        late ? `no data within ${budgetName} time-out (${headerBudget} ms)` : describe(err),
        late,
      ),
    );
  }
}

/** An upstream's error answer: the status it stands for, a reason for logs, its body. */
interface ErrorAnswer {
  readonly status: number;
  readonly reason: string;
  readonly body: string;
  readonly contentType: string | null;
}

/**
 * An error answer as a failed attempt, judged by its status: retried or not, on another key or
 * channel, what it says of the target's health, and relayed only if it is the client's to read.
 */
function statusFailure(
  error: ErrorAnswer,
  response: Response,
  call: UpstreamCall,
  at: number,
): AttemptFailure {
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), at);
  return {
    status: error.status,
    reason: error.reason,
    timedOut: false,
    retryAfterMs,
    ...classifyStatus(error.status, {
      modelLevel: call.operation !== 'passthrough' && call.target.upstreamModel !== '',
      retryAfterMs,
    }),
    response: {
      status: error.status,
      body: error.body,
      contentType: error.contentType,
      upstreamRequestId: upstreamRequestId(response.headers),
    },
  };
}

/** An error an upstream answered with a 2xx status (error-in-answer.ts), judged as the status it names. */
function errorAnswered(error: ErrorInAnswer, response: Response): ErrorAnswer {
  return {
    status: error.status,
    reason: `HTTP ${response.status} with an error in its body (${error.name})`,
    body: error.text,
    contentType: 'application/json',
  };
}

/**
 * The whole answer, or null once it passes `maxBytes` (the rest is not read). A length the
 * upstream announces is trusted only for a body sent as is: a compressed one is counted as it
 * is decoded.
 */
async function readWholeBody(response: Response, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const announced = response.headers.get('content-length');
  const encoding = response.headers.get('content-encoding');
  const length =
    announced !== null && (encoding === null || encoding === 'identity') ? Number(announced) : Number.NaN;
  if (maxBytes === Number.POSITIVE_INFINITY || length <= maxBytes)
    return new Uint8Array(await response.arrayBuffer());
  if (length > maxBytes) return null;
  const reader = chunkReaderOf(response);
  return reader ? readUpTo(reader, maxBytes) : new Uint8Array();
}

/** An upstream error body is kept up to this size (it is logged, classified and may be relayed). */
const ERROR_BODY_MAX_BYTES = 64 * 1024;

/**
 * The error body's text, its first 64 KiB: the rest is not read. What arrived before the body
 * failed (the time-out aborted it, the connection dropped) is kept.
 */
async function readErrorBody(response: Response): Promise<string> {
  const reader = chunkReaderOf(response);
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_MAX_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
    if (size >= ERROR_BODY_MAX_BYTES) await reader.cancel().catch(() => {});
  } catch {
    // Aborted or broken mid-body: the part read stands for the whole.
  }
  return new TextDecoder().decode(joinChunks(chunks).subarray(0, ERROR_BODY_MAX_BYTES));
}

/** The runtime's fetch already said what went wrong, in words fit for logs (no keys, no codes to parse). */
function describe(err: unknown): string {
  return err instanceof Error ? err.message : 'upstream request failed';
}
