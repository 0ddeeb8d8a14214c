import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type RelaySink, relaySourceOf } from '../../streaming/relay-stream.js';

/** This runtime's own Response class, before @hono/node-server swaps in its lightweight one. */
const NativeResponse = globalThis.Response;

/** @hono/node-server leaves a response with this header alone: the app wrote it itself. */
const ALREADY_SENT = 'x-hono-already-sent';

/**
 * What tells @hono/node-server the response went out already. The adapter only reads it (its
 * status, headers and null body), so one instance serves every relayed stream: building a
 * native Response per stream costs a Headers and the spec's checks each time.
 */
const SENT = new NativeResponse(null, { headers: { [ALREADY_SENT]: 'true' } });

/** What @hono/node-server sends when a response has a body and no content type. */
const DEFAULT_CONTENT_TYPE = 'text/plain; charset=UTF-8';

/**
 * Writes a relayed stream (see `relayedResponse`) straight to the Node response, and returns the
 * marker that tells @hono/node-server it is sent; any other response is returned as it is.
 *
 * Through the adapter each chunk crosses the relay's Web stream and the adapter's reader loop
 * (a promise or two per chunk), and the headers go out in a socket write of their own
 * (`flushHeaders`). Here the relay writes each chunk with `write()`, the headers leave with the
 * first chunk, and Node's per-tick cork coalesces what a turn writes. The rules stay the
 * relay's: it pulls the next upstream chunk only when the socket has room (backpressure), a
 * client that leaves cancels it (which ends the record and aborts the upstream), and its last
 * bytes still wait for the usage record's commit.
 */
export function relayToNode(response: Response, outgoing: ServerResponse): Response {
  const source = relaySourceOf(response);
  if (!source || outgoing.headersSent || !outgoing.writable) return response;
  let finished = false;
  const sink: RelaySink = {
    enqueue(chunk) {
      if (!outgoing.destroyed) outgoing.write(chunk);
    },
    close() {
      finished = true;
      outgoing.end();
    },
    error(err) {
      // A non-SSE body that fails mid-way: the client sees a broken body, as through the adapter.
      finished = true;
      outgoing.destroy(err instanceof Error ? err : new Error(String(err)));
    },
  };
  const relay = source.take(sink);
  if (!relay) return response;
  outgoing.writeHead(response.status, nodeHeaders(response.headers));

  let resume: (() => void) | null = null;
  const wake = () => {
    const waiting = resume;
    resume = null;
    waiting?.();
  };
  outgoing.on('drain', wake);
  outgoing.once('close', () => {
    outgoing.off('drain', wake);
    if (!finished) relay.cancel();
    wake();
  });
  const pump = async () => {
    while (!finished && !outgoing.destroyed) {
      await relay.pull();
      if (outgoing.writableNeedDrain && !finished && !outgoing.destroyed)
        await new Promise<void>((done) => {
          resume = done;
        });
    }
  };
  pump().catch((err: unknown) => {
    // relay.pull does not reject; this is a bug's way out, not a path the relay takes.
    finished = true;
    outgoing.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  return SENT;
}

/** The headers as @hono/node-server would write them (its default content type included). */
function nodeHeaders(headers: Headers): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of headers) if (name !== 'set-cookie') out[name] = value;
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  out['content-type'] ??= DEFAULT_CONTENT_TYPE;
  return out;
}
