// Preloaded (`--require`) into a `switchboard serve` under test: on SIGUSR2, writes the CommonJS
// modules it has loaded so far (one path a line) to $REPORT_LOADED_MODULES. A signal of its own,
// so the report never depends on how (or whether) the server shuts down.
const { renameSync, writeFileSync } = require('node:fs');

process.on('SIGUSR2', () => {
  const target = process.env.REPORT_LOADED_MODULES;
  // Written whole, then renamed: the test never reads half a report.
  writeFileSync(`${target}.tmp`, Object.keys(require.cache).join('\n'));
  renameSync(`${target}.tmp`, target);
});
