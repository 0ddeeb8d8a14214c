/**
 * What the relay needs of an upstream body: the next chunk, and a way to stop. A Web stream's
 * default reader is one; a runtime may hand out a cheaper one over its own body stream.
 */
export interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
}

/** A Response may offer a ChunkReader under this key (the Node fetch does, over its socket). */
export const CHUNK_READER = Symbol.for('switchboard.chunk-reader');

export interface OffersChunkReader {
  /** A reader of the whole body, or null when the body was touched already (use `body` then). */
  [CHUNK_READER](): ChunkReader | null;
}

/** A reader of the response's body: the runtime's own when it offers one, else the Web stream's. */
export function chunkReaderOf(response: Response): ChunkReader | null {
  const offered = (response as Response & Partial<OffersChunkReader>)[CHUNK_READER]?.();
  return offered ?? response.body?.getReader() ?? null;
}

/**
 * The rest of a body as one new byte array, or null once it passes `maxBytes` (what follows is
 * not read; the caller cancels or aborts as it sees fit).
 */
export async function readUpTo(
  reader: ChunkReader,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) return null;
    chunks.push(value);
  }
  const whole = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}
