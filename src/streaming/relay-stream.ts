import { ReadTimeoutError, readWithTimeout } from './read-with-timeout.js';

export interface RelayEnd {
  /** `done`: upstream finished; `error`: upstream failed mid-stream; `cancelled`: the client left. */
  readonly outcome: 'done' | 'error' | 'cancelled';
  readonly error?: string;
  readonly timedOut?: boolean;
}

export interface RelayOptions {
  /** The chunk already read while deciding whether to commit to this upstream. */
  readonly first: Uint8Array | null;
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
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
  readonly transform?: { readonly push: (chunk: Uint8Array) => Uint8Array; readonly flush: () => Uint8Array };
  /** Sees every chunk exactly as it is forwarded. */
  readonly onChunk?: (chunk: Uint8Array) => void;
  readonly onEnd: (end: RelayEnd) => void;
}

/**
 * Forwards upstream bytes to the client unchanged, as they arrive. Pull-based, so a slow client
 * holds back the upstream read instead of making the gateway buffer the stream.
 */
export function relayStream(options: RelayOptions): ReadableStream<Uint8Array> {
  const { reader, idleMs, onChunk, transform } = options;
  let pending = options.first;
  let ended = false;
  const end = (result: RelayEnd) => {
    if (ended) return;
    ended = true;
    options.onEnd(result);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const forward = (chunk: Uint8Array): boolean => {
          const out = transform ? transform.push(chunk) : chunk;
          if (out.byteLength === 0) return false;
          onChunk?.(out);
          controller.enqueue(out);
          return true;
        };
        if (pending) {
          const chunk = pending;
          pending = null;
          if (forward(chunk)) return;
        }
        try {
          // A transform may hold a chunk back; keep reading until something goes out or the end.
          for (;;) {
            const { done, value } = await readWithTimeout(reader, idleMs, () =>
              options.abortUpstream('idle timeout'),
            );
            if (done) {
              const rest = transform?.flush();
              if (rest && rest.byteLength > 0) {
                onChunk?.(rest);
                controller.enqueue(rest);
              }
              controller.close();
              end({ outcome: 'done' });
              return;
            }
            if (forward(value)) return;
          }
        } catch (err) {
          if (ended) return;
          const timedOut = err instanceof ReadTimeoutError;
          const message = err instanceof Error ? err.message : String(err);
          end({ outcome: 'error', error: message, timedOut });
          if (options.errorTrailer) {
            controller.enqueue(options.errorTrailer(message, timedOut));
            controller.close();
          } else {
            controller.error(err);
          }
        }
      },
      cancel(reason) {
        end({ outcome: 'cancelled', error: typeof reason === 'string' ? reason : 'client disconnected' });
        options.abortUpstream('client disconnected');
        reader.cancel().catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
