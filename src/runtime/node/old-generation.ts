import { setFlagsFromString } from 'node:v8';
import { v8FlagGiven } from './v8-flag-given.js';

/**
 * How far V8 lets the old generation grow past what its last full GC kept, in percent.
 *
 * V8 sizes the next full GC's trigger from the collector's speed: a gateway whose full GCs are
 * quick gets the largest factor (up to 4x), so under load the garbage that outlives two
 * scavenges (requests in flight at high concurrency) piles up to ~4x the live heap before it is
 * collected: measured at c=128, 35 MB live and 136 MB of old space before the next full GC, a
 * peak RSS of ~250 MB. At 20% the trigger sits at live + 20% (V8 adds at least 8 MB and the
 * young generation's size), full GCs come sooner and stay short (marking is incremental and
 * concurrent), and peak RSS drops to ~170 MB at no measurable CPU per request (docs/deployment.md).
 */
export const OLD_GENERATION_GROWTH_PERCENT = 20;

/** Environment variable that overrides the 20%: a whole number of percent, or `default`. */
export const HEAP_GROWING_ENV = 'SWITCHBOARD_HEAP_GROWING_PERCENT';

/**
 * Sets `--heap-growing-percent` for `serve` (V8 reads it at each full GC, so setting it at run
 * time is enough). Node refuses this flag in NODE_OPTIONS, so operators choose through
 * SWITCHBOARD_HEAP_GROWING_PERCENT (`default`: V8's own growth); a value given on the command
 * line (`node --heap-growing-percent=N dist/cli/main.js serve`) is left alone.
 */
export function limitOldGenerationGrowth(env: NodeJS.ProcessEnv = process.env): void {
  if (v8FlagGiven(/heap[-_]growing[-_]percent/)) return;
  const chosen = env[HEAP_GROWING_ENV]?.trim();
  if (chosen === 'default') return;
  const percent = chosen === undefined || chosen === '' ? OLD_GENERATION_GROWTH_PERCENT : Number(chosen);
  if (!Number.isInteger(percent) || percent < 1 || percent > 1000)
    throw new Error(
      `${HEAP_GROWING_ENV} must be a whole number of percent from 1 to 1000, or "default" for V8's own growth (got "${chosen}")`,
    );
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
