// Garbage collection in a served gateway, from inside it: preload this module, drive load, and
// send the process SIGUSR2 at the start and at the end of the window to measure. Each signal
// prints one line to stderr for the window since the previous one (or since start):
//   gc-stats scavenges=… scavenge_ms=… full_gcs=… full_gc_ms=… promoted_mb=… cpu_s=…
// `promoted_mb` is what scavenges moved to the old space: what lived through two scavenges.
//
//   NODE_OPTIONS="--import ./bench/gc-stats.mjs" node dist/cli/main.js serve &
//   kill -USR2 <pid>; <load>; kill -USR2 <pid>
//
// Main-thread pause times only: concurrent marking and sweeping run on V8's helper threads and
// show in cpu_s (process CPU, all threads).
import { GCProfiler } from 'node:v8';

const profiler = new GCProfiler();
profiler.start();
let cpuAtStart = process.cpuUsage();

const oldSpaceUsed = (snapshot) => {
  let used = 0;
  for (const space of snapshot.heapSpaceStatistics)
    if (space.spaceName === 'old_space' || space.spaceName === 'large_object_space')
      used += space.spaceUsedSize;
  return used;
};

process.on('SIGUSR2', () => {
  const { statistics } = profiler.stop();
  let scavenges = 0;
  let scavengeMs = 0;
  let fullGcs = 0;
  let fullGcMs = 0;
  let promoted = 0;
  for (const gc of statistics) {
    if (gc.gcType === 'Scavenge' || gc.gcType === 'MinorMarkCompact') {
      scavenges++;
      scavengeMs += gc.cost / 1000;
      promoted += oldSpaceUsed(gc.afterGC) - oldSpaceUsed(gc.beforeGC);
    } else {
      fullGcs++;
      fullGcMs += gc.cost / 1000;
    }
  }
  const cpu = process.cpuUsage(cpuAtStart);
  process.stderr.write(
    `gc-stats scavenges=${scavenges} scavenge_ms=${scavengeMs.toFixed(0)} full_gcs=${fullGcs} ` +
      `full_gc_ms=${fullGcMs.toFixed(0)} promoted_mb=${(promoted / 1e6).toFixed(1)} ` +
      `cpu_s=${((cpu.user + cpu.system) / 1e6).toFixed(2)}\n`,
  );
  cpuAtStart = process.cpuUsage();
  profiler.start();
});
