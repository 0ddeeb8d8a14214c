import { type Server, ServerResponse } from 'node:http';
import { serve } from '@hono/node-server';
import { errorResponse, GatewayError } from '../../errors/gateway-error.js';
import type { Logger } from '../../spec/logger.js';
import type { NodeGateway } from './bootstrap.js';
import { type MetricsListener, startMetricsServer } from './metrics-server.js';
import { relayToNode } from './relay-to-node.js';

export interface RunningServer {
  readonly port: number;
  readonly host: string;
  /** The metrics listener's port (`metrics.port` / METRICS_PORT); null when there is none. */
  readonly metricsPort: number | null;
  /**
   * Stops accepting, answers new requests on kept-alive sockets with 503, lets in-flight
   * requests and streams finish up to `drainMs`, then closes what is left and the storage.
   */
  shutdown(drainMs?: number): Promise<void>;
}

/** How often idle keep-alive sockets are closed while draining (a socket goes idle when its answer ends). */
const IDLE_SWEEP_MS = 50;

export async function startServer(
  node: NodeGateway,
  options: { port: number; host: string; logger: Logger; drainMs?: number },
): Promise<RunningServer> {
  const metrics =
    node.metrics && node.metrics.port !== null
      ? await startMetricsServer(node.metrics.exposition, {
          port: node.metrics.port,
          host: node.metrics.host,
          logger: options.logger,
        })
      : null;
  try {
    return await startGatewayServer(node, options, metrics);
  } catch (err) {
    await metrics?.close();
    throw err;
  }
}

function startGatewayServer(
  node: NodeGateway,
  options: { port: number; host: string; logger: Logger; drainMs?: number },
  metrics: MetricsListener | null,
): Promise<RunningServer> {
  let draining = false;
  // env carries the Node request (the caller's address, for key IP allowlists).
  const fetch = (request: Request, env?: unknown) => {
    if (!draining) {
      const outgoing = (env as { outgoing?: unknown } | undefined)?.outgoing;
      const answer = node.gateway.fetch(request, env);
      // A relayed stream is written to the socket here, past the adapter's Web stream reader.
      if (!(outgoing instanceof ServerResponse)) return answer;
      return answer instanceof Promise
        ? answer.then((response: Response) => relayToNode(response, outgoing))
        : relayToNode(answer, outgoing);
    }
    const refusal = new GatewayError('shutting_down', 'the server is shutting down; retry the request');
    return errorResponse(refusal, crypto.randomUUID(), { connection: 'close' });
  };
  return new Promise((resolveStart, rejectStart) => {
    const server = serve({ fetch, port: options.port, hostname: options.host }, (info) => {
      resolveStart({
        port: info.port,
        host: options.host,
        metricsPort: metrics?.port ?? null,
        shutdown: async (drainMs = options.drainMs ?? 10_000) => {
          draining = true;
          await shutdown(server as Server, node, drainMs, options.logger);
          await metrics?.close();
        },
      });
    }) as Server;
    server.keepAliveTimeout = 65_000;
    server.once('error', rejectStart);
  });
}

async function shutdown(server: Server, node: NodeGateway, drainMs: number, logger: Logger): Promise<void> {
  await new Promise<void>((done) => {
    const force = setTimeout(() => {
      logger.warn({ drainMs }, 'drain time-out: closing the remaining connections');
      server.closeAllConnections();
    }, drainMs);
    // Without this, a kept-alive socket whose answer ended during the drain would hold
    // server.close() open until its keep-alive time-out.
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    server.close(() => {
      clearTimeout(force);
      clearInterval(sweep);
      done();
    });
    server.closeIdleConnections();
  });
  // Work deferred after the last responses (usage, limit settles, cache writes) ends before the
  // stores it writes to close.
  let stop: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<void>((done) => {
    stop = setTimeout(() => {
      logger.warn({ drainMs }, 'drain time-out: deferred work still pending at close');
      done();
    }, drainMs);
  });
  await Promise.race([node.drainDeferred(), waited]);
  clearTimeout(stop);
  await node.close();
}
