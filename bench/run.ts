import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type GatewayStorage, prepareGatewayStorage } from './gateway-storage.js';
import { type LoadOptions, runLoad } from './load.js';
import { killAllChildren, readCpuMs, readRss, sampleRss, startChild, stopChild } from './processes.js';
import { formatReport, type ScenarioResult, TARGETS } from './report.js';

/**
 * `npm run bench`: the gateway's overhead over a direct call. Starts the lean upstream and the
 * real gateway (`node dist/cli/main.js serve`, key auth on, SQLite file, LOG_LEVEL=warn) as two
 * separate processes, then drives autocannon at each: non-stream at 1, 32 and 128 connections,
 * stream at 32, and non-stream at 128 on an upstream that answers after 50 ms. Each scenario
 * also drives a bare Node proxy (bench/bare-proxy.mjs, the floor any Node gateway pays) unless
 * `--no-bare`. `--database postgres://…` and `--redis redis://…` run the gateway on Postgres
 * and/or Redis instead of its SQLite file. See bench/README.md for how to read the figures.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const UPSTREAM_KEY = 'sk-bench-upstream';

const USAGE = `usage: npm run bench -- [options]   (bench/README.md)
  --duration S        seconds measured per run (default 10)
  --warmup S          seconds of warm-up per run, discarded (default 2)
  --process-warmup S  seconds each process is driven once before the first scenario, so
                      that V8 has compiled its hot paths (default 10; 0: measure it cold)
  --no-build          use dist/ as it is instead of running npm run build
  --no-bare           leave out the bare Node proxy (the floor)
  --cpu-prof          write the gateway's CPU profile to bench/results/profiles/
  --gateway-flags F   extra Node flags for the gateway process
  --only "A,B"        only these scenarios (names as in the table)
  --database URL      the gateway on this postgres:// database (a schema of the bench's own)
  --redis URL         the gateway's shared state on this redis:// server
  --limits            every key limited, so each request reserves and settles
  --out FILE          where the JSON report goes (default bench/results/latest.json)
`;

const { values: flags } = parseBenchArgs();

function parseBenchArgs() {
  try {
    const parsed = parseBenchOptions();
    if (parsed.values.help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    for (const name of ['duration', 'warmup', 'process-warmup'] as const) {
      const value = Number(parsed.values[name]);
      if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number of seconds`);
    }
    return parsed;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

function parseBenchOptions() {
  return parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      /**
       * Seconds each side is driven once before the first scenario (half non-stream, half stream,
       * 8 connections): a gateway serves for days, so the figures are those of code V8 has
       * compiled, not of its first few thousand requests.
       */
      'process-warmup': { type: 'string', default: '10' },
      'no-build': { type: 'boolean', default: false },
      /** Skip the bare Node proxy (bench/bare-proxy.mjs), the floor measured beside the gateway. */
      'no-bare': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      /** Extra Node flags for the gateway process (experiments, e.g. `--max-semi-space-size=8`). */
      'gateway-flags': { type: 'string', default: '' },
      /** Comma-separated scenario names to run, e.g. `--only "non-stream c=1"` (profiling one case). */
      only: { type: 'string' },
      /** A postgres:// URL: the gateway stores in a schema of the bench's own there (dropped after). */
      database: { type: 'string' },
      /** A redis:// URL: the gateway shares its state there, under a key prefix of the bench's own. */
      redis: { type: 'string' },
      /**
       * Every key limited (rpm, tpm, concurrency, a budget), so each request reserves and settles
       * in the counter store, at limits the load never reaches.
       */
      limits: { type: 'boolean', default: false },
      /** Where the JSON report goes (default bench/results/latest.json), to compare commits. */
      out: { type: 'string' },
    },
  });
}
const durationS = Number(flags.duration);
const warmupS = Number(flags.warmup);
const processWarmupS = Number(flags['process-warmup']);

const messages = [
  { role: 'system', content: 'You are a concise assistant.' },
  { role: 'user', content: 'Say one short sentence about a fox.' },
];
/** The upstream answers `/delay-50/v1/…` after 50 ms: the gateway reaches it as `bench-model-50ms`. */
const SLOW_MS = 50;
const SLOW_MODEL = `bench-model-${SLOW_MS}ms`;
const body = (stream: boolean, model = 'bench-model') =>
  JSON.stringify(
    stream
      ? { model, messages, temperature: 0.2, stream: true, stream_options: { include_usage: true } }
      : { model, messages, temperature: 0.2 },
  );
const chatBody = body(false);
const streamBody = body(true);

const ALL_SCENARIOS = [
  { name: 'non-stream c=1', stream: false, connections: 1, upstreamDelayMs: 0 },
  { name: 'non-stream c=32', stream: false, connections: 32, upstreamDelayMs: 0 },
  { name: 'non-stream c=128', stream: false, connections: 128, upstreamDelayMs: 0 },
  { name: 'stream c=32', stream: true, connections: 32, upstreamDelayMs: 0 },
  // Latency added while many requests wait on their upstream: what a real model looks like.
  { name: `${SLOW_MS}ms non-stream c=128`, stream: false, connections: 128, upstreamDelayMs: SLOW_MS },
] as const;
const chosen = flags.only?.split(',').map((name) => name.trim());
const unknown = chosen?.filter((name) => !ALL_SCENARIOS.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(
    `--only: no scenario ${unknown.map((n) => `"${n}"`).join(', ')}; the scenarios are ${ALL_SCENARIOS.map((s) => `"${s.name}"`).join(', ')}\n`,
  );
  process.exit(2);
}
const SCENARIOS = chosen ? ALL_SCENARIOS.filter((s) => chosen.includes(s.name)) : ALL_SCENARIOS;

const work = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
const cleanUp = () => {
  killAllChildren();
  rmSync(work, { recursive: true, force: true });
};

async function main(): Promise<void> {
  const storage = await prepareGatewayStorage({ work, database: flags.database, redis: flags.redis });
  try {
    await bench(work, storage);
  } finally {
    cleanUp();
    await storage.close();
  }
}

async function bench(work: string, storage: GatewayStorage): Promise<void> {
  if (!flags['no-build']) build();
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  // Storage and shared state come from --database / --redis only, never from the shell.
  for (const name of [
    'DATABASE_URL',
    'REDIS_URL',
    'REDIS_KEY_PREFIX',
    'SWITCHBOARD_SECRET_KEY',
    'ADMIN_TOKEN',
  ])
    delete env[name];

  const upstream = startChild(process.execPath, ['--import', 'tsx', 'bench/upstream.ts'], {
    cwd: ROOT,
    env,
    name: 'bench upstream',
  });
  const upstreamPort = (await upstream.waitFor(/listening (\d+)/, 20_000))[1];
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const bare = flags['no-bare']
    ? null
    : startChild(process.execPath, ['bench/bare-proxy.mjs', upstreamUrl], {
        cwd: ROOT,
        env,
        name: 'bare proxy',
      });
  const barePort = bare ? (await bare.waitFor(/listening (\d+)/, 20_000))[1] : null;

  const configPath = join(work, 'switchboard.yaml');
  writeFileSync(
    configPath,
    [
      'channels:',
      '  - name: bench',
      '    provider: openai-compatible',
      `    base_url: ${upstreamUrl}/v1`,
      `    keys: ["${UPSTREAM_KEY}"]`,
      '    models: [bench-model]',
      `  - name: bench-${SLOW_MS}ms`,
      '    provider: openai-compatible',
      `    base_url: ${upstreamUrl}/delay-${SLOW_MS}/v1`,
      `    keys: ["${UPSTREAM_KEY}"]`,
      `    models: [${SLOW_MODEL}]`,
      ...(flags.limits
        ? [
            'limits:',
            '  keys: { rpm: 100000000, tpm: 1000000000000, concurrent: 100000, budget: 1000000000 }',
          ]
        : []),
      '',
    ].join('\n'),
  );
  const profileDir = join(ROOT, 'bench', 'results', 'profiles');
  if (flags['cpu-prof']) mkdirSync(profileDir, { recursive: true });
  const gatewayArgs = [
    ...(flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ...flags['gateway-flags'].split(' ').filter(Boolean),
    'dist/cli/main.js',
    'serve',
  ];
  const gateway = startChild(process.execPath, gatewayArgs, {
    cwd: ROOT,
    env: {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      ...storage.env,
      CONFIG: configPath,
      LOG_LEVEL: 'warn',
    },
    name: 'gateway',
  });
  const key = (await gateway.waitFor(/^\s+(sk-[A-Za-z0-9]+)\s*$/m, 30_000))[1] as string;
  const gatewayPort = (await gateway.waitFor(/listening on http:\/\/[^\s:]+:(\d+)/, 30_000))[1];
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const pid = gateway.child.pid as number;

  const targets = {
    direct: { base: upstreamUrl, key: UPSTREAM_KEY },
    // The bare proxy forwards the path and the key as they are: it is driven as the upstream is.
    bare: { base: `http://127.0.0.1:${barePort}`, key: UPSTREAM_KEY },
    gateway: { base: gatewayUrl, key },
  };
  const sides = bare ? (['direct', 'bare', 'gateway'] as const) : (['direct', 'gateway'] as const);
  const headersOf = (side: keyof typeof targets) => ({
    'content-type': 'application/json',
    authorization: `Bearer ${targets[side].key}`,
  });
  // Direct and bare name the delay in the path; the gateway, by the model of the delayed channel.
  const url = (side: keyof typeof targets, delayMs: number) =>
    `${targets[side].base}${side !== 'gateway' && delayMs > 0 ? `/delay-${delayMs}` : ''}/v1/chat/completions`;
  await checkAnswers(url('gateway', 0), key).catch((err: Error) => {
    throw new Error(`${err.message}\ngateway output:\n${gateway.output()}`);
  });
  const idleRssMb = readRss(pid)?.rssMb ?? Number.NaN;
  const rss = sampleRss(pid);
  // The floor's memory, read the same way (after the same two answers): what a Node process
  // doing two HTTP hops weighs.
  let bareMemory: { readonly idleMb: number; readonly rss: ReturnType<typeof sampleRss> } | null = null;
  if (bare) {
    await checkAnswers(url('bare', 0), UPSTREAM_KEY, 'bare proxy');
    const barePid = bare.child.pid as number;
    bareMemory = { idleMb: readRss(barePid)?.rssMb ?? Number.NaN, rss: sampleRss(barePid) };
  }

  const total = SCENARIOS.length * sides.length * (durationS + warmupS) + sides.length * processWarmupS;
  process.stdout.write(
    `switchboard bench (gateway on ${storage.label}${flags.limits ? ', limits on' : ''}): ${processWarmupS} s of process warm-up per side, then ${SCENARIOS.length * sides.length} runs of ${warmupS} s warm-up + ${durationS} s (~${total} s)\n`,
  );
  if (processWarmupS > 0) {
    for (const side of sides) {
      process.stdout.write(`  process warm-up  ${side.padEnd(8)} `);
      let answered = 0;
      let failed = 0;
      for (const stream of [false, true]) {
        const warm = await runLoad({
          url: url(side, 0),
          headers: headersOf(side),
          body: body(stream),
          connections: 8,
          durationS: processWarmupS / 2,
        });
        answered += warm.ok;
        failed += warm.non2xx + warm.errors + warm.timeouts;
      }
      // Said, not fatal: the measured runs report their own failures in the table.
      process.stdout.write(`${answered} answered${failed > 0 ? `, ${failed} FAILED` : ''}\n`);
    }
  }
  const pids = {
    direct: upstream.child.pid as number,
    bare: bare?.child.pid as number,
    gateway: pid,
  };
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    const measured = {} as Record<keyof typeof targets, Awaited<ReturnType<typeof runLoad>>>;
    // CPU time of the process that answered each side: the upstream itself for direct.
    const cpuMs = { direct: 0, bare: 0, gateway: 0 };
    for (const side of sides) {
      const load: LoadOptions = {
        url: url(side, scenario.upstreamDelayMs),
        headers: headersOf(side),
        body: body(scenario.stream, scenario.upstreamDelayMs > 0 ? SLOW_MODEL : 'bench-model'),
        connections: scenario.connections,
        durationS,
      };
      process.stdout.write(`  ${scenario.name.padEnd(16)} ${side.padEnd(8)} `);
      if (warmupS > 0) await runLoad({ ...load, durationS: warmupS });
      const cpuBefore = readCpuMs(pids[side]);
      measured[side] = await runLoad(load);
      cpuMs[side] = readCpuMs(pids[side]) - cpuBefore;
      process.stdout.write(`${Math.round(measured[side].rps)} RPS\n`);
    }
    const perRequest = (side: keyof typeof targets) => cpuMs[side] / Math.max(measured[side].ok, 1);
    results.push({
      ...scenario,
      direct: measured.direct,
      gateway: measured.gateway,
      gatewayCpuMsPerRequest: perRequest('gateway'),
      upstreamCpuMsPerRequest: perRequest('direct'),
      ...(bare ? { bare: measured.bare, bareCpuMsPerRequest: perRequest('bare') } : {}),
    });
  }
  const peakRssMb = rss.peakMb();
  rss.stop();
  const bareRssFigures = bareMemory
    ? { barePeakRssMb: bareMemory.rss.peakMb(), bareIdleRssMb: bareMemory.idleMb }
    : {};
  bareMemory?.rss.stop();
  await stopChild(gateway.child);
  if (bare) await stopChild(bare.child);
  await stopChild(upstream.child);
  // Stopped with SIGTERM, the gateway flushed its usage buffer: every answered request is a row.
  const usageRecords = await storage.usageRecords();

  const c1 = results.find((r) => r.name === 'non-stream c=1');
  const c32 = results.find((r) => r.name === 'non-stream c=32');
  const slow = results.find((r) => r.upstreamDelayMs > 0);
  const summary = {
    addedP50MsAtC1: (c1?.gateway.p50Ms ?? Number.NaN) - (c1?.direct.p50Ms ?? Number.NaN),
    saturatedGatewayRps: c32?.gateway.rps ?? Number.NaN,
    addedP99MsAtSlowC128: (slow?.gateway.p99Ms ?? Number.NaN) - (slow?.direct.p99Ms ?? Number.NaN),
    rpsRatioAtSlowC128: (slow?.gateway.rps ?? Number.NaN) / (slow?.direct.rps ?? Number.NaN),
    peakRssMb,
    idleRssMb,
    ...bareRssFigures,
  };
  process.stdout.write(`\n${formatReport(results, summary)}\n`);
  if (usageRecords !== null) {
    const answered = results.reduce((n, r) => n + r.gateway.ok, 0);
    process.stdout.write(
      `usage records in Postgres: ${usageRecords} (${answered} answered in the measured runs, plus warm-ups and checks)\n`,
    );
  }

  const outFile = resolve(flags.out ?? join(ROOT, 'bench', 'results', 'latest.json'));
  mkdirSync(dirname(outFile), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    durationS,
    warmupS,
    processWarmupS,
    storage: storage.label,
    limits: flags.limits,
    usageRecords,
    scenarios: results,
    summary,
    targets: TARGETS,
  };
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nwritten to ${outFile}\n`);
  if (flags['cpu-prof']) process.stdout.write(`gateway CPU profile in bench/results/profiles/\n`);
}

/** Builds dist/ as `npm start` would. tsc emits even when it reports type errors; those are shown. */
function build(): void {
  process.stdout.write('building (npm run build)...\n');
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stdout.write(`warning: the build reported errors; running what it emitted:\n${result.stdout}\n`);
  }
}

/** The checked-out commit, so JSON reports of two commits can be told apart; null outside git. */
function gitCommit(): string | null {
  const result = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** One request of each kind through the gateway, so a misconfigured run fails loudly, not fast. */
async function checkAnswers(url: string, key: string, who = 'gateway'): Promise<void> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  const plain = await fetch(url, { method: 'POST', headers, body: chatBody });
  const plainText = await plain.text();
  if (plain.status !== 200 || !plainText.includes('chatcmpl-bench'))
    throw new Error(`${who} check failed: ${plain.status} ${plainText}`);
  const stream = await fetch(url, { method: 'POST', headers, body: streamBody });
  const streamText = await stream.text();
  if (stream.status !== 200 || !streamText.includes('data: [DONE]'))
    throw new Error(`${who} stream check failed: ${stream.status} ${streamText}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}
process.once('exit', cleanUp);

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
