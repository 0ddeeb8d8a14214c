import fc from 'fast-check';

/** The values the body arbitraries are made of: mostly valid, sometimes bent. */

/** Placeholders that survive JSON.stringify and are then swapped for raw JSON text. */
export const HUGE = '__FUZZ_HUGE__';
export const DEEP = '__FUZZ_DEEP__';
export const HUGE_LITERALS = [
  '1e999',
  '-1e999',
  '123456789012345678901234567890',
  '-0',
  '1e-400',
  '9007199254740993',
];

export const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', '\u0000', '<think>', '\ud800', '../../etc/passwd', '%00'),
  },
);
const wrongType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constant(HUGE),
  fc.constant(DEEP),
  text,
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(text, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** Mostly a valid value, sometimes anything else. */
function field<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: wrongType });
}

/** A name the admin schemas accept, mostly; sometimes any text. */
export const name = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^fz[a-z0-9_-]{1,10}$/) },
  { weight: 1, arbitrary: text },
);

/** Valid where a schema wants at least 1; `field` supplies the zeros, negatives and junk. */
export const positive = fc.integer({ min: 1, max: 100_000 });
export const secret = fc.string({ minLength: 1, maxLength: 24 });

export const count = fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.constant(HUGE), fc.constant(0));
export const ratio = fc.oneof(fc.double({ min: -1, max: 3, noNaN: true }), fc.constant(HUGE));

/** An object whose keys are all optional, plus the odd unknown key. */
export function object(shape: Record<string, fc.Arbitrary<unknown>>, required: string[] = []) {
  const fields = fc.record(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, field(v)])), {
    requiredKeys: required,
  });
  return fc
    .tuple(
      fields,
      fc.oneof(
        { weight: 5, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.dictionary(text, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }) },
      ),
    )
    .map(([known, extra]) => ({ ...(extra ?? {}), ...known }));
}
