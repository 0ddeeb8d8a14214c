import { setFlagsFromString } from 'node:v8';
import { v8FlagGiven } from './v8-flag-given.js';

/** V8's default: the young generation doubles when most of it survives a scavenge. */
const DEFAULT_GROWTH_FACTOR = 2;

/**
 * Keeps V8's young generation at its initial size while `serve` starts, and lets it grow again
 * once the gateway listens.
 *
 * Start-up allocates ~40 MB that mostly survives (modules, schemas, migrations), which makes V8
 * double the young generation up to its 2 x 16 MB maximum, and an idle process never collects
 * again to shrink it: 30 MB of RSS held for nothing (measured: idle RSS 125 MB, 95 MB with the
 * growth held). Under load it grows as before, where it saves promotions and old-space GCs.
 * `--semi-space-growth-factor` is read by V8 on each resize, so flipping it at run time is
 * enough; a value given on the command line is left alone (Node refuses it in NODE_OPTIONS).
 */
export function holdYoungGeneration(): () => void {
  if (v8FlagGiven(/semi[-_]space/)) return () => {};
  setFlagsFromString('--semi-space-growth-factor=1');
  let released = false;
  return () => {
    if (released) return;
    released = true;
    setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
  };
}
