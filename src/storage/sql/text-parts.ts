/**
 * The most UTF-16 code units in one stored part of a long text. A code unit is at most 3 bytes
 * of UTF-8 (a BMP character; a 4-byte character is 2 units), so a part is at most 384 KiB, and
 * a row holding two parts stays far under D1's 2 MB bound on a value and a row
 * (`SQLITE_TOOBIG`). SQLite and Postgres take more, but every backend stores alike.
 */
export const PART_UNITS = 128 * 1024;

/**
 * `text` cut into parts of `PART_UNITS` code units (one fewer where the cut would split a
 * surrogate pair, which no backend could store as text), in order; `[text]` when it fits in
 * one part. Joining the parts gives `text` back.
 */
export function splitText(text: string, units: number = PART_UNITS): string[] {
  if (text.length <= units) return [text];
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + units, text.length);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

/**
 * Whether a first part may have more parts after it: every part but the last is `units` long,
 * or one fewer. A shorter first part was stored whole (or is a row from before parts existed).
 */
export const mayContinue = (first: string, units: number = PART_UNITS): boolean => first.length >= units - 1;

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
