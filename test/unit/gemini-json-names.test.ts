import { describe, expect, it } from 'vitest';
import { withJsonNames } from '../../src/providers/gemini/json-names.js';
import type { JsonObject } from '../../src/spec/json.js';

describe('Gemini proto names to JSON names', () => {
  it('renames a key whose JSON name is also a built-in object member, instead of dropping it', () => {
    const out = withJsonNames(
      JSON.parse('{"value_of": 1, "to_string": {"has_own_property": 2}}') as JsonObject,
    );
    expect(Object.hasOwn(out, 'valueOf')).toBe(true);
    expect(out.valueOf).toBe(1);
    expect(out.toString).toEqual({ hasOwnProperty: 2 });
  });

  it('leaves a __proto__ key out: it would become the prototype its fields are inherited from', () => {
    const body = JSON.parse(
      '{"__proto__": {"generation_config": {"temperature": 0}}, "contents": []}',
    ) as JsonObject;
    const out = withJsonNames(body);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.generationConfig).toBeUndefined();
    expect(out).toEqual({ contents: [] });
  });
});
