import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { MAX_JSON_DEPTH, parseJsonObject } from '../../src/http/read-json.js';

/** A body whose `a` holds `depth - 1` nested arrays: `depth` levels in all, counting the object. */
const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

const refusal = (text: string) => {
  try {
    parseJsonObject(text);
    return null;
  } catch (err) {
    return err instanceof GatewayError ? `${err.code}: ${err.message}` : String(err);
  }
};

describe('parseJsonObject nesting bound', () => {
  it(`accepts a body nested exactly ${MAX_JSON_DEPTH} levels and refuses one level more`, () => {
    expect(refusal(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(refusal(nested(MAX_JSON_DEPTH + 1))).toMatch(/^invalid_json: .*nested more than 128 levels/);
  });

  it('accepts a shallow body with more brackets than the bound, in strings and side by side', () => {
    const text = JSON.stringify({
      messages: Array.from({ length: 200 }, (_, i) => ({ role: 'user', content: `[{ ${i} }]` })),
    });
    expect(refusal(text)).toBeNull();
  });

  it('refuses a deep body that also holds many brackets side by side', () => {
    const wide = Array.from({ length: 300 }, () => '{}').join(',');
    const text = `{"wide":[${wide}],"deep":${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}`;
    expect(refusal(text)).toMatch(/^invalid_json: .*nested more than/);
  });
});
