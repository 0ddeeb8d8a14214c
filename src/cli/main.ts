#!/usr/bin/env node
import { ConfigError } from '../config/settings.js';
import { VERSION } from '../runtime/node/version.js';
import { auditCommand } from './audit.js';
import { channelsCommand } from './channels.js';
import { instancesCommand } from './instances.js';
import { keysCommand } from './keys.js';
import { migrateCommand } from './migrate.js';
import { secretsCommand } from './secrets.js';
import { serveCommand } from './serve.js';
import { usersCommand } from './users.js';

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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await serveCommand(rest);
      return -1; // keeps running
    case 'migrate':
      return migrateCommand(rest);
    case 'keys':
      return keysCommand(rest);
    case 'users':
      return usersCommand(rest);
    case 'channels':
      return channelsCommand(rest);
    case 'secrets':
      return secretsCommand(rest);
    case 'audit':
      return auditCommand(rest);
    case 'instances':
      return instancesCommand(rest);
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
      err instanceof ConfigError ? `invalid configuration: ${message}` : `switchboard: ${message}`,
    );
    process.exit(1);
  },
);
