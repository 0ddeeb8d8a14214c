import type { LoadResult } from './load.js';

export interface ScenarioResult {
  readonly name: string;
  readonly stream: boolean;
  readonly connections: number;
  /** How long the upstream waits before answering (0, or 50 ms like a real model's first byte). */
  readonly upstreamDelayMs: number;
  readonly direct: LoadResult;
  readonly gateway: LoadResult;
  /** Gateway process CPU time per request answered in this run, in ms. */
  readonly gatewayCpuMsPerRequest: number;
  /** The upstream's own CPU time per request in the direct run, in ms: the mock's cost. */
  readonly upstreamCpuMsPerRequest: number;
  /** The bare Node proxy (bench/bare-proxy.ts), the floor; absent with `--no-bare`. */
  readonly bare?: LoadResult;
  /** The bare proxy's CPU time per request answered, in ms. */
  readonly bareCpuMsPerRequest?: number;
}

export interface Summary {
  readonly addedP50MsAtC1: number;
  readonly saturatedGatewayRps: number;
  /** Gateway p99 minus direct p99, 128 connections, 50 ms upstream. */
  readonly addedP99MsAtSlowC128: number;
  /** Gateway RPS / direct RPS, 128 connections, 50 ms upstream. */
  readonly rpsRatioAtSlowC128: number;
  readonly peakRssMb: number;
  readonly idleRssMb: number;
  /** The bare proxy's peak and idle RSS, measured as the gateway's (absent with `--no-bare`). */
  readonly barePeakRssMb?: number;
  readonly bareIdleRssMb?: number;
}

/** The issue's targets for this 2-core machine. */
export const TARGETS = {
  addedP50MsAtC1: 0.3,
  saturatedGatewayRps: 4_500,
  addedP99MsAtSlowC128: 20,
  rpsRatioAtSlowC128: 0.9,
  peakRssMb: 120,
  idleRssMb: 60,
} as const;

const fmt = {
  rps: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => n.toFixed(2),
  ratio: (n: number) => n.toFixed(2),
};

/** The table `npm run bench` prints. */
export function formatReport(scenarios: readonly ScenarioResult[], summary: Summary): string {
  const withBare = scenarios.some((s) => s.bare);
  const header = [
    'scenario',
    'direct RPS',
    'p50 ms',
    'p99 ms',
    ...(withBare ? ['bare RPS', 'p50 ms'] : []),
    'gateway RPS',
    'p50 ms',
    'p99 ms',
    'gw/direct',
    'added p99',
  ];
  const rows = scenarios.map((s) => [
    s.name,
    fmt.rps(s.direct.rps),
    fmt.ms(s.direct.p50Ms),
    fmt.ms(s.direct.p99Ms),
    ...(withBare ? [fmt.rps(s.bare?.rps ?? Number.NaN), fmt.ms(s.bare?.p50Ms ?? Number.NaN)] : []),
    fmt.rps(s.gateway.rps),
    fmt.ms(s.gateway.p50Ms),
    fmt.ms(s.gateway.p99Ms),
    fmt.ratio(s.gateway.rps / s.direct.rps),
    fmt.ms(s.gateway.p99Ms - s.direct.p99Ms),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number)))
      .join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');

  const check = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const out = [line(header), rule, ...rows.map(line), ''];
  out.push(
    `added p50 at concurrency 1   ${fmt.ms(summary.addedP50MsAtC1)} ms   (target < ${TARGETS.addedP50MsAtC1} ms: ${check(summary.addedP50MsAtC1 < TARGETS.addedP50MsAtC1)})`,
    `gateway non-stream @32       ${fmt.rps(summary.saturatedGatewayRps)} RPS   (target >= ${fmt.rps(TARGETS.saturatedGatewayRps)}: ${check(summary.saturatedGatewayRps >= TARGETS.saturatedGatewayRps)})`,
    `added p99 at 50 ms, c=128    ${fmt.ms(summary.addedP99MsAtSlowC128)} ms   (target <= ${TARGETS.addedP99MsAtSlowC128} ms: ${check(summary.addedP99MsAtSlowC128 <= TARGETS.addedP99MsAtSlowC128)})`,
    `gw/direct at 50 ms, c=128    ${fmt.ratio(summary.rpsRatioAtSlowC128)}   (target >= ${TARGETS.rpsRatioAtSlowC128}: ${check(summary.rpsRatioAtSlowC128 >= TARGETS.rpsRatioAtSlowC128)})`,
    `gateway peak RSS             ${summary.peakRssMb.toFixed(1)} MB   (target <= ${TARGETS.peakRssMb} MB: ${check(summary.peakRssMb <= TARGETS.peakRssMb)})`,
    `gateway idle RSS             ${summary.idleRssMb.toFixed(1)} MB   (target <= ${TARGETS.idleRssMb} MB: ${check(summary.idleRssMb <= TARGETS.idleRssMb)})`,
    `gateway CPU per request      ${scenarios.map((s) => `${s.name} ${s.gatewayCpuMsPerRequest.toFixed(3)} ms`).join(', ')}`,
    `upstream CPU per request     ${scenarios.map((s) => `${s.name} ${s.upstreamCpuMsPerRequest.toFixed(3)} ms`).join(', ')}`,
  );
  if (withBare)
    out.push(
      `bare proxy CPU per request   ${scenarios.map((s) => `${s.name} ${(s.bareCpuMsPerRequest ?? Number.NaN).toFixed(3)} ms`).join(', ')}`,
      `gateway / bare proxy CPU     ${scenarios.map((s) => `${s.name} ${fmt.ratio(s.gatewayCpuMsPerRequest / (s.bareCpuMsPerRequest ?? Number.NaN))}x`).join(', ')}`,
      `bare proxy peak / idle RSS   ${(summary.barePeakRssMb ?? Number.NaN).toFixed(1)} / ${(summary.bareIdleRssMb ?? Number.NaN).toFixed(1)} MB`,
    );
  const failed = scenarios.flatMap((s) =>
    (['direct', 'bare', 'gateway'] as const).flatMap((side) => {
      const run = s[side];
      return run && run.non2xx + run.errors + run.timeouts > 0
        ? [`WARNING ${s.name} ${side}: ${run.non2xx} non-2xx, ${run.errors} errors, ${run.timeouts} timeouts`]
        : [];
    }),
  );
  return [...out, ...failed].join('\n');
}
