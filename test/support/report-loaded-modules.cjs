// Preloaded (`--require`) into a `switchboard serve` under test: when the process exits, writes
// the CommonJS modules it loaded (one path a line) to $REPORT_LOADED_MODULES.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  writeFileSync(process.env.REPORT_LOADED_MODULES, Object.keys(require.cache).join('\n'));
});
