import type { ClientSignal } from '../spec/client-signal.js';
import { CUT_SHORT_MESSAGE } from '../spec/stream-part.js';
import type { ChunkReader } from './chunk-reader.js';
import { LazyBodyResponse } from './lazy-body-response.js';
import { ReadTimeoutError } from './read-with-timeout.js';

export interface RelayEnd {
  /** `done`: upstream finished; `error`: upstream failed mid-stream; `cancelled`: the client left. */
  readonly outcome: 'done' | 'error' | 'cancelled';
  readonly error?: string;
  readonly timedOut?: boolean;
}

export interface RelayOptions {
  /** The chunk already read while deciding whether to commit to this upstream. */
  readonly first: Uint8Array | null;
  readonly reader: ChunkReader;
  readonly idleMs: number;
  /** Aborts the upstream request (client gone, or idle time-out). */
  readonly abortUpstream: (reason: string) => void;
  /**
   * Bytes that tell the client the stream failed, appended once instead of splicing output.
   * Without one (non-SSE bodies) the client's response is errored, so it sees a broken body.
   */
  readonly errorTrailer: ((message: string, timedOut: boolean) => Uint8Array) | null;
  /**
   * Rewrites each upstream chunk before it is forwarded (the accounting tap uses it to drop one
   * event); `flush` yields what it still holds when the upstream ends. Absent: bytes pass as is.
   */
  readonly transform?: RelayTransform;
  /**
   * Runs once, before the chunk holding the terminal event is handed to the client: the answer
   * is complete from the client's point of view, so its usage record is written first. The
   * chunk waits for the promise it returns (the record's commit; it must not reject).
   */
  readonly onFinal?: () => Promise<void> | undefined;
  /** Sees every chunk exactly as it is forwarded. */
  readonly onChunk?: (chunk: Uint8Array) => void;
  /** For a `done` end, the last bytes and the close wait for the promise it returns (no reject). */
  readonly onEnd: (end: RelayEnd) => Promise<void> | undefined;
  /**
   * The client's signal. An upstream read that fails once it has aborted ends `cancelled`: the
   * client left, and its signal aborted the upstream call (on Workers, `request.signal`) before
   * the relay heard of it. Not the upstream's fault.
   */
  readonly clientSignal?: ClientSignal;
}

/** A rewrite of the relayed bytes (see `RelayOptions.transform`). */
export interface RelayTransform {
  readonly push: (chunk: Uint8Array) => Uint8Array;
  readonly flush: () => Uint8Array;
  /** True once the stream's terminal event (e.g. `data: [DONE]`) has been pushed through. */
  readonly finished?: () => boolean;
  /**
   * Asked when the upstream closes: true when what it sent is not a whole answer (see
   * SseTap.cutShort). The relay then ends as an upstream failure, with the error trailer.
   */
  readonly cutShort?: () => boolean;
}

/** Where a relay puts what it forwards: a Web stream's controller, or a runtime's own writer. */
export interface RelaySink {
  enqueue(chunk: Uint8Array): void;
  close(): void;
  error(err: unknown): void;
}

/** One relay, driven by whoever owns the client connection. */
export interface Relay {
  /** Forwards at least one chunk, or ends the relay; never rejects. Call again for more. */
  pull(): Promise<void>;
  /** The client left: ends the record as cancelled and aborts the upstream. */
  cancel(reason?: unknown): void;
}

/**
 * A relayed stream not yet started: the Web body starts it on its first read, or a runtime
 * that writes to the client's connection itself (Node) takes it first and skips the Web stream.
 * Only one of them ever gets it.
 */
export interface RelaySource {
  /** The relay, writing to `sink`; null when it was taken already. */
  take(sink: RelaySink): Relay | null;
}

const RELAY_SOURCE = Symbol.for('switchboard.relay-source');

/**
 * The response whose body is `source`'s Web stream, marked so a runtime can take the relay. The
 * stream is built only if someone reads the body (lazy-body-response.ts).
 */
export function relayedResponse(
  source: RelaySource,
  body: () => ReadableStream<Uint8Array>,
  init: ResponseInit,
): Response {
  const response = new LazyBodyResponse(body, init);
  (response as unknown as Record<symbol, RelaySource>)[RELAY_SOURCE] = source;
  return response;
}

/** The relay behind a response built by `relayedResponse` (absent once a middleware rebuilt it). */
export function relaySourceOf(response: Response): RelaySource | undefined {
  return (response as unknown as Record<symbol, RelaySource | undefined>)[RELAY_SOURCE];
}

/**
 * Forwards upstream bytes to the client unchanged, as they arrive. Pull-based, so a slow client
 * holds back the upstream read instead of making the gateway buffer the stream.
 */
export function relayStream(options: RelayOptions): ReadableStream<Uint8Array> {
  return relayParts(options).body();
}

/**
 * The relay's source, and its Web body (which starts the relay when it is read first), built
 * when asked for: a runtime that takes the relay never needs it.
 */
export function relayParts(options: RelayOptions): {
  source: RelaySource;
  body: () => ReadableStream<Uint8Array>;
} {
  let taken = false;
  const source: RelaySource = {
    take(sink) {
      if (taken) return null;
      taken = true;
      return startRelay(options, sink);
    },
  };
  let relay: Relay | null = null;
  const body = () =>
    new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          relay ??= source.take(controller);
          return relay?.pull();
        },
        cancel(reason) {
          // Cancelled before its first read: the relay still ends its record and the upstream.
          relay ??= source.take({ enqueue() {}, close() {}, error() {} });
          relay?.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  return { source, body };
}

/**
 * The relay itself, writing to `stream`. The idle time-out counts only while a read from the
 * upstream is pending. It is one watchdog timer per stream, re-armed only when it fires early,
 * instead of a timer and a promise per chunk: a streamed answer is hundreds of chunks.
 */
function startRelay(options: RelayOptions, stream: RelaySink): Relay {
  const { reader, idleMs, onChunk, transform } = options;
  let pending = options.first;
  let ended = false;
  /** When the pending upstream read started (Date.now()), or 0 while none is pending. */
  let readingSince = 0;
  let watchdog: ReturnType<typeof setTimeout> | undefined;

  const end = (result: RelayEnd): Promise<void> | undefined => {
    if (ended) return undefined;
    ended = true;
    if (watchdog !== undefined) clearTimeout(watchdog);
    return options.onEnd(result);
  };
  const fail = (err: unknown) => {
    if (ended) return;
    const timedOut = err instanceof ReadTimeoutError;
    const message = err instanceof Error ? err.message : String(err);
    if (options.clientSignal?.aborted) end({ outcome: 'cancelled', error: 'client disconnected' });
    else end({ outcome: 'error', error: message, timedOut });
    if (options.errorTrailer) {
      stream.enqueue(options.errorTrailer(message, timedOut));
      stream.close();
    } else {
      stream.error(err);
    }
  };
  const check = () => {
    watchdog = undefined;
    if (ended || readingSince === 0) return;
    const waited = Date.now() - readingSince;
    if (waited < idleMs) {
      watchdog = setTimeout(check, idleMs - waited);
      return;
    }
    // The pending read settles later (or never, if the upstream ignores the abort); by then the
    // stream has ended and its result is dropped.
    options.abortUpstream('idle timeout');
    fail(new ReadTimeoutError(`no data from upstream for ${idleMs} ms`));
  };
  let final = false;
  /** Whether a chunk went out; a promise of it only for the terminal chunk, held for its record. */
  const forward = (chunk: Uint8Array): boolean | Promise<boolean> => {
    const out = transform ? transform.push(chunk) : chunk;
    let held: Promise<void> | undefined;
    if (!final && transform?.finished?.()) {
      final = true;
      held = options.onFinal?.();
    }
    if (out.byteLength === 0) return held ? held.then(() => false) : false;
    onChunk?.(out);
    if (held)
      return held.then(() => {
        stream.enqueue(out);
        return true;
      });
    stream.enqueue(out);
    return true;
  };

  return {
    async pull() {
      try {
        if (pending) {
          const chunk = pending;
          pending = null;
          const sent = forward(chunk);
          if (sent === true || (sent !== false && (await sent))) return;
        }
        // A transform may hold a chunk back; keep reading until something goes out or the end.
        for (;;) {
          if (ended) return;
          readingSince = Date.now();
          if (watchdog === undefined) watchdog = setTimeout(check, idleMs);
          const { done, value } = await reader.read();
          readingSince = 0;
          if (ended) return;
          if (done) {
            const rest = transform?.flush();
            const last = rest && rest.byteLength > 0 ? rest : null;
            if (last) onChunk?.(last);
            if (transform?.cutShort?.()) {
              if (last) stream.enqueue(last);
              fail(new Error(CUT_SHORT_MESSAGE));
              return;
            }
            // Ended (and so recorded, and committed) before the last bytes and the close
            // reach the client.
            const written = end({ outcome: 'done' });
            if (written) await written;
            if (last) stream.enqueue(last);
            stream.close();
            return;
          }
          const sent = forward(value);
          if (sent === true || (sent !== false && (await sent))) return;
        }
      } catch (err) {
        readingSince = 0;
        fail(err);
      }
    },
    cancel(reason) {
      end({ outcome: 'cancelled', error: typeof reason === 'string' ? reason : 'client disconnected' });
      options.abortUpstream('client disconnected');
      reader.cancel().catch(() => {});
    },
  };
}
