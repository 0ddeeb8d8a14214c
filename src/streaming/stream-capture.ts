import type { ResponseCapture } from '../pipeline/cache-step.js';
import { joinChunks } from './join-chunks.js';

/** Copies of a relayed body's chunks, given up (for good) once they pass `maxBytes`. */
export interface BoundedChunks {
  push(chunk: Uint8Array): void;
  /** The whole body, or null when it grew past the bound. */
  joined(): Uint8Array | null;
}

export function boundedChunks(maxBytes: number): BoundedChunks {
  let chunks: Uint8Array[] | null = [];
  let bytes = 0;
  return {
    push(chunk) {
      if (!chunks) return;
      bytes += chunk.byteLength;
      if (bytes > maxBytes) chunks = null;
      else chunks.push(chunk.slice());
    },
    joined: () => (chunks ? joinChunks(chunks) : null),
  };
}

/** A relayed body kept to be read at its end (see `keptBody`). */
export interface KeptBody {
  push(chunk: Uint8Array): void;
  /** The whole body, or null once it grew past the bound. */
  whole(): Uint8Array | null;
  /** Its last `tailBytes` or a little more (whole chunks): where a JSON answer puts its usage. */
  tail(): Uint8Array;
}

/**
 * Keeps a relayed body whole up to `maxBytes`; past that, only its tail, so that an answer too
 * large to read whole (base64 images) can still be read for the usage it ends with.
 */
export function keptBody(maxBytes: number, tailBytes: number): KeptBody {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let whole = true;
  return {
    push(chunk) {
      chunks.push(chunk.slice());
      bytes += chunk.byteLength;
      if (bytes > maxBytes) whole = false;
      if (whole) return;
      for (
        let first = chunks[0];
        first && chunks.length > 1 && bytes - first.byteLength >= tailBytes;
        first = chunks[0]
      ) {
        chunks.shift();
        bytes -= first.byteLength;
      }
    },
    whole: () => (whole ? joinChunks(chunks) : null),
    tail: () => joinChunks(chunks),
  };
}

/** Collects a relayed body for the response cache, within the cache's bound. */
export interface StreamCapture {
  push(chunk: Uint8Array): void;
  /**
   * Stores what was collected, unless the body grew past the bound or `keepable` (asked only of
   * a body within it) says no.
   */
  store(entry: { status: number; contentType: string; stream: boolean }, keepable?: () => boolean): void;
}

/** Null when there is nothing to capture (no cache write wanted for this answer). */
export function captureStream(capture: ResponseCapture | null): StreamCapture | null {
  if (!capture) return null;
  const chunks = boundedChunks(capture.maxBytes);
  return {
    push: chunks.push,
    store(entry, keepable) {
      const body = chunks.joined();
      if (body && (keepable?.() ?? true)) capture.store({ ...entry, body });
    },
  };
}
