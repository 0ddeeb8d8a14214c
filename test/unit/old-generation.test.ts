import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { limitOldGenerationGrowth } from '../../src/runtime/node/old-generation.js';

const MODULE = fileURLToPath(new URL('../../src/runtime/node/old-generation.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/**
 * A process shaped like a gateway under load: a live heap of ~80 MB (settings, code, caches)
 * and a stream of short-lived objects that outlive two scavenges (requests in flight), so they
 * reach the old generation as garbage. Prints the largest old space it saw, in MB.
 */
const CHURN = `
import v8 from 'node:v8';
const { limitOldGenerationGrowth } = await import(${JSON.stringify(MODULE)});
limitOldGenerationGrowth();
const live = [];
for (let i = 0; i < 300_000; i++) live.push({ id: i, name: 'live-' + i, tags: [i, i + 1] });
const inFlight = new Array(100_000);
let peak = 0;
for (let i = 0; i < 2_500_000; i++) {
  inFlight[i % inFlight.length] = { id: i, text: 'request ' + i, parts: [{ a: i }, { b: i }], more: new Array(8).fill(i) };
  if (i % 5000 === 0) {
    const old = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
    peak = Math.max(peak, old?.space_size ?? 0);
  }
}
process.stdout.write(String(Math.round(peak / 1048576)) + ' ' + live.length);
`;

function peakOldSpaceMb(nodeFlags: string[], env: Record<string, string> = {}): Promise<number> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', TSX, '--input-type=module', '-e', CHURN], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code) =>
      code === 0 ? resolve(Number(out.split(' ')[0])) : reject(new Error(`churn exited ${code}: ${err}`)),
    ),
  );
}

describe('serve bounds the old generation (limitOldGenerationGrowth)', () => {
  it('collects promoted garbage long before it reaches 4x the live heap', async () => {
    // V8's own choice lets this process's old space reach ~350 MB; bounded, ~115 MB.
    expect(await peakOldSpaceMb([])).toBeLessThan(200);
  }, 60_000);

  it('leaves a --heap-growing-percent given on the command line as it is', async () => {
    // 300% asks for a 4x growth: the operator's choice, not serve's 20%.
    expect(await peakOldSpaceMb(['--heap-growing-percent=300'])).toBeGreaterThan(200);
  }, 60_000);

  it('leaves V8 its own growth when SWITCHBOARD_HEAP_GROWING_PERCENT=default', async () => {
    // Node refuses --heap-growing-percent in NODE_OPTIONS: the variable is the operator's switch.
    expect(await peakOldSpaceMb([], { SWITCHBOARD_HEAP_GROWING_PERCENT: 'default' })).toBeGreaterThan(200);
  }, 60_000);

  it('refuses a SWITCHBOARD_HEAP_GROWING_PERCENT that is not a whole number of percent', () => {
    for (const bad of ['abc', '0', '12.5', '-5', '5000'])
      expect(() => limitOldGenerationGrowth({ SWITCHBOARD_HEAP_GROWING_PERCENT: bad })).toThrow(
        /SWITCHBOARD_HEAP_GROWING_PERCENT must be a whole number of percent from 1 to 1000, or "default"/,
      );
  });
});
