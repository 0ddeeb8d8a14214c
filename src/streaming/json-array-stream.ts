import type { ByteReframer, SseEvent } from '../spec/wire.js';
import { createSseParser } from './sse.js';

const encoder = new TextEncoder();

/** The JSON array's punctuation around each element's text: `[`, `,\r\n` between, `]` last. */
function jsonArrayFraming() {
  let first = true;
  return {
    element(data: string): string {
      const text = `${first ? '[' : ',\r\n'}${data}`;
      first = false;
      return text;
    },
    close: (): string => (first ? '[]' : ']'),
  };
}

/**
 * SSE events → one JSON array of their data objects, streamed element by element: the framing
 * of Google's streaming methods when the client does not ask for `alt=sse`.
 */
export function sseToJsonArray(): TransformStream<SseEvent, Uint8Array> {
  const framing = jsonArrayFraming();
  return new TransformStream<SseEvent, Uint8Array>({
    transform(event, controller) {
      controller.enqueue(encoder.encode(framing.element(event.data)));
    },
    flush(controller) {
      controller.enqueue(encoder.encode(framing.close()));
    },
  });
}

/**
 * The same framing over SSE bytes, for a relayed stream: each event's data goes out as it came,
 * never parsed as JSON, so the client gets the upstream's chunks whole.
 */
export function sseBytesToJsonArray(): ByteReframer {
  const decoder = new TextDecoder();
  const framing = jsonArrayFraming();
  let out = '';
  const parser = createSseParser((event) => {
    if (event) out += framing.element(event.data);
  });
  const take = (): Uint8Array => {
    const bytes = encoder.encode(out);
    out = '';
    return bytes;
  };
  return {
    push(chunk) {
      parser.push(decoder.decode(chunk, { stream: true }));
      return take();
    },
    flush() {
      parser.push(decoder.decode());
      parser.end();
      out += framing.close();
      return take();
    },
  };
}
