import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConsoleLogger } from '../../src/runtime/workers/console-logger.js';

/** Every line the Workers logger wrote, whatever the console method. */
function captureConsole(): string[] {
  const lines: string[] = [];
  for (const method of ['log', 'warn', 'error'] as const)
    vi.spyOn(console, method).mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe('the Workers console logger', () => {
  it('redacts what the Node logger redacts: secret headers, apiKey/secret fields and ?key= in URLs and messages', () => {
    const lines = captureConsole();
    const logger = createConsoleLogger('debug');
    logger.error(
      {
        requestId: 'r-1',
        req: { url: 'https://gw.example/v1beta/models/m:generateContent?alt=sse&key=AIza-query-secret' },
        headers: {
          authorization: 'Bearer sk-header-secret',
          'x-api-key': 'sk-ant-secret',
          'x-goog-api-key': 'AIza-header-secret',
          'content-type': 'application/json',
        },
        channel: { name: 'gemini', apiKey: 'AIza-field-secret' },
        sealing: { secret: 'seal-secret' },
        err: { message: 'Invalid URL: https://x.example/v1?key=AIza-error-secret' },
      },
      'failed https://x.example/path?key=AIza-message-secret',
    );
    logger.info({ attempts: [{ url: 'https://u.example/?a=1&key=AIza-deep-secret' }] }, 'done');

    expect(lines).toHaveLength(2);
    const text = lines.join('\n');
    // Every secret value above ends in "-secret" (field names such as "secret" may stay).
    expect(text).not.toMatch(/-secret/);
    const first = JSON.parse(lines[0] as string);
    // What is not a secret stays as it was, so the line is still useful.
    expect(first).toMatchObject({
      level: 'error',
      requestId: 'r-1',
      req: { url: 'https://gw.example/v1beta/models/m:generateContent?alt=sse&key=[redacted]' },
      headers: { authorization: '[redacted]', 'content-type': 'application/json' },
      channel: { name: 'gemini', apiKey: '[redacted]' },
      msg: 'failed https://x.example/path?key=[redacted]',
    });
  });

  it('writes nothing below its level, and keeps non-string values', () => {
    const lines = captureConsole();
    const logger = createConsoleLogger('warn');
    logger.info({ a: 1 }, 'hidden');
    logger.warn({ count: 3, ok: false, none: null }, 'shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'warn', count: 3, ok: false, none: null });
  });
});
