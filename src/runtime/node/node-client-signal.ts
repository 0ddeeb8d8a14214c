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
  return new ResponseCloseSignal(incoming, outgoing);
}

/**
 * A class rather than an object literal with `get aborted()`: V8 keeps an object literal that
 * has an accessor, and what it references, alive through scavenges until a full GC; one per
 * request made each request's objects old-space garbage (bench/README.md, gc-stats).
 */
class ResponseCloseSignal implements ClientSignal {
  private listeners: Set<() => void> | null = null;
  private gone = false;

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly outgoing: ServerResponse,
  ) {}

  get aborted(): boolean {
    return this.gone || (this.outgoing.destroyed && this.leftEarly());
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.listeners) {
      this.listeners = new Set();
      this.outgoing.once('close', this.onClose);
    }
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners?.delete(listener);
  }

  private leftEarly(): boolean {
    return !this.outgoing.writableFinished || this.incoming.errored !== null;
  }

  private readonly onClose = (): void => {
    if (!this.leftEarly() || !this.listeners) return;
    this.gone = true;
    const waiting = [...this.listeners];
    this.listeners.clear();
    for (const listener of waiting) listener();
  };
}
