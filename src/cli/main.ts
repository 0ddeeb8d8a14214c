#!/usr/bin/env node
import { limitOldGenerationGrowth } from '../runtime/node/old-generation.js';
import { VERSION } from '../runtime/node/version.js';
import { holdYoungGeneration } from '../runtime/node/young-generation.js';

const HELP = `switchboard ${VERSION}: one OpenAI-compatible endpoint in front of many LLM providers

usage:
  switchboard serve [--no-migrate]  start the gateway (PORT, HOST, DATABASE_URL, CONFIG, LOG_LEVEL)
  switchboard migrate               apply pending database migrations and exit
  switchboard users list|create|show|update|disable|enable|delete ...    users (tenants)
  switchboard keys create|list|show|update|disable|enable|rotate|revoke ... client keys (printed once)
  switchboard channels list|add|update|show|test|disable|enable|remove ... upstream channels
  switchboard audit list [--actor A] [--action A] [--object-type T] [--object-id ID] [--since 24h] ...
                                    who changed what (the admin audit log, newest first)
  switchboard instances list --url URL   running gateway instances (heartbeats, requests in flight)
  switchboard secrets rotate        re-seal stored upstream keys under a new sealing key
  switchboard --version

Admin commands act on the local database (DATABASE_URL / the config file) by default, or on a
running gateway with --url URL --admin-token TOKEN. Add --json for machine-readable output.
Run a command without arguments for its options (e.g. switchboard keys).`;

// Each command is imported when it runs: a `serve` process never holds the admin commands (and
// their client) in memory, and `--version` loads nothing.
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const release = holdYoungGeneration();
      limitOldGenerationGrowth();
      const code = await (await import('./serve.js')).serveCommand(rest);
      release(); // listening (or refused): from here the load decides
      return code; // -1: keeps running
    }
    case 'migrate':
      return (await import('./migrate.js')).migrateCommand(rest);
    case 'keys':
      return (await import('./keys.js')).keysCommand(rest);
    case 'users':
      return (await import('./users.js')).usersCommand(rest);
    case 'channels':
      return (await import('./channels.js')).channelsCommand(rest);
    case 'secrets':
      return (await import('./secrets.js')).secretsCommand(rest);
    case 'audit':
      return (await import('./audit.js')).auditCommand(rest);
    case 'instances':
      return (await import('./instances.js')).instancesCommand(rest);
    case '--version':
    case '-v':
      console.log(VERSION);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return 0;
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(
      // By name: importing ConfigError would load the config schema before `serve` holds the heap.
      err instanceof Error && err.name === 'ConfigError'
        ? `invalid configuration: ${message}`
        : `switchboard: ${message}`,
    );
    process.exit(1);
  },
);
