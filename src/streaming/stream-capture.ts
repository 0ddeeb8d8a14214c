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

/** Collects a relayed body for the response cache, within the cache's bound. */
export interface StreamCapture {
  push(chunk: Uint8Array): void;
  /** Stores what was collected, unless the body grew past the bound. */
  store(entry: { status: number; contentType: string; stream: boolean }): void;
}

/** Null when there is nothing to capture (no cache write wanted for this answer). */
export function captureStream(capture: ResponseCapture | null): StreamCapture | null {
  if (!capture) return null;
  const chunks = boundedChunks(capture.maxBytes);
  return {
    push: chunks.push,
    store(entry) {
      const body = chunks.joined();
      if (body) capture.store({ ...entry, body });
    },
  };
}
