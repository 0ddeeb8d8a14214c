import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkEdgeSignatureHeader,
  constantTimeEqual,
  REPLAY_WINDOW_S,
  signEdgeRequest,
  verifyEdgeSignature,
} from '../../src/edge/edge-signature.js';

const SECRET = 'edge-secret-for-the-unit-tests-0123456789';
const BODY = JSON.stringify({ batchId: 'b-1', records: [] });
const NOW = 1_780_000_000;
const PATH = '/internal/edge/usage';
const REQ = { method: 'POST', path: PATH, body: BODY };

describe('edge request signature (HMAC-SHA256 over timestamp, method, path and body)', () => {
  it('signs as t=<unix>,v1=<hex HMAC-SHA256 of "t\\nMETHOD\\npath\\nbody">, as any HMAC implementation would', async () => {
    const header = await signEdgeRequest(SECRET, REQ, NOW + 0.7);
    const expected = createHmac('sha256', SECRET).update(`${NOW}\nPOST\n${PATH}\n${BODY}`).digest('hex');
    expect(header).toBe(`t=${NOW},v1=${expected}`);
  });

  it('accepts its own signature within the replay window, either side of the clock', async () => {
    const header = await signEdgeRequest(SECRET, REQ, NOW);
    expect(await verifyEdgeSignature(SECRET, header, REQ, NOW)).toBe('ok');
    expect(await verifyEdgeSignature(SECRET, header, REQ, NOW + REPLAY_WINDOW_S)).toBe('ok');
    expect(await verifyEdgeSignature(SECRET, header, REQ, NOW - REPLAY_WINDOW_S)).toBe('ok');
  });

  it('refuses a timestamp outside the 5-minute window as stale', async () => {
    const header = await signEdgeRequest(SECRET, REQ, NOW);
    expect(await verifyEdgeSignature(SECRET, header, REQ, NOW + REPLAY_WINDOW_S + 1)).toBe('stale');
    expect(await verifyEdgeSignature(SECRET, header, REQ, NOW - REPLAY_WINDOW_S - 1)).toBe('stale');
  });

  it('refuses another secret, a changed body and a re-dated timestamp', async () => {
    const header = await signEdgeRequest(SECRET, REQ, NOW);
    expect(await verifyEdgeSignature(`${SECRET}x`, header, REQ, NOW)).toBe('mismatch');
    expect(await verifyEdgeSignature(SECRET, header, { ...REQ, body: BODY.replace('b-1', 'b-2') }, NOW)).toBe(
      'mismatch',
    );
    const redated = header.replace(`t=${NOW}`, `t=${NOW + 60}`);
    expect(await verifyEdgeSignature(SECRET, redated, REQ, NOW)).toBe('mismatch');
  });

  it('refuses a signature made for another path or method (a body cannot be replayed elsewhere)', async () => {
    const header = await signEdgeRequest(SECRET, REQ, NOW);
    const elsewhere = { ...REQ, path: '/internal/edge/keys/lookup' };
    expect(await verifyEdgeSignature(SECRET, header, elsewhere, NOW)).toBe('mismatch');
    expect(await verifyEdgeSignature(SECRET, header, { ...REQ, method: 'PUT' }, NOW)).toBe('mismatch');
  });

  it('tells a missing, malformed or stale header from the header alone, before any body is read', () => {
    expect(checkEdgeSignatureHeader(undefined, NOW)).toBe('missing');
    expect(checkEdgeSignatureHeader('garbage', NOW)).toBe('malformed');
    const v1 = '0'.repeat(64);
    expect(checkEdgeSignatureHeader(`t=${NOW - REPLAY_WINDOW_S - 1},v1=${v1}`, NOW)).toBe('stale');
    expect(checkEdgeSignatureHeader(`t=${NOW},v1=${v1}`, NOW)).toBe('ok');
  });

  it('refuses a missing or malformed header', async () => {
    expect(await verifyEdgeSignature(SECRET, undefined, REQ, NOW)).toBe('missing');
    expect(await verifyEdgeSignature(SECRET, '', REQ, NOW)).toBe('missing');
    for (const bad of ['v1=00', `t=${NOW}`, `t=${NOW},v1=xyz`, `t=abc,v1=${'0'.repeat(64)}`, 'garbage']) {
      expect(await verifyEdgeSignature(SECRET, bad, REQ, NOW)).toBe('malformed');
    }
  });

  it('accepts an upper-case hex MAC and ignores spaces around the fields', async () => {
    const header = await signEdgeRequest(SECRET, REQ, NOW);
    const [t, v1] = header.split(',') as [string, string];
    expect(await verifyEdgeSignature(SECRET, ` ${t} , v1=${v1.slice(3).toUpperCase()}`, REQ, NOW)).toBe('ok');
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
