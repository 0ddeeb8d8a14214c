import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/node/logger.js';

/** A pino destination that keeps every line it is given. */
function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk).trim());
      done();
    },
  });
  return { lines, stream };
}

describe('the Node logger', () => {
  it('redacts secret fields at any depth, as the Workers logger does (docs/workers.md)', () => {
    const { lines, stream } = capture();
    const logger = createLogger('debug', stream);
    logger.warn({ apiKey: 'sk-top-secret', secret: 'top-level-secret' }, 'top level');
    logger.warn({ channel: { config: { apiKey: 'sk-nested-secret' } } }, 'nested');
    logger.error(
      {
        request: {
          headers: {
            authorization: 'Bearer sk-client-secret',
            'x-api-key': 'sk-ant-secret',
            'x-goog-api-key': 'AIza-header-secret',
            'api-key': 'azure-upstream-secret',
            cookie: 'sb_admin_session=cookie-secret',
            'x-csrf-token': 'csrf-secret',
            'proxy-authorization': 'Basic proxy-secret',
            'content-type': 'application/json',
          },
        },
      },
      'headers under another name',
    );
    // The paths pino censored before still are.
    logger.info({ req: { headers: { authorization: 'Bearer sk-req-secret' } } }, 'req');
    logger.info({ url: 'https://u.example/v1?key=AIza-query-secret' }, 'query');

    expect(lines).toHaveLength(5);
    // Every secret value above ends in "-secret" (field names such as "secret" may stay).
    expect(lines.join('\n')).not.toMatch(/-secret/);
    const third = JSON.parse(lines[2] as string);
    // What is not a secret stays, so the line is still useful.
    expect(third.request.headers['content-type']).toBe('application/json');
    expect(third.request.headers.authorization).toBe('[redacted]');
    expect(JSON.parse(lines[4] as string).url).toBe('https://u.example/v1?key=[redacted]');
  });

  it('writes nothing it did not search: an object nested too deep is replaced, not passed on', () => {
    const { lines, stream } = capture();
    const logger = createLogger('debug', stream);
    logger.warn({ a: { b: { c: { d: { e: { f: { g: { apiKey: 'sk-deep-secret' } } } } } } } }, 'deep');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/-secret/);
    expect(lines[0]).toContain('[nested too deep]');
  });
});
