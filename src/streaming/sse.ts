import type { SseEvent } from '../spec/wire.js';

const encoder = new TextEncoder();

/** Incremental SSE parsing over text; the one decoder every stream reader in src/ uses. */
export interface SseParser {
  push(text: string): void;
  /** Delivers a trailing event that lacked its blank line. */
  end(): void;
  /** Whether text of an event not yet delivered is held (a partial line or event). */
  holding(): boolean;
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
  // One pass with a cursor (no regex, one slice of the rest): this runs on every streamed chunk.
  const drain = () => {
    const cr = buffer.includes('\r');
    let pos = 0;
    for (;;) {
      let end = buffer.indexOf('\n', pos);
      let width = 1;
      if (cr) {
        const r = buffer.indexOf('\r', pos);
        if (r !== -1 && (end === -1 || r < end)) {
          // A lone trailing \r may be the first half of \r\n: wait for the next chunk.
          if (r === buffer.length - 1) break;
          end = r;
          width = buffer.charCodeAt(r + 1) === 10 ? 2 : 1;
        }
      }
      if (end === -1) break;
      if (keepRaw) raw += buffer.slice(pos, end + width);
      line(buffer.slice(pos, end));
      pos = end + width;
    }
    if (pos > 0) buffer = buffer.slice(pos);
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
    holding: () => buffer !== '' || raw !== '' || data.length > 0 || eventName !== undefined,
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
