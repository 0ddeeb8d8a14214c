import { maskSecret } from '../auth/secret-box.js';
import { scrubSecrets } from '../auth/secret-scrub.js';
import { type ClientCall, type Routed, secretsOf } from '../router/forward.js';
import { isJsonObject } from '../spec/json.js';
import type { PassthroughHooks } from '../spec/wire.js';
import { completionTextOf } from '../usage/completion-text.js';
import { usageFromJsonBody } from '../usage/openai-usage.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { relayStream } from './relay-stream.js';
import { createSseAccounting } from './sse-accounting.js';
import { sseErrorEvent } from './sse-error-event.js';
import { createSseScrubber } from './sse-scrub.js';

const RELAYED_HEADERS = ['content-type', 'content-disposition'];

/** Builds the client response from a committed attempt and wires the usage record to its end. */
export function respond(
  call: ClientCall,
  routed: Routed,
  usage: UsageRecorder,
  /** For a same-format answer in another wire format than OpenAI's (e.g. native Anthropic). */
  hooks?: PassthroughHooks,
): Response {
  const { success, target } = routed;
  usage.record.modelServed = target.upstreamModel || null;
  usage.record.channel = target.channel.name;
  usage.record.upstreamKey = maskSecret(target.channel.keys[target.keyIndex] ?? '') || null;
  usage.record.firstByteMs = success.firstByteMs;
  const headers = new Headers();
  for (const name of RELAYED_HEADERS) {
    const value = success.headers.get(name);
    if (value) headers.set(name, value);
  }
  const capture = success.status === 200 ? usage.captureResponse : null;

  if (!success.reader) {
    success.release();
    const body = success.body ?? new Uint8Array();
    const counted =
      call.operation === 'passthrough' ? null : (hooks?.usageFromBody ?? usageFromJsonBody)(body);
    usage.finish(success.status, null, counted, counted ? null : bodyText(body));
    if (capture && body.byteLength <= capture.maxBytes) {
      capture.store({
        status: success.status,
        contentType: headers.get('content-type') ?? 'application/json',
        body: body.slice(),
        stream: false,
      });
    }
    return new Response(body, { status: success.status, headers });
  }

  const sse = call.stream;
  // OpenAI-format streams go through the accounting tap, which can drop the usage event the
  // gateway asked for on the client's behalf; other formats bring their own usage tap.
  const accounting = sse && !hooks ? createSseAccounting({ stripUsage: usage.stripStreamUsage }) : null;
  const tap = sse && hooks ? hooks.usageTap() : null;
  const secrets = secretsOf(call, routed);
  const scrubber = sse ? createSseScrubber(secrets) : null;
  if (sse) {
    headers.set('content-type', 'text/event-stream; charset=utf-8');
    headers.set('cache-control', 'no-cache');
    headers.set('x-accel-buffering', 'no');
  }
  let captured: Uint8Array[] | null = capture ? [] : null;
  let capturedBytes = 0;
  usage.deferred = true;
  const body = relayStream({
    first: success.first,
    reader: success.reader,
    idleMs: target.channel.timeouts.idleMs,
    abortUpstream: success.abort,
    errorTrailer: sse
      ? (message, timedOut) =>
          (hooks?.errorEvent ?? sseErrorEvent)(scrubSecrets(message, secrets), timedOut, call.requestId)
      : null,
    ...(scrubber ? { transform: chainTransforms(scrubber, accounting) } : {}),
    onChunk: (chunk) => {
      tap?.onChunk(chunk);
      if (captured && capture) {
        capturedBytes += chunk.byteLength;
        if (capturedBytes > capture.maxBytes) captured = null;
        else captured.push(chunk.slice());
      }
    },
    onEnd: (end) => {
      success.release();
      const counted = accounting?.usage() ?? tap?.usage() ?? null;
      const text = counted ? null : (accounting?.completionText() ?? null);
      const failed = accounting?.upstreamError() ?? null;
      if (end.outcome === 'done' && failed !== null) {
        // The upstream reported an error inside its 200 stream: the request failed all the same.
        usage.finish(502, 'upstream_stream_error', counted, text);
      } else if (end.outcome === 'done') {
        usage.finish(success.status, null, counted, text);
        if (captured && capture) {
          capture.store({
            status: success.status,
            contentType: headers.get('content-type') ?? 'text/event-stream',
            body: joinChunks(captured),
            stream: sse,
          });
        }
      } else if (end.outcome === 'cancelled') usage.finish(499, 'client_closed', counted, text);
      else
        usage.finish(
          end.timedOut ? 504 : 502,
          end.timedOut ? 'upstream_timeout' : 'upstream_stream_error',
          counted,
          text,
        );
    },
  });
  return new Response(body, { status: success.status, headers });
}

/** The scrubber first, so the accounting tap (and the cache) only ever see scrubbed events. */
function chainTransforms(
  scrubber: ReturnType<typeof createSseScrubber>,
  accounting: ReturnType<typeof createSseAccounting> | null,
): { push: (chunk: Uint8Array) => Uint8Array; flush: () => Uint8Array } {
  if (!accounting) return scrubber;
  return {
    push: (chunk) => accounting.push(scrubber.push(chunk)),
    flush: () => joinChunks([accounting.push(scrubber.flush()), accounting.end()]),
  };
}

/** The generated text of a JSON answer without usage, for an estimate. */
function bodyText(body: Uint8Array): string | null {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
    return isJsonObject(parsed) ? completionTextOf(parsed).join('') : null;
  } catch {
    return null;
  }
}

function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
