import type { SseEvent } from '../spec/wire.js';

const encoder = new TextEncoder();

/**
 * SSE events → one JSON array of their data objects, streamed element by element: the framing
 * of Google's streaming methods when the client does not ask for `alt=sse`.
 */
export function sseToJsonArray(): TransformStream<SseEvent, Uint8Array> {
  let first = true;
  return new TransformStream<SseEvent, Uint8Array>({
    transform(event, controller) {
      controller.enqueue(encoder.encode(`${first ? '[' : ',\r\n'}${event.data}`));
      first = false;
    },
    flush(controller) {
      controller.enqueue(encoder.encode(first ? '[]' : ']'));
    },
  });
}
