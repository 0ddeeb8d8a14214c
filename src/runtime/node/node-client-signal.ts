import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import type { GatewayEnv } from '../../http/context.js';
import type { ClientSignal } from '../../spec/client-signal.js';

/**
 * The client leaving, read from the Node response: gone when it closes before its answer was all
 * written (or with the request errored), as @hono/node-server aborts the request's signal. Reading
 * `request.signal` makes the adapter build an AbortController (and its EventTarget) for every
 * request; this costs one 'close' listener, added only when an attempt waits on it.
 * Without the Node request in env (a direct `gateway.fetch`), the request's own signal.
 */
export function nodeClientSignal(c: Context<GatewayEnv>): ClientSignal {
  const env = c.env as { incoming?: IncomingMessage; outgoing?: unknown } | undefined;
  const incoming = env?.incoming;
  const outgoing = env?.outgoing;
  if (!incoming || !(outgoing instanceof ServerResponse)) return c.req.raw.signal;
  return responseCloseSignal(incoming, outgoing);
}

function responseCloseSignal(incoming: IncomingMessage, outgoing: ServerResponse): ClientSignal {
  const leftEarly = () => !outgoing.writableFinished || incoming.errored !== null;
  let listeners: Set<() => void> | null = null;
  let gone = false;
  const onClose = () => {
    if (!leftEarly() || !listeners) return;
    gone = true;
    const waiting = [...listeners];
    listeners.clear();
    for (const listener of waiting) listener();
  };
  return {
    get aborted() {
      return gone || (outgoing.destroyed && leftEarly());
    },
    addEventListener(_type, listener) {
      if (!listeners) {
        listeners = new Set();
        outgoing.once('close', onClose);
      }
      listeners.add(listener);
    },
    removeEventListener(_type, listener) {
      listeners?.delete(listener);
    },
  };
}
