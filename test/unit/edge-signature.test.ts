import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  REPLAY_WINDOW_S,
  signEdgeBody,
  verifyEdgeSignature,
} from '../../src/edge/edge-signature.js';

const SECRET = 'edge-secret-for-the-unit-tests-0123456789';
const BODY = JSON.stringify({ batchId: 'b-1', records: [] });
const NOW = 1_780_000_000;

describe('edge request signature (HMAC-SHA256 over timestamp and body)', () => {
  it('signs as t=<unix>,v1=<hex HMAC-SHA256 of "t.body">, the same as any HMAC implementation', async () => {
    const header = await signEdgeBody(SECRET, BODY, NOW + 0.7);
    const expected = createHmac('sha256', SECRET).update(`${NOW}.${BODY}`).digest('hex');
    expect(header).toBe(`t=${NOW},v1=${expected}`);
  });

  it('accepts its own signature within the replay window, either side of the clock', async () => {
    const header = await signEdgeBody(SECRET, BODY, NOW);
    expect(await verifyEdgeSignature(SECRET, header, BODY, NOW)).toBe('ok');
    expect(await verifyEdgeSignature(SECRET, header, BODY, NOW + REPLAY_WINDOW_S)).toBe('ok');
    expect(await verifyEdgeSignature(SECRET, header, BODY, NOW - REPLAY_WINDOW_S)).toBe('ok');
  });

  it('refuses a timestamp outside the 5-minute window as stale', async () => {
    const header = await signEdgeBody(SECRET, BODY, NOW);
    expect(await verifyEdgeSignature(SECRET, header, BODY, NOW + REPLAY_WINDOW_S + 1)).toBe('stale');
    expect(await verifyEdgeSignature(SECRET, header, BODY, NOW - REPLAY_WINDOW_S - 1)).toBe('stale');
  });

  it('refuses another secret, a changed body and a re-dated timestamp', async () => {
    const header = await signEdgeBody(SECRET, BODY, NOW);
    expect(await verifyEdgeSignature(`${SECRET}x`, header, BODY, NOW)).toBe('mismatch');
    expect(await verifyEdgeSignature(SECRET, header, BODY.replace('b-1', 'b-2'), NOW)).toBe('mismatch');
    const redated = header.replace(`t=${NOW}`, `t=${NOW + 60}`);
    expect(await verifyEdgeSignature(SECRET, redated, BODY, NOW)).toBe('mismatch');
  });

  it('refuses a missing or malformed header', async () => {
    expect(await verifyEdgeSignature(SECRET, undefined, BODY, NOW)).toBe('missing');
    expect(await verifyEdgeSignature(SECRET, '', BODY, NOW)).toBe('missing');
    for (const bad of ['v1=00', `t=${NOW}`, `t=${NOW},v1=xyz`, `t=abc,v1=${'0'.repeat(64)}`, 'garbage']) {
      expect(await verifyEdgeSignature(SECRET, bad, BODY, NOW)).toBe('malformed');
    }
  });

  it('accepts an upper-case hex MAC and ignores spaces around the fields', async () => {
    const header = await signEdgeBody(SECRET, BODY, NOW);
    const [t, v1] = header.split(',') as [string, string];
    expect(await verifyEdgeSignature(SECRET, ` ${t} , v1=${v1.slice(3).toUpperCase()}`, BODY, NOW)).toBe(
      'ok',
    );
  });
});

describe('constantTimeEqual', () => {
  it('is string equality', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abd', 'abc')).toBe(false);
    expect(constantTimeEqual('abc', 'ab')).toBe(false);
    expect(constantTimeEqual('ab', 'abc')).toBe(false);
    expect(constantTimeEqual('a\u0000', 'a')).toBe(false);
  });

  it('reads every character whatever the first difference (no early exit)', () => {
    // Counts the reads of each string: a comparison that stops at the first difference reads
    // fewer characters of a string that differs early than of one that differs late.
    const reads = (s: string) => {
      let n = 0;
      const counted = Object.create(String.prototype) as string;
      Object.defineProperties(counted, {
        length: { get: () => s.length },
        charCodeAt: {
          value: (i: number) => {
            n++;
            return s.charCodeAt(i);
          },
        },
      });
      return { counted, count: () => n };
    };
    const base = 'f'.repeat(64);
    const early = reads(`0${'f'.repeat(63)}`);
    const late = reads(`${'f'.repeat(63)}0`);
    expect(constantTimeEqual(base, early.counted)).toBe(false);
    expect(constantTimeEqual(base, late.counted)).toBe(false);
    expect(early.count()).toBe(64);
    expect(late.count()).toBe(64);
  });
});
