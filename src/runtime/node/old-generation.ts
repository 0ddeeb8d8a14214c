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

/**
 * Sets `--heap-growing-percent` for `serve` (V8 reads it at each full GC, so setting it at run
 * time is enough). A value given on the command line or in NODE_OPTIONS is left alone.
 */
export function limitOldGenerationGrowth(): void {
  if (v8FlagGiven(/heap[-_]growing[-_]percent/)) return;
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
}
