/**
 * The most bytes of UTF-8 in one stored part of a long text. The entry's row holds two first
 * parts (response and input items), at most 1 MiB, so it stays well under D1's 2,000,000-byte
 * bound on a value and a row (`SQLITE_TOOBIG`). SQLite and Postgres take more, but every
 * backend stores alike. It may be lowered, never raised: a read looks for more parts only after
 * a nearly full first part (mayContinue), so first parts stored under a smaller bound would no
 * longer look full, and their other parts would be missed.
 */
export const PART_BYTES = 512 * 1024;

const encoder = new TextEncoder();

/**
 * `text` cut into parts of at most `bytes` bytes of UTF-8, in order, never inside a character
 * (a cut surrogate pair could not be stored as text); `[text]` when it fits in one. Joining the
 * parts gives `text` back. Every part but the last holds more than `bytes - 4` bytes: the next
 * character (at most 4 bytes) did not fit.
 */
export function splitText(text: string, bytes: number = PART_BYTES): string[] {
  // A part must hold any one character (4 bytes at most), or the loop below would not advance.
  if (bytes < 4) throw new RangeError(`a part of ${bytes} bytes cannot hold every character`);
  // No UTF-16 unit is more than 3 bytes of UTF-8.
  if (text.length * 3 <= bytes) return [text];
  const buffer = new Uint8Array(bytes);
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    // A part has at most `bytes` units (a unit is at least a byte); not ending on half a pair.
    let end = Math.min(start + bytes, text.length);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    // encodeInto stops before the first character that does not fit: `read` units fit.
    const { read } = encoder.encodeInto(text.slice(start, end), buffer);
    parts.push(text.slice(start, start + read));
    start += read;
  }
  return parts;
}

/**
 * Whether a first part may have more parts after it: it is nearly full (see splitText). A
 * shorter one was stored whole, as was every row from before parts existed (their texts read
 * whole either way).
 */
export function mayContinue(first: string, bytes: number = PART_BYTES): boolean {
  if (first.length * 3 <= bytes - 4) return false;
  return encoder.encode(first).length > bytes - 4;
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
