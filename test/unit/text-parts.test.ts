import { describe, expect, it } from 'vitest';
import { mayContinue, PART_BYTES, splitText } from '../../src/storage/sql/text-parts.js';

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

describe('splitText (long stored-response texts in parts)', () => {
  it('keeps a text that fits in one part whole', () => {
    expect(splitText('')).toEqual(['']);
    expect(splitText('x'.repeat(PART_BYTES))).toEqual(['x'.repeat(PART_BYTES)]);
    expect(mayContinue('x'.repeat(PART_BYTES - 4))).toBe(false);
  });

  it('cuts a long text into full parts and a rest, which join back to it', () => {
    const text = 'ab'.repeat(PART_BYTES + 5);
    const parts = splitText(text);
    expect(parts.map((p) => p.length)).toEqual([PART_BYTES, PART_BYTES, 10]);
    expect(parts.join('')).toBe(text);
    expect(parts.map((p) => mayContinue(p))).toEqual([true, true, false]);
  });

  it('bounds every part in bytes of UTF-8, whatever the characters’ widths', () => {
    for (const char of ['é', '€', '😀', 'a€😀é']) {
      const text = `x${char.repeat(PART_BYTES)}`;
      const parts = splitText(text);
      expect(parts.join('')).toBe(text);
      for (const part of parts) expect(utf8(part)).toBeLessThanOrEqual(PART_BYTES);
      for (const part of parts.slice(0, -1)) {
        expect(utf8(part)).toBeGreaterThan(PART_BYTES - 4);
        expect(mayContinue(part)).toBe(true);
      }
    }
  });

  it('never splits a 4-byte character, so every part is well-formed text', () => {
    // 101 units a part at most, and the pairs fall across every cut.
    const text = `x${'😀'.repeat(1_000)}`;
    const parts = splitText(text, 101);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('')).toBe(text);
    // A lone surrogate does not survive UTF-8 (it becomes U+FFFD).
    for (const part of parts) expect(Buffer.from(part, 'utf8').toString('utf8')).toBe(part);
  });

  it('refuses a part size that cannot hold every character, instead of never finishing', () => {
    expect(() => splitText('😀'.repeat(10), 3)).toThrow(RangeError);
    expect(splitText('😀'.repeat(10), 4)).toHaveLength(10);
  });

  it('keeps a row of two first parts well under D1’s 2,000,000 bytes', () => {
    expect(2 * PART_BYTES).toBeLessThan(1_100_000);
  });
});
