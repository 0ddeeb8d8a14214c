import type { Readable } from 'node:stream';
import { CHUNK_READER, type ChunkReader, type OffersChunkReader } from '../../streaming/chunk-reader.js';
import { NodeChunkReader } from './node-chunk-reader.js';
import { toTransportError } from './transport-errors.js';
import { decodedBody, webBodyFromNode } from './web-body.js';

/**
 * A Web `Response` over an undici response body that reads a whole body straight from the Node
 * stream. A buffered (non-stream) answer is read whole with `arrayBuffer()`/`text()`/`json()`:
 * through a Web ReadableStream that costs a stream, its controller, a promise per chunk and
 * undici's body mixin, several times the read itself (about 20 µs against 5 µs per answer).
 * `body` (a cancel, a caller without the relay's reader) builds the same Web stream as before, on first use. The
 * outcomes are fetch's: a body that fails mid-way rejects with `terminated` (an
 * `UpstreamTransportError`), or with the abort reason when `signal` ended it; a second read
 * rejects as a used body does.
 */
export function nodeBodyResponse(
  body: Readable,
  contentEncoding: string | null,
  signal: AbortSignal | null,
  init: NodeBodyResponseInit,
): Response {
  return new NodeBodyResponse(body, contentEncoding, signal, init);
}

/** Status line and headers as undici's `request` gives them (lower-case names, repeats as arrays). */
export interface NodeBodyResponseInit {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** The Response class of this runtime, before a server adapter swaps in a lightweight one. */
const BaseResponse = globalThis.Response;

class NodeBodyResponse extends BaseResponse implements OffersChunkReader {
  readonly #source: Readable;
  readonly #raw: Readable;
  readonly #signal: AbortSignal | null;
  readonly #encoding: string | null;
  #web: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;
  #used = false;
  /** An error the source emitted before anyone read it (kept, so a later read sees it). */
  #early: Error | null = null;
  readonly #headers: Headers;

  constructor(
    body: Readable,
    contentEncoding: string | null,
    signal: AbortSignal | null,
    init: NodeBodyResponseInit,
  ) {
    // The headers are built here, not handed to Response's constructor: its init conversion
    // (WebIDL record or sequence checks, then a copy into its own list) costs about twice the
    // appends. Same outcome: an invalid name or value throws here, as it would there.
    super(null, { status: init.status, statusText: init.statusText });
    const headers = new Headers();
    for (const name in init.headers) {
      const value = init.headers[name];
      if (typeof value === 'string') headers.append(name, value);
      else if (value !== undefined) for (const item of value) headers.append(name, item);
    }
    this.#headers = headers;
    this.#raw = body;
    this.#encoding = contentEncoding;
    this.#signal = signal;
    this.#source = contentEncoding ? decodedBody(body, contentEncoding) : body;
    this.#source.once('error', this.#keepEarly);
  }

  readonly #keepEarly = (err: Error) => {
    this.#early = err;
  };

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> {
    if (!this.#web) {
      this.#source.off('error', this.#keepEarly);
      const early = this.#early;
      this.#web = (
        early
          ? new ReadableStream({ start: (controller) => controller.error(this.#failure(early)) })
          : webBodyFromNode(this.#raw, this.#encoding, this.#signal, this.#source)
      ) as ReadableStream<Uint8Array<ArrayBuffer>>;
    }
    return this.#web;
  }

  /**
   * A streamed answer's reader straight over the Node stream (see NodeChunkReader), for the
   * relay; null once the Web body was asked for or the body was read.
   */
  [CHUNK_READER](): ChunkReader | null {
    if (this.bodyUsed || this.#web) return null;
    this.#used = true;
    this.#source.off('error', this.#keepEarly);
    return new NodeChunkReader(this.#source, this.#raw, (err) => this.#failure(err), this.#early);
  }

  override get headers(): Headers {
    return this.#headers;
  }

  override get bodyUsed(): boolean {
    return this.#used || (this.#web?.locked ?? false);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.#readAll();
    return bytes.buffer;
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#readAll();
  }

  override async text(): Promise<string> {
    return new TextDecoder().decode(await this.#readAll());
  }

  override async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  override async blob(): Promise<Blob> {
    const type = this.headers.get('content-type') ?? '';
    return new Blob([await this.#readAll()], { type });
  }

  override async formData(): Promise<FormData> {
    return this.#viaWeb().formData();
  }

  override clone(): Response {
    // Rare (never on the gateway's own path): a plain Response over the Web stream clones as fetch's does.
    return this.#viaWeb().clone();
  }

  /** A plain Response over the Web body, with this one's status and headers. */
  #viaWeb(): Response {
    return new BaseResponse(this.body, {
      status: this.status,
      statusText: this.statusText,
      headers: this.headers,
    });
  }

  #failure(err: Error): unknown {
    // As fetch words it, classified like a failed request (e.g. `terminated (ECONNRESET)`).
    return this.#signal?.aborted
      ? this.#signal.reason
      : toTransportError(new TypeError('terminated', { cause: err }), null);
  }

  async #readAll(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    // Someone looked at `body` first: read that stream, as fetch would.
    if (this.#web) return new Uint8Array(await new BaseResponse(this.#web).arrayBuffer());
    return this.#readSource();
  }

  #readSource(): Promise<Uint8Array<ArrayBuffer>> {
    const source = this.#source;
    source.off('error', this.#keepEarly);
    if (this.#early) return Promise.reject(this.#failure(this.#early));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let length = 0;
      source.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.byteLength;
      });
      source.once('end', () => {
        const whole = new Uint8Array(length);
        let at = 0;
        for (const chunk of chunks) {
          whole.set(chunk, at);
          at += chunk.byteLength;
        }
        resolve(whole);
      });
      source.once('error', (err: Error) => reject(this.#failure(err)));
    });
  }
}
