import type { SseEvent } from '../spec/wire.js';

const encoder = new TextEncoder();
const LINE_END = /\r\n|\r|\n/;

/** Incremental SSE parsing over text; the one decoder every stream reader in src/ uses. */
export interface SseParser {
  push(text: string): void;
  /** Delivers a trailing event that lacked its blank line. */
  end(): void;
}

/**
 * Text → server-sent events, per the WHATWG rules that matter for LLM streams: CRLF, CR or LF
 * line ends, multi-line `data:`, `event:` names, comments (`: ping`) ignored, a trailing event
 * without its blank line still delivered at the end.
 *
 * `onEvent` is called at every event boundary; with `keepRaw` it also gets the exact text consumed
 * since the previous one, so a reader that drops an event can forward the others unchanged.
 * `event` is null for a block without data (comments only), which has only its text.
 */
export function createSseParser(
  onEvent: (event: SseEvent | null, raw: string) => void,
  options: { readonly keepRaw?: boolean } = {},
): SseParser {
  const keepRaw = options.keepRaw === true;
  let buffer = '';
  let raw = '';
  let eventName: string | undefined;
  let data: string[] = [];
  const dispatch = () => {
    const event =
      data.length === 0
        ? null
        : eventName
          ? { event: eventName, data: data.join('\n') }
          : { data: data.join('\n') };
    const text = raw;
    eventName = undefined;
    data = [];
    raw = '';
    if (event || text) onEvent(event, text);
  };
  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') eventName = value;
  };
  const drain = () => {
    let newline = buffer.search(LINE_END);
    while (newline !== -1) {
      // A lone trailing \r may be the first half of \r\n: wait for the next chunk.
      if (buffer[newline] === '\r' && newline === buffer.length - 1) return;
      const width = buffer.startsWith('\r\n', newline) ? 2 : 1;
      if (keepRaw) raw += buffer.slice(0, newline + width);
      line(buffer.slice(0, newline));
      buffer = buffer.slice(newline + width);
      newline = buffer.search(LINE_END);
    }
  };
  return {
    push(text) {
      buffer += text;
      drain();
    },
    end() {
      if (buffer.endsWith('\r')) {
        if (keepRaw) raw += buffer;
        line(buffer.slice(0, -1));
        buffer = '';
      }
      if (buffer) {
        if (keepRaw) raw += buffer;
        line(buffer);
        buffer = '';
      }
      dispatch();
    },
  };
}

/** Bytes → server-sent events, as a stream transform (createSseParser over decoded text). */
export function sseDecoder(): TransformStream<Uint8Array, SseEvent> {
  const decoder = new TextDecoder();
  let out: TransformStreamDefaultController<SseEvent> | null = null;
  const parser = createSseParser((event) => {
    if (event) out?.enqueue(event);
  });
  return new TransformStream<Uint8Array, SseEvent>({
    transform(chunk, controller) {
      out = controller;
      parser.push(decoder.decode(chunk, { stream: true }));
    },
    flush(controller) {
      out = controller;
      parser.push(decoder.decode());
      parser.end();
    },
  });
}

/** One SSE frame; `data` must not contain newlines (JSON.stringify output never does). */
export function encodeSse(data: string, event?: string): Uint8Array {
  return encoder.encode(event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
}
