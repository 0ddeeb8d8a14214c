import fc from 'fast-check';
import { DEEP, HUGE, HUGE_LITERALS } from './fuzz-values.js';
import type { BodyKind } from './route-catalogue.js';
import { schemaBody } from './schema-bodies.js';

/**
 * Request bodies built from each route's schema, then bent: fields of the wrong type, numbers too
 * large for a double, deep nesting, truncation, invalid UTF-8, or nothing at all.
 */

export interface Pools {
  readonly models: readonly string[];
  readonly credentials: readonly string[];
  readonly ids: readonly string[];
  readonly baseUrls: readonly string[];
}

/** Raw JSON text with the placeholders replaced by what JSON.stringify cannot write. */
function rawJson(value: unknown, huge: string, depth: number): string {
  const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  return JSON.stringify(value).replaceAll(`"${HUGE}"`, huge).replaceAll(`"${DEEP}"`, deep);
}

/** Text when it is text (readable in a counterexample); bytes only for invalid UTF-8. */
export type FuzzBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array<ArrayBuffer> };

const encode = (text: string): FuzzBody => ({ kind: 'text', text });

export function bodyArbitrary(kind: BodyKind, pools: Pools): fc.Arbitrary<FuzzBody> {
  const json = fc
    .tuple(schemaBody(kind, pools), fc.constantFrom(...HUGE_LITERALS), fc.constantFrom(3, 200, 20_000))
    .map(([value, huge, depth]) => rawJson(value, huge, depth));
  const invalidUtf8 = fc
    .tuple(json, fc.nat(), fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]))
    .map(([s, at, bad]): FuzzBody => {
      const bytes = new TextEncoder().encode(s);
      const cut = bytes.length === 0 ? 0 : at % bytes.length;
      return { kind: 'bytes', bytes: new Uint8Array([...bytes.slice(0, cut), ...bad, ...bytes.slice(cut)]) };
    });
  return fc.oneof(
    { weight: 8, arbitrary: json.map(encode) },
    {
      weight: 2,
      arbitrary: fc.tuple(json, fc.nat()).map(([s, n]) => encode(s.slice(0, n % (s.length + 1)))),
    },
    { weight: 1, arbitrary: invalidUtf8 },
    { weight: 1, arbitrary: fc.constant<FuzzBody>({ kind: 'none' }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => encode(JSON.stringify(v) ?? '')) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map(encode) },
  );
}
