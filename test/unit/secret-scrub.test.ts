import { describe, expect, it } from 'vitest';
import { scrubJsonText, scrubSecrets } from '../../src/auth/secret-scrub.js';
import { createSseTap } from '../../src/streaming/sse-tap.js';

describe('scrubSecrets', () => {
  it.each([
    'sk-ant-api03-abcdefghijklmnop0123',
    'sk-proj-abcdefghijklmnop0123',
    'sk-abcdefghijklmnop0123456789',
    'AIzaSyAbcdefghijklmnop0123456789',
    'nvapi-abcdefghijklmnop0123',
    'fw_abcdefghijklmnop0123',
    'gsk_abcdefghijklmnop0123',
  ])('masks a key shaped like %s that it was not told about', (key) => {
    const out = scrubSecrets(`bad key: ${key}.`);
    expect(out).not.toContain(key);
    expect(out).toContain(key.slice(-4));
  });

  it('masks long tokens after Bearer and api key labels', () => {
    const out = scrubSecrets('got Bearer abcdefghijklmnop0123 and api_key="qrstuvwxyz0123456789"');
    expect(out).not.toContain('abcdefghijklmnop0123');
    expect(out).not.toContain('qrstuvwxyz0123456789');
  });

  it('masks a known secret of any shape and leaves ordinary text alone', () => {
    expect(scrubSecrets('key my-own-secret-42 refused', ['my-own-secret-42'])).toBe('key my-…t-42 refused');
    expect(scrubSecrets('model gpt-4o does not exist')).toBe('model gpt-4o does not exist');
  });

  it('keeps JSON valid when the secret appears escaped in a string value', () => {
    const secret = 'we"ird\\secret-value';
    const body = JSON.stringify({ error: { message: `bad key ${secret}` } });
    const out = scrubJsonText(body, [secret]);
    expect(out).not.toContain('ird');
    expect(JSON.parse(out)).toEqual({ error: { message: 'bad key we"…alue' } });
  });
});

describe('createSseTap scrubbing', () => {
  const encoder = new TextEncoder();
  const run = (chunks: string[], known: string[]) => {
    const scrubber = createSseTap({ secrets: known, stripUsage: false });
    const decoder = new TextDecoder();
    return (
      chunks.map((c) => decoder.decode(scrubber.push(encoder.encode(c)))).join('') +
      decoder.decode(scrubber.flush())
    );
  };

  it('masks a known key split across two upstream chunks', () => {
    const key = 'my-upstream-key-0123456789';
    const out = run([`data: {"error":{"message":"bad key my-upstr`, `eam-key-0123456789"}}\n\n`], [key]);
    expect(out).not.toContain(key);
    expect(JSON.parse(out.slice(6))).toEqual({ error: { message: 'bad key my-…6789' } });
  });

  it('leaves a key-shaped example in a normal answer alone, and passes events through whole', () => {
    const answer = 'data: {"choices":[{"delta":{"content":"use sk-abcdefghijklmnopqrstuv here"}}]}\n\n';
    expect(run([answer.slice(0, 20), answer.slice(20)], [])).toBe(answer);
  });

  it('masks a known secret in a normal answer, after multi-byte text, and relays clean events as sent', () => {
    const key = 'clé-secrète-0123456789';
    const clean = 'data: {"choices":[{"delta":{"content":"héllo — wörld"}}]}\n\n';
    const leaky = `data: {"choices":[{"delta":{"content":"ünïcode then ${key}"}}]}\n\n`;
    const scrubber = createSseTap({ secrets: [key], stripUsage: false });
    const cleanBytes = encoder.encode(clean);
    expect(scrubber.push(cleanBytes)).toStrictEqual(cleanBytes);
    const out = new TextDecoder().decode(scrubber.push(encoder.encode(leaky)));
    expect(out).not.toContain(key);
    expect(out).toContain('ünïcode then clé…6789');
  });
});
