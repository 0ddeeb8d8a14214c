import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Logger } from '../../spec/logger.js';
import type { NodeGateway } from './bootstrap.js';

export interface RunningServer {
  readonly port: number;
  readonly host: string;
  /** Stops accepting, lets in-flight requests finish up to `drainMs`, then closes everything. */
  shutdown(drainMs?: number): Promise<void>;
}

export function startServer(
  node: NodeGateway,
  options: { port: number; host: string; logger: Logger },
): Promise<RunningServer> {
  return new Promise((resolveStart, rejectStart) => {
    const server = serve(
      { fetch: node.gateway.fetch, port: options.port, hostname: options.host },
      (info) => {
        resolveStart({
          port: info.port,
          host: options.host,
          shutdown: (drainMs = 10_000) => shutdown(server as Server, node, drainMs),
        });
      },
    ) as Server;
    server.keepAliveTimeout = 65_000;
    server.once('error', rejectStart);
  });
}

async function shutdown(server: Server, node: NodeGateway, drainMs: number): Promise<void> {
  await new Promise<void>((done) => {
    const force = setTimeout(() => {
      server.closeAllConnections();
    }, drainMs);
    server.close(() => {
      clearTimeout(force);
      done();
    });
    server.closeIdleConnections();
  });
  await node.close();
}
