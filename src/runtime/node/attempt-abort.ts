import type { AttemptAbort, NewAttemptAbort } from '../../spec/attempt-abort.js';

/**
 * An attempt's abort signal on Node: an `EventTarget` subclass with the `AbortSignal` members
 * that undici's `request`, the gateway's upstream fetch and its body readers use (`aborted`,
 * `reason`, the `abort` event, `onabort`, `throwIfAborted`).
 *
 * Node builds every `AbortController`'s signal by giving an `EventTarget` another prototype. V8
 * keeps such an object, and everything it references (undici's request handler, and through it
 * the request's own objects), alive through scavenges until the next full GC: ~0.45 kB promoted
 * per request (bench/README.md, gc-stats). A subclass instance is an ordinary object to V8.
 * Only this runtime's fetch sees it: workerd's fetch wants a real AbortSignal.
 */
class AttemptSignal extends EventTarget implements AbortSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((this: AbortSignal, event: Event) => unknown) | null = null;

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Aborts once: the first reason stays, later calls change nothing. */
  abortWith(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const event = new Event('abort');
    this.onabort?.call(this, event);
    this.dispatchEvent(event);
  }
}

class NodeAttemptAbort implements AttemptAbort {
  readonly signal = new AttemptSignal();

  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    this.signal.abortWith(reason);
  }
}

export const nodeAttemptAbort: NewAttemptAbort = () => new NodeAttemptAbort();
