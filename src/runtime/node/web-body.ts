import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { toTransportError } from './transport-errors.js';

/**
 * A Web ReadableStream over an undici response body, decoded as undici's fetch decodes it
 * (gzip, deflate, br; unknown codings are passed through as they are). Chunks flow as they
 * arrive; a full queue pauses the socket read. A body that fails mid-way errors the stream with
 * `terminated` like fetch (as an `UpstreamTransportError`), or with the abort reason when `signal` ended it.
 */
export function webBodyFromNode(
  body: Readable,
  contentEncoding: string | null,
  signal: AbortSignal | null,
  /** The body already decoded (decodedBody); by default it is decoded here. */
  source: Readable = contentEncoding ? decodedBody(body, contentEncoding) : body,
): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      source.on('data', (chunk: Buffer) => {
        if (settled) return;
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 1) <= 0) source.pause();
      });
      source.once('end', () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      source.once('error', (err: Error) => {
        if (settled) return;
        settled = true;
        // As fetch words it, classified like a failed request (e.g. `terminated (ECONNRESET)`).
        controller.error(
          signal?.aborted
            ? signal.reason
            : toTransportError(new TypeError('terminated', { cause: err }), null),
        );
      });
    },
    pull() {
      source.resume();
    },
    cancel() {
      settled = true;
      source.destroy();
      if (source !== body) body.destroy();
    },
  });
}

/** The body decoded as undici's fetch decodes it: same limits and flush modes. */
export function decodedBody(body: Readable, contentEncoding: string): Readable {
  const codings = contentEncoding.toLowerCase().split(',');
  if (codings.length > 5) {
    body.destroy(
      new Error(`too many content-encodings in response: ${codings.length}, maximum allowed is 5`),
    );
    return body;
  }
  const decoders: NodeJS.ReadWriteStream[] = [];
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i]?.trim();
    if (coding === 'gzip' || coding === 'x-gzip') {
      decoders.push(
        zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }),
      );
    } else if (coding === 'deflate') {
      decoders.push(
        zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }),
      );
    } else if (coding === 'br') {
      decoders.push(
        zlib.createBrotliDecompress({
          flush: zlib.constants.BROTLI_OPERATION_FLUSH,
          finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
        }),
      );
    } else {
      return body;
    }
  }
  if (decoders.length === 0) return body;
  return pipeline([body, ...decoders], () => {}) as unknown as Readable;
}
