import type { SseEvent } from '../spec/wire.js';

const encoder = new TextEncoder();

/**
 * Bytes → server-sent events, per the WHATWG rules that matter for LLM streams: CRLF or LF line
 * ends, multi-line `data:`, `event:` names, comments (`: ping`) ignored, a trailing event without
 * its blank line still delivered at the end.
 */
export function sseDecoder(): TransformStream<Uint8Array, SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let eventName: string | undefined;
  let data: string[] = [];
  const dispatch = (controller: TransformStreamDefaultController<SseEvent>) => {
    if (data.length > 0) {
      controller.enqueue(eventName ? { event: eventName, data: data.join('\n') } : { data: data.join('\n') });
    }
    eventName = undefined;
    data = [];
  };
  const line = (text: string, controller: TransformStreamDefaultController<SseEvent>) => {
    if (text === '') return dispatch(controller);
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') eventName = value;
  };
  const drain = (controller: TransformStreamDefaultController<SseEvent>) => {
    let newline = buffer.search(/\r\n|\r|\n/);
    while (newline !== -1) {
      // A lone trailing \r may be the first half of \r\n: wait for the next chunk.
      if (buffer[newline] === '\r' && newline === buffer.length - 1) return;
      const width = buffer.startsWith('\r\n', newline) ? 2 : 1;
      line(buffer.slice(0, newline), controller);
      buffer = buffer.slice(newline + width);
      newline = buffer.search(/\r\n|\r|\n/);
    }
  };
  return new TransformStream<Uint8Array, SseEvent>({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      drain(controller);
    },
    flush(controller) {
      buffer += decoder.decode();
      drain(controller);
      if (buffer) line(buffer, controller);
      buffer = '';
      dispatch(controller);
    },
  });
}

/** One SSE frame; `data` must not contain newlines (JSON.stringify output never does). */
export function encodeSse(data: string, event?: string): Uint8Array {
  return encoder.encode(event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
}
