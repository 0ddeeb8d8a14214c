import { parseArgs } from 'node:util';
import { createFirstKeyIfNone } from '../auth/first-key.js';
import { bootstrap } from '../runtime/node/bootstrap.js';
import { loadSettings } from '../runtime/node/load-settings.js';
import { createLogger } from '../runtime/node/logger.js';
import { startServer } from '../runtime/node/server.js';
import { refuseArguments } from './admin-args.js';

const USAGE = `usage:
  switchboard serve [--no-migrate]
      Starts the gateway (PORT, HOST, DATABASE_URL, CONFIG, LOG_LEVEL). --no-migrate applies no
      migrations at start and refuses a database that is behind (run switchboard migrate first).`;

/**
 * `switchboard serve`: load settings, open storage (migrating it, unless `--no-migrate` or
 * `database.migrate: false`), make the database's first key if it has none yet, listen.
 * Returns 2 on a wrong command line (printed with the usage), -1 once listening (it keeps running).
 */
export async function serveCommand(args: string[] = []): Promise<number> {
  let values: { 'no-migrate'?: boolean };
  try {
    let positionals: string[];
    ({ values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { 'no-migrate': { type: 'boolean', default: false } },
    }));
    refuseArguments('serve', positionals);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const loaded = loadSettings();
  const settings = values['no-migrate']
    ? { ...loaded, database: { ...loaded.database, migrate: false } }
    : loaded;
  const logger = createLogger(settings.logLevel);
  const node = await bootstrap({ settings, logger });

  if (node.generatedAdminToken) {
    // Printed once to the terminal, never to the log: only its hash is stored.
    process.stdout.write(
      `\nNo ADMIN_TOKEN was set, so an admin token was generated. It is shown only this once:\n\n    ${node.generatedAdminToken}\n\n` +
        'Sign in with it to the admin panel at /admin, or send it as "Authorization: Bearer <token>" to\n' +
        '/admin/api/* and /stats. Set ADMIN_TOKEN to choose your own.\n',
    );
  }

  const secret = await createFirstKeyIfNone(node.storage);
  if (secret !== null) {
    // Printed once to the terminal, never to the log: only its hash is stored.
    process.stdout.write(
      `\nNo client keys existed, so one was created. It is shown only this once:\n\n    ${secret}\n\n` +
        'Create more with: npx switchboard keys create --name NAME\n\n',
    );
  }

  const server = await startServer(node, {
    port: settings.port,
    host: settings.host,
    logger,
    drainMs: settings.drainMs,
  });
  const shownHost = urlHost(settings.host);
  logger.info(
    {
      port: server.port,
      host: settings.host,
      storage: node.storageDescription,
      channels: node.channels.map((c) => c.name),
      config: settings.configPath,
    },
    'switchboard started',
  );
  process.stdout.write(
    `Switchboard listening on http://${shownHost}:${server.port}  (storage: ${node.storageDescription})\n`,
  );
  if (settings.admin.panel) {
    process.stdout.write(`Admin panel: http://${shownHost}:${server.port}/admin/\n`);
  }
  if (server.metricsPort !== null) {
    process.stdout.write(
      `Metrics (no token): http://${urlHost(node.metrics?.host ?? settings.host)}:${server.metricsPort}/metrics\n`,
    );
  }
  if (node.usingDemoChannel) {
    process.stdout.write(
      'No channels configured: serving the built-in mock models "mock-1" and "mock-embedding".\n',
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    server.shutdown().then(
      () => {
        logger.info({ signal }, 'shut down cleanly');
        // pino may hold lines in its buffer; write them before the process ends.
        logger.flush(() => process.exit(0));
      },
      (err: unknown) => {
        logger.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return -1;
}

/**
 * The host of a URL to the address `host` binds: a wildcard is reached on loopback, and an IPv6
 * address goes in brackets (`http://::1:8080` is no URL).
 */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
