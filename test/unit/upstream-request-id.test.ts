import { describe, expect, it } from 'vitest';
import { upstreamRequestId } from '../../src/router/upstream-request-id.js';

const read = (headers: Record<string, string>) => upstreamRequestId(new Headers(headers));

describe('upstreamRequestId', () => {
  it("reads x-request-id, else Anthropic's request-id, and prefers x-request-id", () => {
    expect(read({ 'x-request-id': 'req_abc' })).toBe('req_abc');
    expect(read({ 'request-id': 'req_011CX' })).toBe('req_011CX');
    expect(read({ 'x-request-id': 'req-x', 'request-id': 'req-plain' })).toBe('req-x');
    expect(read({})).toBeNull();
  });

  it('takes visible ASCII up to 128 characters', () => {
    const visible = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    expect(read({ 'x-request-id': visible })).toBe(visible);
    expect(read({ 'x-request-id': 'r'.repeat(128) })).toBe('r'.repeat(128));
  });

  it.each([
    ['a space', 'req 1'],
    ['a tab', 'req\t1'],
    ['a DEL', 'req\x7f1'],
    ['a byte past ASCII', 'req-\u00e9'],
    ['129 characters', 'r'.repeat(129)],
    ['a repeated header (joined with a comma and a space)', 'a, b'],
  ])('omits an id with %s', (_what, id) => {
    expect(read({ 'x-request-id': id })).toBeNull();
  });

  it('does not fall back to request-id when x-request-id is there but unusable', () => {
    expect(read({ 'x-request-id': 'bad id', 'request-id': 'good' })).toBeNull();
  });

  it('omits an empty id', () => {
    expect(read({ 'x-request-id': '' })).toBeNull();
  });
});
