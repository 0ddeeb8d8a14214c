import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/http.js';
import { channel, type TestGateway } from '../support/start-gateway.js';
import { startGateway } from './support.js';

const CHUNK = 64 * 1024;
const CHUNKS = 1_000; // 64 MiB in total: far more than any buffer on the way should hold.

/** An upstream that writes SSE as fast as its socket takes it and reports when it is held back. */
function dripper() {
  const state = { written: 0, blocked: false, done: false };
  const payload = `data: ${JSON.stringify({ choices: [{ delta: { content: 'x'.repeat(CHUNK - 60) } }] })}\n\n`;
  const server: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let sent = 0;
    const pump = () => {
      while (sent < CHUNKS) {
        sent++;
        state.written += payload.length;
        if (!res.write(payload)) {
          state.blocked = true;
          res.once('drain', () => {
            state.blocked = false;
            pump();
          });
          return;
        }
      }
      res.end('data: [DONE]\n\n');
      state.done = true;
    };
    pump();
  });
  return { server, state, total: CHUNKS * payload.length };
}

let upstream: ReturnType<typeof dripper>;
let gw: TestGateway;

beforeAll(async () => {
  upstream = dripper();
  await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.server.address() as AddressInfo;
  gw = await startGateway({
    channels: [
      channel({
        name: 'big',
        base_url: `http://127.0.0.1:${port}/v1`,
        keys: ['k'],
        models: ['m'],
        timeout: { idle_ms: 20_000 },
      }),
    ],
  });
});
afterAll(async () => {
  await gw?.close();
  upstream.server.closeAllConnections();
  await new Promise((resolve) => upstream.server.close(resolve));
});

describe('backpressure', () => {
  it('a client that stops reading holds the upstream back instead of the gateway buffering the stream', async () => {
    const url = new URL(`${gw.url}/v1/chat/completions`);
    const body = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let received = 0;
    const finished = new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
        },
        (res) => {
          res.once('data', (chunk: Buffer) => {
            received += chunk.length;
            // Read nothing more until the upstream is seen blocked.
            res.pause();
            waitFor(() => upstream.state.blocked, 'upstream write side blocked', 15_000)
              .then(async () => {
                // Let any in-flight buffers settle, then check the upstream is still held back.
                await new Promise((r) => setTimeout(r, 300));
                expect(upstream.state.blocked).toBe(true);
                expect(upstream.state.done).toBe(false);
                // Kernel socket buffers on both hops plus a few stream chunks: a few MiB, not 64.
                expect(upstream.state.written).toBeLessThan(upstream.total / 4);
                res.on('data', (c: Buffer) => {
                  received += c.length;
                });
                res.on('end', () => resolve(received));
                res.resume();
              })
              .catch(reject);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    const total = await finished;
    expect(upstream.state.done).toBe(true);
    expect(total).toBe(upstream.total + 'data: [DONE]\n\n'.length);
  });
});
