import { describe, expect, it } from 'vitest';
import { anthropicOutputSchema } from '../../src/providers/anthropic/output-schema.js';

// What Anthropic's structured outputs refuse is answered 400: a request that worked while the
// format was left out must not start failing now that it is sent.
describe("a JSON schema in Anthropic's structured-outputs dialect", () => {
  it('reads oneOf as anyOf and closes the objects inside it (Pydantic and Zod unions)', () => {
    expect(
      anthropicOutputSchema({
        title: 'Pet',
        oneOf: [
          { type: 'object', title: 'Cat', properties: { meow: { type: 'boolean' } } },
          { type: 'object', properties: { bark: { type: 'boolean' } } },
        ],
      }),
    ).toEqual({
      anyOf: [
        { type: 'object', properties: { meow: { type: 'boolean' } }, additionalProperties: false },
        { type: 'object', properties: { bark: { type: 'boolean' } }, additionalProperties: false },
      ],
    });
  });

  it('moves the keywords it refuses into the description, keeping what it takes', () => {
    expect(
      anthropicOutputSchema({
        type: 'object',
        properties: {
          id: { type: 'string', format: 'int64', pattern: '^[0-9]+$' },
          when: { type: 'string', format: 'date-time' },
          pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }] },
          not_empty: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
          other: { not: { type: 'null' } },
        },
        required: ['id'],
      }),
    ).toEqual({
      type: 'object',
      properties: {
        id: { type: 'string', pattern: '^[0-9]+$', description: '{format: "int64"}' },
        when: { type: 'string', format: 'date-time' },
        pair: { type: 'array', description: '{items: [{"type":"string"},{"type":"number"}]}' },
        not_empty: { type: 'array', items: { type: 'string' }, minItems: 1, description: '{maxItems: 3}' },
        other: { description: '{not: {"type":"null"}}' },
      },
      required: ['id'],
      additionalProperties: false,
    });
  });

  it('closes objects reached through $defs, and a map-shaped object without a type', () => {
    expect(
      anthropicOutputSchema({
        $defs: { Item: { type: 'object', properties: { n: { type: 'integer', minimum: 0 } } } },
        type: 'array',
        items: { $ref: '#/$defs/Item' },
        description: 'Items',
      }),
    ).toEqual({
      $defs: {
        Item: {
          type: 'object',
          properties: { n: { type: 'integer', description: '{minimum: 0}' } },
          additionalProperties: false,
        },
      },
      type: 'array',
      items: { $ref: '#/$defs/Item' },
      description: 'Items',
    });
    expect(anthropicOutputSchema({ additionalProperties: { type: 'string' } })).toEqual({
      additionalProperties: false,
      description: '{additionalProperties: {"type":"string"}}',
    });
  });
});
