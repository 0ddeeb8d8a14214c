import { describe, expect, it } from 'vitest';
import { mayContinue, PART_UNITS, splitText } from '../../src/storage/sql/text-parts.js';

describe('splitText (long stored-response texts in parts)', () => {
  it('keeps a text that fits in one part whole', () => {
    expect(splitText('')).toEqual(['']);
    expect(splitText('x'.repeat(PART_UNITS))).toEqual(['x'.repeat(PART_UNITS)]);
  });

  it('cuts a long text into full parts and a rest, which join back to it', () => {
    const text = 'ab'.repeat(PART_UNITS + 5);
    const parts = splitText(text);
    expect(parts.map((p) => p.length)).toEqual([PART_UNITS, PART_UNITS, 10]);
    expect(parts.join('')).toBe(text);
    expect(parts.slice(0, -1).every((p) => mayContinue(p))).toBe(true);
  });

  it('never splits a 4-byte character, so every part is well-formed text', () => {
    const text = `x${'😀'.repeat(PART_UNITS)}`;
    const parts = splitText(text, 101);
    expect(parts.join('')).toBe(text);
    for (const part of parts) {
      // A lone surrogate does not survive UTF-8 (it becomes U+FFFD).
      expect(Buffer.from(part, 'utf8').toString('utf8')).toBe(part);
      expect(part.length).toBeGreaterThanOrEqual(parts.at(-1) === part ? 1 : 100);
    }
  });

  it('keeps the worst case (3 bytes of UTF-8 a unit) far under D1’s 2 MB for a row of two parts', () => {
    const part = splitText('€'.repeat(PART_UNITS * 2))[0] ?? '';
    expect(2 * Buffer.byteLength(part, 'utf8')).toBeLessThan(1_000_000);
    expect(mayContinue('x'.repeat(PART_UNITS - 2))).toBe(false);
  });
});
