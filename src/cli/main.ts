#!/usr/bin/env node
import { ConfigError } from '../config/settings.js';
import { VERSION } from '../runtime/node/version.js';
import { keysCommand } from './keys.js';
import { serveCommand } from './serve.js';

const HELP = `switchboard ${VERSION}: one OpenAI-compatible endpoint in front of many LLM providers

usage:
  switchboard serve                 start the gateway (PORT, HOST, DATABASE_URL, CONFIG, LOG_LEVEL)
  switchboard keys create --name N  create a client key (printed once)
  switchboard keys list             list client keys (masked)
  switchboard keys revoke ID|NAME   revoke a client key
  switchboard --version`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await serveCommand();
      return -1; // keeps running
    case 'keys':
      return keysCommand(rest);
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
