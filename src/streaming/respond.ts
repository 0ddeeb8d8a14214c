import type { ClientCall, Routed } from '../router/forward.js';
import { usageFromJsonBody } from '../usage/openai-usage.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { relayStream } from './relay-stream.js';
import { sseErrorEvent } from './sse-error-event.js';
import { createSseUsageTap } from './sse-usage-tap.js';

const RELAYED_HEADERS = ['content-type', 'content-disposition'];

/** Builds the client response from a committed attempt and wires the usage record to its end. */
export function respond(call: ClientCall, routed: Routed, usage: UsageRecorder): Response {
  const { success, target } = routed;
  usage.record.modelServed = target.upstreamModel || null;
  usage.record.channel = target.channel.name;
  usage.record.firstByteMs = success.firstByteMs;
  const headers = new Headers();
  for (const name of RELAYED_HEADERS) {
    const value = success.headers.get(name);
    if (value) headers.set(name, value);
  }

  if (!success.reader) {
    success.release();
    const body = success.body ?? new Uint8Array();
    const counted = call.operation === 'passthrough' ? null : usageFromJsonBody(body);
    usage.finish(success.status, null, counted);
    return new Response(body, { status: success.status, headers });
  }

  const sse = call.stream;
  const tap = sse ? createSseUsageTap() : null;
  if (sse) {
    headers.set('content-type', 'text/event-stream; charset=utf-8');
    headers.set('cache-control', 'no-cache');
    headers.set('x-accel-buffering', 'no');
  }
  usage.deferred = true;
  const body = relayStream({
    first: success.first,
    reader: success.reader,
    idleMs: target.channel.timeouts.idleMs,
    abortUpstream: success.abort,
    errorTrailer: sse ? (message, timedOut) => sseErrorEvent(message, timedOut, call.requestId) : null,
    onChunk: tap?.onChunk,
    onEnd: (end) => {
      success.release();
      const counted = tap?.usage() ?? null;
      if (end.outcome === 'done') usage.finish(success.status, null, counted);
      else if (end.outcome === 'cancelled') usage.finish(499, 'client_closed', counted);
      else
        usage.finish(
          end.timedOut ? 504 : 502,
          end.timedOut ? 'upstream_timeout' : 'upstream_stream_error',
          counted,
        );
    },
  });
  return new Response(body, { status: success.status, headers });
}
