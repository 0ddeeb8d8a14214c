import { maskableSecrets, scrubSecrets } from '../auth/secret-scrub.js';
import { joinChunks } from './join-chunks.js';

const LF = 0x0a;
const EMPTY = new Uint8Array(0);
const ERROR_KEY = '"error"';
const ERROR_EVENT = 'event: error';

/**
 * A relay transform that masks secrets in SSE events before they reach the client: known
 * secrets in any event, key-shaped text only in error events (an answer that writes an example
 * `sk-…` key is the model's output, not a leak). It forwards whole events only, so a key split
 * across two upstream chunks is still seen whole; an event without anything to scrub goes out as
 * the upstream's own bytes.
 */
export function createSseScrubber(secrets: readonly string[]): {
  push: (chunk: Uint8Array) => Uint8Array;
  flush: () => Uint8Array;
} {
  const known = maskableSecrets(secrets);
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let held = EMPTY;
  const scrub = (bytes: Uint8Array): Uint8Array => {
    if (bytes.byteLength === 0) return bytes;
    const text = decoder.decode(bytes);
    // `"error"` unescaped is a JSON key or an Anthropic `"type":"error"`; a model writing the
    // word inside its text escapes the quotes, so its answer is left alone.
    const out =
      text.includes(ERROR_KEY) || text.includes(ERROR_EVENT)
        ? scrubSecrets(text, known)
        : scrubKnown(text, known);
    return out === text ? bytes : encoder.encode(out);
  };
  return {
    push(chunk) {
      const all = held.byteLength === 0 ? chunk : joinChunks([held, chunk]);
      const cut = lastEventEnd(all);
      held = cut === all.byteLength ? EMPTY : all.slice(cut);
      return scrub(all.subarray(0, cut));
    },
    flush() {
      const rest = held;
      held = EMPTY;
      return scrub(rest);
    },
  };
}

function scrubKnown(text: string, known: readonly string[]): string {
  return known.some((secret) => text.includes(secret)) ? scrubSecrets(text, known) : text;
}

/** The offset just after the last blank line (`\n\n` or `\r\n\r\n`), or 0 if none. */
function lastEventEnd(bytes: Uint8Array): number {
  for (let i = bytes.byteLength - 1; i > 0; i--) {
    if (bytes[i] !== LF) continue;
    if (bytes[i - 1] === LF) return i + 1;
    if (i >= 3 && bytes[i - 1] === 0x0d && bytes[i - 2] === LF) return i + 1;
  }
  return 0;
}
