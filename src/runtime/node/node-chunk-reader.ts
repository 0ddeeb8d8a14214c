import type { Readable } from 'node:stream';
import type { ChunkReader } from '../../streaming/chunk-reader.js';

type Result = ReadableStreamReadResult<Uint8Array>;

const DONE: Result = { done: true, value: undefined };

/**
 * Reads a Node body stream chunk by chunk, as a Web reader over it would (webBodyFromNode),
 * without the Web stream: no controller, queue and promise pair per chunk in between. What the
 * stream holds when a read comes is handed over at once, as one chunk; a read that finds nothing
 * waits for the socket. The stream reads ahead only up to its high-water mark, so a relay that
 * stops reading holds the upstream socket back. `failure` words a body error as fetch does.
 */
export class NodeChunkReader implements ChunkReader {
  readonly #source: Readable;
  readonly #raw: Readable;
  readonly #failure: (err: Error) => unknown;
  #ended = false;
  #failed: { readonly reason: unknown } | null = null;
  #waiting: { resolve: (result: Result) => void; reject: (reason: unknown) => void } | null = null;

  constructor(source: Readable, raw: Readable, failure: (err: Error) => unknown, early: Error | null) {
    this.#source = source;
    this.#raw = raw;
    this.#failure = failure;
    if (early) {
      this.#failed = { reason: failure(early) };
      return;
    }
    source.on('readable', this.#onReadable);
    source.once('end', this.#onEnd);
    source.once('error', this.#onError);
  }

  read(): Promise<Result> {
    if (this.#failed) return Promise.reject(this.#failed.reason);
    if (this.#ended) return Promise.resolve(DONE);
    const chunk = this.#source.read() as Buffer | null;
    if (chunk !== null) return Promise.resolve({ done: false, value: chunk });
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  cancel(): Promise<void> {
    if (!this.#ended && !this.#failed) {
      this.#ended = true;
      this.#detach();
      this.#source.destroy();
      if (this.#source !== this.#raw) this.#raw.destroy();
      this.#settle()?.resolve(DONE);
    }
    return Promise.resolve();
  }

  readonly #onReadable = () => {
    if (!this.#waiting) return;
    const chunk = this.#source.read() as Buffer | null;
    if (chunk !== null) this.#settle()?.resolve({ done: false, value: chunk });
  };

  readonly #onEnd = () => {
    if (this.#ended || this.#failed) return;
    this.#ended = true;
    this.#detach();
    this.#settle()?.resolve(DONE);
  };

  readonly #onError = (err: Error) => {
    if (this.#ended || this.#failed) return;
    this.#failed = { reason: this.#failure(err) };
    this.#detach();
    this.#settle()?.reject(this.#failed.reason);
  };

  #settle() {
    const waiting = this.#waiting;
    this.#waiting = null;
    return waiting;
  }

  #detach(): void {
    this.#source.off('readable', this.#onReadable);
    this.#source.off('end', this.#onEnd);
    // A listener stays for errors after the end (e.g. a socket reset), so none goes unhandled.
    this.#source.off('error', this.#onError);
    this.#source.on('error', ignore);
  }
}

function ignore(): void {}
