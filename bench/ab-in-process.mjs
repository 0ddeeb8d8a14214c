#!/usr/bin/env node
// Two checkouts measured against each other in one process, in alternating rounds: the CPU per
// request of each round, then each side's median and lowest. On a shared machine a run's speed
// drifts by 10-25% from minute to minute, more than most changes are worth; rounds a few hundred
// milliseconds long, alternated, see the same drift on both sides.
//
//   node bench/ab-in-process.mjs <before> <after> <stream|nonstream> [requests a round=3000] [rounds=10] [concurrency=32]
//   BENCH_LIMITS=1 / BENCH_UPSTREAM_DELAY_MS=50 / BENCH_DATABASE_URL=sqlite:/tmp/x.db as in-process.mjs
//
// Each checkout needs a fresh dist/ (`npx tsc -p tsconfig.build.json`). Both gateways share the
// heap, so each round's garbage may be collected in the other's: the alternation spreads it evenly.
import { resolve } from 'node:path';
import { startInProcessGateway } from './in-process-gateway.mjs';

const [beforeArg, afterArg, mode = 'nonstream', nArg = '3000', roundsArg = '10', concArg = '32'] =
  process.argv.slice(2);
const perRound = Number(nArg);
const rounds = Number(roundsArg);
const concurrency = Number(concArg);
if (!beforeArg || !afterArg || !['stream', 'nonstream'].includes(mode) || !(perRound > 0) || !(rounds > 0)) {
  console.error(
    'usage: node bench/ab-in-process.mjs <before> <after> <stream|nonstream> [requests a round] [rounds] [concurrency]',
  );
  process.exit(2);
}
const options = {
  mode,
  limits: Boolean(process.env.BENCH_LIMITS),
  upstreamDelayMs: Number(process.env.BENCH_UPSTREAM_DELAY_MS ?? 0),
};
const base = process.env.BENCH_DATABASE_URL;
const sides = [];
for (const [name, dir] of [
  ['before', resolve(beforeArg)],
  ['after', resolve(afterArg)],
]) {
  // A file each: two gateways on one database file would share its write lock.
  const databaseUrl = base ? `${base}.${name}` : undefined;
  sides.push({ name, dir, gateway: await startInProcessGateway(dir, { ...options, databaseUrl }), cpu: [] });
}
for (const side of sides) await side.gateway.run(Math.min(1000, perRound), concurrency); // warm-up
for (let round = 0; round < rounds; round++) {
  // before, after; then after, before: neither side always runs right after the other's garbage.
  const order = round % 2 === 0 ? sides : [...sides].reverse();
  for (const side of order) {
    const cpu0 = process.cpuUsage();
    await side.gateway.run(perRound, concurrency);
    const cpu = process.cpuUsage(cpu0);
    side.cpu.push((cpu.user + cpu.system) / perRound);
  }
}
/** The value below which `q` of the rounds fall (linear between neighbours). */
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
};
// The quiet rounds are the steadiest measure: a round that a major GC, the usage fold or a
// neighbour on the machine lands in costs up to twice as much.
for (const side of sides) {
  const figures = [0, 0.25, 0.5].map((q) => quantile(side.cpu, q).toFixed(1));
  console.log(
    `${side.name.padEnd(6)} ${side.dir}  cpu_us_per_req lowest ${figures[0]}  p25 ${figures[1]}  median ${figures[2]}`,
  );
}
const [before, after] = sides;
for (const [label, q] of [
  ['lowest', 0],
  ['p25', 0.25],
  ['median', 0.5],
]) {
  const change = (quantile(after.cpu, q) / quantile(before.cpu, q) - 1) * 100;
  console.log(`after/before, ${label}: ${change >= 0 ? '+' : ''}${change.toFixed(1)}%`);
}
for (const side of sides) await side.gateway.close();
