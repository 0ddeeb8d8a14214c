#!/usr/bin/env bash
# Runs ../shared/bench/run-bench.sh with the bare Node proxy (bench/bare-proxy.mjs) in
# Switchboard's place: the floor any Node gateway pays, measured beside Portkey and a direct call
# in the same run, by the same wrk and mock. The table names it `switchboard`.
#
#   bash bench/floor-in-shared-bench.sh                      # every phase, as run-bench.sh
#   TARGETS="direct portkey switchboard" PHASES=0:0:nonstream CONCS="1 32" DUR=5 WARMUP=1 \
#     bash bench/floor-in-shared-bench.sh                    # any of run-bench.sh's knobs
#
# SHARED_BENCH names run-bench.sh's folder (default ../shared/bench beside this checkout).
# It needs this checkout's node_modules (undici).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED_BENCH:-$here/../../shared/bench}
[ -f "$shared/run-bench.sh" ] || { echo "no run-bench.sh in $shared (set SHARED_BENCH)" >&2; exit 2; }
stand_in=$(mktemp -d)
trap 'rm -rf "$stand_in"' EXIT
mkdir -p "$stand_in/dist/cli"
echo '{ "type": "module" }' >"$stand_in/package.json"
# run-bench.sh starts a checkout with `node dist/cli/main.js keys create` (a key to print) and
# `node dist/cli/main.js serve` (PORT, HOST, and CONFIG naming the mock's base_url).
cat >"$stand_in/dist/cli/main.js" <<JS
import { readFileSync } from 'node:fs';
import { startBareProxy } from '$here/bare-proxy.mjs';
const command = process.argv.slice(2).join(' ');
if (command.startsWith('keys create')) {
  console.log('sk-bare-proxy-0123456789abcdef');
} else if (command === 'serve') {
  const baseUrl = readFileSync(process.env.CONFIG, 'utf8').match(/base_url: "([^"]+)"/)?.[1];
  if (!baseUrl) throw new Error('no base_url in ' + process.env.CONFIG);
  const proxy = await startBareProxy(new URL(baseUrl).origin, { port: Number(process.env.PORT), host: process.env.HOST });
  process.on('SIGTERM', () => proxy.close().then(() => process.exit(0)));
} else {
  console.error('the bare proxy stand-in knows keys create and serve only');
  process.exit(2);
}
JS
SWITCHBOARD_DIR="$stand_in" bash "$shared/run-bench.sh"
