/** Characters that must be escaped inside a quoted array element. */
const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/**
 * A column of values as one Postgres array literal (`{1,NULL,"a \"b\""}`), sent as a single text
 * parameter and cast to the column's array type (postgresDialect.rowSource). The same literal
 * `pg` builds for a JS array, without its per-element work: a number is written as it prints
 * (Postgres reads exponent forms), a string is quoted and escaped only when it holds `"` or `\`.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    if (value === null || value === undefined) out += 'NULL';
    else if (typeof value === 'number' || typeof value === 'bigint') out += String(value);
    else if (typeof value === 'boolean') out += value ? 't' : 'f';
    else {
      const text = String(value);
      out += `"${NEEDS_ESCAPE.test(text) ? text.replace(ESCAPED, '\\$&') : text}"`;
    }
  }
  return `${out}}`;
}
