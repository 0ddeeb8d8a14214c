import { z } from 'zod';

/**
 * A whole number from an environment variable, min to max. Not `z.coerce.number()`: Number('')
 * is 0, so a variable set but empty (`PORT=` from a compose file) would silently mean port 0,
 * and `0x50` or `1e3` would read as 80 and 1000.
 */
export function envWholeNumber(min: number, max: number) {
  return z
    .string()
    .transform((text, ctx) => {
      const value = text.trim();
      if (/^\d+$/.test(value)) return Number(value);
      ctx.addIssue({
        code: 'custom',
        message:
          value === ''
            ? 'set but empty: give a whole number or unset the variable'
            : `expected a whole number, got "${text}"`,
      });
      return z.NEVER;
    })
    .pipe(z.number().int().min(min).max(max));
}
